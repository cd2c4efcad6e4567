// Package headers parses and formats the structured RTSP 1.0 header values
// (RFC 2326 §12, RFC 2617): Transport, Session, Range, RTP-Info,
// Authorization, WWW-Authenticate and comma lists. Parsing is tolerant of
// case and spacing; String writes the canonical form.
package headers

import (
	"errors"
	"strings"
)

// MaxValueLen bounds one header value; longer values are refused.
const MaxValueLen = 4096

// Errors shared by the parsers; each parser wraps them with context.
var (
	ErrTooLong   = errors.New("headers: value too long")
	ErrMalformed = errors.New("headers: malformed value")
)

func checkLen(what, v string) error {
	if len(v) > MaxValueLen {
		return &Error{Header: what, Err: ErrTooLong}
	}
	return nil
}

// Error tells which header is malformed and why.
type Error struct {
	Header string // "Transport", "Session", …
	Detail string // what is wrong, possibly quoting a short part of the value
	Err    error  // ErrMalformed, ErrTooLong or ErrUnsupported…
}

func (e *Error) Error() string {
	s := "headers: " + e.Header
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil && e.Err != ErrMalformed {
		s += ": " + strings.TrimPrefix(e.Err.Error(), "headers: ")
	}
	return s
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

func malformed(header, detail string) error {
	return &Error{Header: header, Detail: detail, Err: ErrMalformed}
}

// splitQuoted splits s on sep outside double-quoted strings, trimming
// spaces around each part and dropping empty parts.
func splitQuoted(s string, sep byte) []string {
	var out []string
	inQuote, escaped := false, false
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case inQuote && c == '\\':
			escaped = true
		case c == '"':
			inQuote = !inQuote
		case c == sep && !inQuote:
			if p := strings.TrimSpace(s[start:i]); p != "" {
				out = append(out, p)
			}
			start = i + 1
		}
	}
	if p := strings.TrimSpace(s[start:]); p != "" {
		out = append(out, p)
	}
	return out
}

// cutParam splits "key = value" into the lower-case key and the value with
// surrounding quotes removed and escapes resolved.
func cutParam(p string) (key, value string, hasValue bool) {
	k, v, ok := strings.Cut(p, "=")
	key = strings.ToLower(strings.TrimSpace(k))
	if !ok {
		return key, "", false
	}
	return key, unquote(strings.TrimSpace(v)), true
}

// unquote removes one pair of surrounding double quotes and resolves
// backslash escapes inside; an unquoted value comes back as is.
func unquote(v string) string {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return strings.Trim(v, `"`)
	}
	v = v[1 : len(v)-1]
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// quote writes v as a quoted-string.
func quote(v string) string {
	if !strings.ContainsAny(v, `"\`) {
		return `"` + v + `"`
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		if v[i] == '"' || v[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	b.WriteByte('"')
	return b.String()
}

// short quotes at most a few dozen bytes of v for an error message.
func short(v string) string {
	const max = 40
	if len(v) > max {
		v = v[:max] + "…"
	}
	return `"` + strings.ToValidUTF8(v, "?") + `"`
}

// ParseList splits a comma-separated list ("Require: a, b") into its
// trimmed, non-empty items.
func ParseList(v string) []string {
	if len(v) > MaxValueLen {
		v = v[:MaxValueLen]
	}
	return splitQuoted(v, ',')
}
