package rtsp

import (
	"net/url"
	"strconv"
	"strings"
)

// target is a request URI taken apart: the path it names, its parameters
// and, for SETUP, the track its control part selects.
type target struct {
	Path  string
	Query url.Values
	Track int // -1 when the URL names the whole presentation
	Base  string
}

// parseTarget accepts what real clients send: absolute rtsp:// URLs and bare
// paths, control parts "trackID=N" (also "streamid=", "track") with or
// without a slash before them, trailing slashes, and a query before or after
// the control part.
func parseTarget(raw string) (target, error) {
	t := target{Track: -1}
	s := raw
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		j := strings.IndexAny(rest, "/?")
		if j < 0 {
			rest = ""
		} else {
			rest = rest[j:]
		}
		s = rest
	}
	// control part at the very end
	lower := asciiLower(s)
	for _, key := range []string{"trackid=", "streamid=", "track="} {
		if i := strings.LastIndex(lower, key); i >= 0 {
			num := s[i+len(key):]
			end := strings.IndexAny(num, "/?&;")
			rest := ""
			if end >= 0 {
				num, rest = num[:end], num[end:]
			}
			if n, err := strconv.Atoi(num); err == nil && n >= 0 && n < 64 && (rest == "" || rest == "/") {
				t.Track = n
				s = strings.TrimRight(s[:i], "/")
				s = strings.TrimSuffix(s, "&")
				break
			}
		}
	}
	q := ""
	if i := strings.IndexByte(s, '?'); i >= 0 {
		s, q = s[:i], s[i+1:]
	}
	q = strings.TrimRight(q, "/")
	p, err := url.PathUnescape(s)
	if err != nil {
		return t, err
	}
	t.Path = strings.Trim(p, "/")
	t.Query, err = url.ParseQuery(q)
	if err != nil {
		t.Query = url.Values{}
	}
	return t, nil
}

// asciiLower lowers A-Z only, so that indices into the result are indices
// into s (strings.ToLower rewrites invalid UTF-8 and changes lengths).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
