package message

import (
	"fmt"
	"io"
	"slices"
	"strconv"
)

// Default protocol versions written when a message's Proto is empty.
const (
	ProtoRTSP10 = "RTSP/1.0"
)

// headerKeys returns the header names in writing order: CSeq first, then
// sorted; Content-Length is listed when the body needs it.
func headerKeys(h Header, body []byte) []string {
	keys := make([]string, 0, len(h)+1)
	hasLen := false
	for k := range h {
		if k == "CSeq" {
			continue
		}
		if k == "Content-Length" {
			hasLen = true
		}
		keys = append(keys, k)
	}
	if len(body) > 0 && !hasLen {
		keys = append(keys, "Content-Length")
	}
	slices.Sort(keys)
	if _, ok := h["CSeq"]; ok {
		keys = slices.Insert(keys, 0, "CSeq")
	}
	return keys
}

// headerValues returns what is written for key k: the computed length for
// Content-Length when there is a body, else the stored values.
func headerValues(h Header, k string, body []byte) []string {
	if k == "Content-Length" && len(body) > 0 {
		return nil
	}
	return h[k]
}

func headersSize(h Header, keys []string, body []byte) int {
	n := 0
	for _, k := range keys {
		if k == "Content-Length" && len(body) > 0 {
			n += len(k) + 2 + decimalLen(len(body)) + 2
			continue
		}
		for _, v := range headerValues(h, k, body) {
			n += len(k) + 2 + len(v) + 2
		}
	}
	return n + 2 + len(body)
}

// appendHeaders writes header lines, the blank line and the body. The
// caller has checked that b has room, so append never reallocates.
func appendHeaders(b []byte, h Header, keys []string, body []byte) ([]byte, error) {
	for _, k := range keys {
		if !validToken(k) {
			return b, fmt.Errorf("message: bad header name %q", k)
		}
		if k == "Content-Length" && len(body) > 0 {
			b = append(b, k...)
			b = append(b, ": "...)
			b = strconv.AppendInt(b, int64(len(body)), 10)
			b = append(b, "\r\n"...)
			continue
		}
		for _, v := range headerValues(h, k, body) {
			if !validText(v) {
				return b, fmt.Errorf("message: header %s: value has a line break", k)
			}
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	b = append(b, "\r\n"...)
	b = append(b, body...)
	return b, nil
}

func decimalLen(n int) int {
	l := 1
	for n >= 10 {
		n /= 10
		l++
	}
	return l
}

// validToken reports whether s is a non-empty RFC 2616 token.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f {
			return false
		}
		switch c {
		case '(', ')', '<', '>', '@', ',', ';', ':', '\\', '"', '/', '[', ']', '?', '=', '{', '}':
			return false
		}
	}
	return true
}

// validText reports whether s can be written on one header line.
func validText(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '\r' || s[i] == '\n' || s[i] == 0 {
			return false
		}
	}
	return true
}

// validWord reports whether s is a non-empty start-line word (no spaces,
// no control characters).
func validWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return false
		}
	}
	return true
}

func checkRoom(dst []byte, need int) error {
	if len(dst) < need {
		return fmt.Errorf("message: need %d bytes, have %d: %w", need, len(dst), io.ErrShortBuffer)
	}
	return nil
}
