package headers

import (
	"strconv"
	"strings"
)

// Session is a Session header (RFC 2326 §12.37): "ID;timeout=60".
type Session struct {
	ID string
	// Timeout in seconds; 0 when absent.
	Timeout int
}

// ParseSession parses a Session header value. Unknown parameters are
// ignored.
func ParseSession(v string) (Session, error) {
	var s Session
	if err := checkLen("Session", v); err != nil {
		return s, err
	}
	parts := strings.Split(v, ";")
	s.ID = strings.TrimSpace(parts[0])
	if s.ID == "" {
		return s, malformed("Session", "empty session ID")
	}
	for i := 0; i < len(s.ID); i++ {
		if c := s.ID[i]; c <= ' ' || c >= 0x7f || c == '"' || c == ',' {
			return s, malformed("Session", "bad session ID "+short(s.ID))
		}
	}
	for _, p := range parts[1:] {
		k, val, _ := cutParam(p)
		if k != "timeout" {
			continue
		}
		n, err := strconv.ParseInt(val, 10, 32)
		if err != nil || n < 0 {
			return s, malformed("Session", "timeout "+short(val))
		}
		s.Timeout = int(n)
	}
	return s, nil
}

// String formats s: "ID" or "ID;timeout=N".
func (s Session) String() string {
	if s.Timeout > 0 {
		return s.ID + ";timeout=" + strconv.Itoa(s.Timeout)
	}
	return s.ID
}
