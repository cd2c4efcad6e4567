package auth

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// RFC 2617 §3.5: the example request and its exact response.
const (
	rfcNonce    = "dcd98b7102dd2f0e8b11d0f600bfb0c093"
	rfcOpaque   = "5ccc069c403ebaf9f0171e9517f40e41"
	rfcResponse = "6629fae49393a05397450978507c4ef1"
)

func TestRFC2617Example(t *testing.T) {
	d := digestParams{user: "Mufasa", realm: "testrealm@host.com", password: "Circle Of Life",
		nonce: rfcNonce, cnonce: "0a4f113b", qop: "auth", nc: "00000001", method: "GET", uri: "/dir/index.html"}
	if got := d.response(); got != rfcResponse {
		t.Fatalf("response %s, want %s", got, rfcResponse)
	}

	// The Sender, answering the RFC's challenge with the RFC's cnonce,
	// writes the RFC's Authorization.
	s, err := NewSender([]string{`Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="` + rfcNonce + `", opaque="` + rfcOpaque + `"`}, "Mufasa", "Circle Of Life")
	if err != nil {
		t.Fatal(err)
	}
	s.cnonce = "0a4f113b"
	got := s.Authorization("GET", "/dir/index.html")
	want := `Digest username="Mufasa", realm="testrealm@host.com", nonce="` + rfcNonce + `", uri="/dir/index.html", response="` + rfcResponse +
		`", opaque="` + rfcOpaque + `", qop=auth, nc=00000001, cnonce="0a4f113b"`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func newTestValidator() *Validator {
	v := NewValidator("rtspcam", []byte("test secret"), 5*time.Minute)
	v.SetUsers(map[string]string{"admin": "12345", "viewer": "p\"w:d"})
	return v
}

func TestSenderAndValidatorAgree(t *testing.T) {
	v := newTestValidator()
	const url = "rtsp://192.168.1.10:554/live/main"
	digestNoQop := strings.Replace(v.Challenges(false)[0], `, qop="auth"`, "", 1)
	sess := strings.Replace(v.Challenges(false)[0], "algorithm=MD5", "algorithm=MD5-sess", 1)
	for _, c := range []struct {
		name       string
		challenges []string
		user, pass string
		uri        string
		wantErr    error
	}{
		{"digest qop", v.Challenges(false), "admin", "12345", url, nil},
		{"digest relative uri", v.Challenges(false), "admin", "12345", "/live/main", nil},
		{"digest trailing slash", v.Challenges(false), "admin", "12345", url + "/", nil},
		{"digest no qop (RFC 2069)", []string{digestNoQop}, "admin", "12345", url, nil},
		{"digest MD5-sess", []string{sess}, "admin", "12345", url, nil},
		{"digest quote and colon in password", v.Challenges(false), "viewer", "p\"w:d", url, nil},
		{"basic", []string{`Basic realm="rtspcam"`}, "admin", "12345", url, nil},
		{"digest wrong password", v.Challenges(false), "admin", "wrong", url, ErrBadCredentials},
		{"digest unknown user", v.Challenges(false), "root", "12345", url, ErrBadCredentials},
		{"digest other path", v.Challenges(false), "admin", "12345", "rtsp://192.168.1.10/other", ErrBadCredentials},
		{"basic wrong password", []string{`Basic realm="rtspcam"`}, "admin", "1234", url, ErrBadCredentials},
		{"other validator's nonce", NewValidator("rtspcam", []byte("other secret"), time.Minute).Challenges(false), "admin", "12345", url, ErrBadCredentials},
		{"other realm", []string{strings.Replace(v.Challenges(false)[0], `realm="rtspcam"`, `realm="x"`, 1)}, "admin", "12345", url, ErrBadCredentials},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := NewSender(c.challenges, c.user, c.pass)
			if err != nil {
				t.Fatal(err)
			}
			auth := s.Authorization("DESCRIBE", c.uri)
			user, err := v.Check("DESCRIBE", url, auth)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("Check(%s) = %q, %v; want %v", auth, user, err, c.wantErr)
			}
			if err == nil && user != c.user {
				t.Fatalf("user %q", user)
			}
			if err != nil && strings.Contains(err.Error(), c.pass) {
				t.Fatalf("error %q reveals the password", err)
			}
			// A second request on the same nonce (nc=2) passes too.
			if c.wantErr == nil {
				if _, err := v.Check("SETUP", url, s.Authorization("SETUP", c.uri)); err != nil {
					t.Fatalf("second request: %v", err)
				}
				// The digest covers the method.
				if _, err := v.Check("PLAY", url, s.Authorization("SETUP", c.uri)); s.digest && !errors.Is(err, ErrBadCredentials) {
					t.Fatalf("digest for SETUP passed for PLAY: %v", err)
				}
			}
		})
	}
}

func TestSenderPrefersDigest(t *testing.T) {
	v := newTestValidator()
	ch := v.Challenges(false)
	s, err := NewSender([]string{ch[1], ch[0]}, "admin", "12345")
	if err != nil || !s.digest {
		t.Fatalf("%v digest=%v", err, s != nil && s.digest)
	}
	if _, err := NewSender([]string{`Negotiate`, `Digest realm="r", nonce="n", algorithm=SHA-512-256`}, "a", "b"); !errors.Is(err, ErrUnsupportedChallenge) {
		t.Fatalf("unsupported: %v", err)
	}
}

func TestStaleNonce(t *testing.T) {
	v := newTestValidator()
	start := time.Now()
	v.now = func() time.Time { return start }
	ch := v.Challenges(false)
	if !strings.HasPrefix(ch[0], `Digest realm="rtspcam", nonce="`) || !strings.Contains(ch[0], `qop="auth"`) ||
		!strings.Contains(ch[0], "algorithm=MD5") || ch[1] != `Basic realm="rtspcam"` || strings.Contains(ch[0], "stale") {
		t.Fatalf("challenges %q", ch)
	}
	s, _ := NewSender(ch, "admin", "12345")
	auth := s.Authorization("PLAY", "rtsp://h/live")

	v.now = func() time.Time { return start.Add(4 * time.Minute) }
	if _, err := v.Check("PLAY", "rtsp://h/live", auth); err != nil {
		t.Fatalf("within ttl: %v", err)
	}
	v.now = func() time.Time { return start.Add(6 * time.Minute) }
	if _, err := v.Check("PLAY", "rtsp://h/live", auth); !errors.Is(err, ErrStaleNonce) {
		t.Fatalf("expired: %v", err)
	}
	// An expired nonce with a wrong password is bad, not stale: stale
	// would tell an attacker to just retry.
	bad, _ := NewSender(ch, "admin", "nope")
	if _, err := v.Check("PLAY", "rtsp://h/live", bad.Authorization("PLAY", "rtsp://h/live")); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("expired + wrong password: %v", err)
	}
	stale := v.Challenges(true)
	if !strings.Contains(stale[0], "stale=TRUE") {
		t.Fatalf("stale challenge %q", stale[0])
	}
	// The client retries on the new nonce.
	s2, _ := NewSender(stale, "admin", "12345")
	if _, err := v.Check("PLAY", "rtsp://h/live", s2.Authorization("PLAY", "rtsp://h/live")); err != nil {
		t.Fatalf("fresh nonce: %v", err)
	}
	// A nonce from the future beyond the skew is stale too.
	v.now = func() time.Time { return start.Add(-2 * time.Minute) }
	if _, err := v.Check("PLAY", "rtsp://h/live", auth); !errors.Is(err, ErrStaleNonce) {
		t.Fatalf("future nonce: %v", err)
	}
}

func TestNonceSurvivesRestartWithSameSecret(t *testing.T) {
	a := NewValidator("r", []byte("k"), time.Minute)
	a.SetUsers(map[string]string{"u": "p"})
	s, _ := NewSender(a.Challenges(false), "u", "p")
	b := NewValidator("r", []byte("k"), time.Minute)
	b.SetUsers(map[string]string{"u": "p"})
	if _, err := b.Check("OPTIONS", "rtsp://h/", s.Authorization("OPTIONS", "rtsp://h/")); err != nil {
		t.Fatal(err)
	}
	// Tampering with the time in the nonce breaks its MAC.
	n := a.newNonce(time.Now())
	tampered := "f" + n[1:]
	if n[0] == 'f' {
		tampered = "0" + n[1:]
	}
	if _, ok := a.nonceTime(tampered); ok {
		t.Fatal("tampered nonce accepted")
	}
}

func TestCheckMalformed(t *testing.T) {
	v := newTestValidator()
	if _, err := v.Check("OPTIONS", "*", ""); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("empty: %v", err)
	}
	nonce := v.newNonce(time.Now())
	for _, a := range []string{
		"Bearer xyz",
		"Basic !!!",
		`Digest username="admin", realm="rtspcam", nonce="` + nonce + `", uri="rtsp://h/x", response="00"`,
		`Digest username="admin", realm="rtspcam", nonce="` + nonce + `", uri="rtsp://h/x", response="00", qop=auth-int, nc=1, cnonce="a"`,
		`Digest username="admin", realm="rtspcam", nonce="` + nonce + `", uri="rtsp://h/x", response="00", qop=auth`,
		`Digest username="admin", realm="rtspcam", nonce="zz", uri="rtsp://h/x", response="00"`,
		`Digest username="admin", realm="rtspcam", nonce="` + nonce + `", uri="rtsp://h/x", response="00", algorithm=SHA-256`,
		`Digest username="admin", realm="rtspcam", nonce="` + nonce + `", uri="rtsp://h/x", response="00", opaque="wrong"`,
	} {
		if _, err := v.Check("DESCRIBE", "rtsp://h/x", a); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("Check(%q) = %v", a, err)
		}
	}
}

func TestSetUsersConcurrent(t *testing.T) {
	v := newTestValidator()
	s, _ := NewSender([]string{`Basic realm="rtspcam"`}, "admin", "12345")
	auth := s.Authorization("OPTIONS", "*")
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				if i == 0 {
					v.SetUsers(map[string]string{"admin": "12345", "n": string(rune('a' + j%26))})
					continue
				}
				if _, err := v.Check("OPTIONS", "*", auth); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// Replacing the table drops old users at once.
	v.SetUsers(map[string]string{"other": "x"})
	if _, err := v.Check("OPTIONS", "*", auth); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("removed user: %v", err)
	}
}

func TestSamePath(t *testing.T) {
	for _, c := range []struct {
		uri, req string
		want     bool
	}{
		{"rtsp://h:554/a/b", "rtsp://h:554/a/b", true},
		{"/a/b", "rtsp://h:554/a/b", true},
		{"rtsp://other/a/b/", "rtsp://h/a/b", true},
		{"rtsp://h/a/b?x=1", "rtsp://h/a/b?x=1", true},
		{"*", "*", true},
		{"/a/c", "rtsp://h/a/b", false},
		{"a/b", "rtsp://h/a/b", false},
		{"", "", false},
	} {
		if got := samePath(c.uri, c.req); got != c.want {
			t.Errorf("samePath(%q, %q) = %v", c.uri, c.req, got)
		}
	}
}

func BenchmarkCheckDigest(b *testing.B) {
	v := newTestValidator()
	s, _ := NewSender(v.Challenges(false), "admin", "12345")
	auth := s.Authorization("DESCRIBE", "rtsp://h/live")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Check("DESCRIBE", "rtsp://h/live", auth); err != nil {
			b.Fatal(err)
		}
	}
}
