package auth

import (
	"errors"
	"testing"
)

// FuzzCheck: any Authorization value and request URL give a user only with
// the right password, and an error otherwise; never a panic.
func FuzzCheck(f *testing.F) {
	v := newTestValidator()
	s, _ := NewSender(v.Challenges(false), "admin", "12345")
	f.Add("DESCRIBE", "rtsp://h/live", s.Authorization("DESCRIBE", "rtsp://h/live"))
	f.Add("OPTIONS", "*", "Basic YWRtaW46MTIzNDU=")
	f.Add("PLAY", "rtsp://h/live", `Digest username="admin", realm="rtspcam", nonce="00", uri="/live", response="00", qop=auth, nc=1, cnonce="x"`)
	f.Add("SETUP", "/x", "Basic !!")
	f.Fuzz(func(t *testing.T, method, url, authz string) {
		user, err := v.Check(method, url, authz)
		if err == nil {
			if user != "admin" && user != "viewer" {
				t.Fatalf("accepted unknown user %q", user)
			}
			return
		}
		if user != "" {
			t.Fatalf("user %q with error %v", user, err)
		}
		if !errors.Is(err, ErrNoCredentials) && !errors.Is(err, ErrBadCredentials) && !errors.Is(err, ErrStaleNonce) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}
