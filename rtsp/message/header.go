// Package message reads and writes RTSP 1.0 messages (RFC 2326): requests,
// responses and "$"-framed interleaved binary data, as they arrive on one
// TCP connection. It is tolerant of what real players and NVRs send (bare
// "\n" line ends, odd header spacing and case, repeated headers) and strict
// about limits, so a hostile peer cannot make it grow memory without end.
package message

import "strings"

// Header holds message headers. Keys are canonical (see CanonicalKey);
// a header repeated in a message keeps every value in order.
type Header map[string][]string

// oddKeys are RTSP header names whose canonical spelling is not the
// textproto one (first letter and letters after '-' upper case).
var oddKeys = [...]string{
	"CSeq",
	"WWW-Authenticate",
	"RTP-Info",
	"KeyMgmt",
	"ETag",
	"Content-MD5",
	"RTCP-Interval",
	"MIKEY",
}

// CanonicalKey returns the canonical spelling of header name k: RTSP's
// special names from a table ("cseq" → "CSeq", "rtp-info" → "RTP-Info"),
// else upper case at the start and after each '-', lower case elsewhere
// ("content-base" → "Content-Base"). Surrounding spaces are removed.
func CanonicalKey(k string) string {
	k = strings.TrimSpace(k)
	for _, o := range oddKeys {
		if strings.EqualFold(k, o) {
			return o
		}
	}
	if isCanonical(k) {
		return k
	}
	b := []byte(k)
	upper := true
	for i, c := range b {
		switch {
		case upper && 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		case !upper && 'A' <= c && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
		upper = c == '-'
	}
	return string(b)
}

// isCanonical reports whether k is already textproto-canonical, so the
// common lookups (Get("Content-Length")) do not allocate.
func isCanonical(k string) bool {
	upper := true
	for i := 0; i < len(k); i++ {
		c := k[i]
		if upper && 'a' <= c && c <= 'z' {
			return false
		}
		if !upper && 'A' <= c && c <= 'Z' {
			return false
		}
		upper = c == '-'
	}
	return true
}

// Get returns the first value of header k, or "".
func (h Header) Get(k string) string {
	if v := h[CanonicalKey(k)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Values returns every value of header k in the order they came.
func (h Header) Values(k string) []string {
	return h[CanonicalKey(k)]
}

// Set replaces the values of header k with v.
func (h Header) Set(k, v string) {
	h[CanonicalKey(k)] = []string{v}
}

// Add appends v to the values of header k.
func (h Header) Add(k, v string) {
	k = CanonicalKey(k)
	h[k] = append(h[k], v)
}

// Del removes header k.
func (h Header) Del(k string) {
	delete(h, CanonicalKey(k))
}
