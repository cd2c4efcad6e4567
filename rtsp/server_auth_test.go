package rtsp_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"rtspcam/rtsp/auth"
)

func newAuthServer(t *testing.T) *testServer {
	t.Helper()
	ts := newTestServer(t, false, nil)
	v := auth.NewValidator("rtspcam", nil, time.Minute)
	v.SetUsers(map[string]string{"admin": "s3cret", "viewer": "pass word"})
	ts.srv.SetAuth(v)
	return ts
}

// TestAuthRaw: Digest and Basic from a hand-driven client, the corner
// cases NVRs exercise.
func TestAuthRaw(t *testing.T) {
	ts := newAuthServer(t)
	u := ts.url("live")

	c := dial(t, ts.addr)
	res := c.do("DESCRIBE", u, nil)
	expectStatus(t, "DESCRIBE without credentials", res, 401)
	challenges := res.Header.Values("WWW-Authenticate")
	if len(challenges) < 2 || !strings.HasPrefix(challenges[0], "Digest ") || !strings.Contains(strings.Join(challenges, "\n"), "Basic ") {
		t.Fatalf("challenges %q, want Digest and Basic", challenges)
	}

	t.Run("digest", func(t *testing.T) {
		s, err := auth.NewSender(challenges, "admin", "s3cret")
		if err != nil {
			t.Fatal(err)
		}
		res := c.do("DESCRIBE", u, hdr("Authorization", s.Authorization("DESCRIBE", u)))
		expectStatus(t, "DESCRIBE with Digest", res, 200)
		// Relative uri in the digest: some clients send only the path.
		res = c.do("DESCRIBE", u, hdr("Authorization", s.Authorization("DESCRIBE", "/live")))
		expectStatus(t, "DESCRIBE with a relative Digest uri", res, 200)
		// Digest for another path must not pass.
		res = c.do("DESCRIBE", u, hdr("Authorization", s.Authorization("DESCRIBE", "/other")))
		expectStatus(t, "Digest uri of another path", res, 401)
		// The same nonce on a second connection (stateless nonces).
		c2 := dial(t, ts.addr)
		res = c2.do("DESCRIBE", u, hdr("Authorization", s.Authorization("DESCRIBE", u)))
		expectStatus(t, "nonce reused on another connection", res, 200)
		// SETUP, then a bare keep-alive on the session as NVRs send it.
		tu := ts.url("live/trackID=0")
		res = c2.do("SETUP", tu, hdr("Authorization", s.Authorization("SETUP", tu), "Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"))
		expectStatus(t, "SETUP with Digest", res, 200)
		id := sessionID(t, res)
		expectStatus(t, "bare GET_PARAMETER on the session", c2.do("GET_PARAMETER", u, hdr("Session", id)), 200)
		expectStatus(t, "bare SETUP of another track", c2.do("SETUP", ts.url("live/trackID=1"), hdr("Session", id, "Transport", "RTP/AVP/TCP;unicast;interleaved=2-3")), 401)
	})
	t.Run("digest wrong password", func(t *testing.T) {
		s, err := auth.NewSender(challenges, "admin", "wrong")
		if err != nil {
			t.Fatal(err)
		}
		res := c.do("DESCRIBE", u, hdr("Authorization", s.Authorization("DESCRIBE", u)))
		expectStatus(t, "wrong password", res, 401)
		s, _ = auth.NewSender(challenges, "nobody", "s3cret")
		res = c.do("DESCRIBE", u, hdr("Authorization", s.Authorization("DESCRIBE", u)))
		expectStatus(t, "unknown user", res, 401)
	})
	t.Run("basic", func(t *testing.T) {
		s, err := auth.NewSender([]string{`Basic realm="rtspcam"`}, "viewer", "pass word")
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, "Basic", c.do("DESCRIBE", u, hdr("Authorization", s.Authorization("DESCRIBE", u))), 200)
		s, _ = auth.NewSender([]string{`Basic realm="rtspcam"`}, "viewer", "nope")
		expectStatus(t, "Basic wrong password", c.do("DESCRIBE", u, hdr("Authorization", s.Authorization("DESCRIBE", u))), 401)
	})
	t.Run("garbage credentials", func(t *testing.T) {
		for _, a := range []string{"Digest", "Digest ,,,", "Basic !!!", "Bearer abc", `Digest username="admin", nonce="x", uri="/live", response="00"`} {
			expectStatus(t, "Authorization "+a, c.do("DESCRIBE", u, hdr("Authorization", a)), 401)
		}
	})
	t.Run("auth off again", func(t *testing.T) {
		ts.srv.SetAuth(nil)
		expectStatus(t, "DESCRIBE after SetAuth(nil)", c.do("DESCRIBE", u, nil), 200)
	})
}

// ffprobeStreams runs ffprobe on url and returns the codec names it found.
func ffprobeStreams(t *testing.T, url string, transport string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Fatalf("ffprobe is required: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-rtsp_transport", transport, "-rw_timeout", "5000000",
		"-show_entries", "stream=codec_name", "-of", "csv=p=0", url).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("ffprobe %s hung: %s", url, out)
	}
	return strings.TrimSpace(string(out)), err
}

// TestAuthFFprobe: a real client logs in with Digest and with Basic, and
// a wrong password is refused with 401 promptly.
func TestAuthFFprobe(t *testing.T) {
	t.Parallel()
	ts := newAuthServer(t)
	t.Run("digest", func(t *testing.T) {
		out, err := ffprobeStreams(t, "rtsp://admin:s3cret@"+ts.addr+"/live", "tcp")
		if err != nil || out != "mjpeg\npcm_mulaw" {
			t.Fatalf("ffprobe with Digest: %v: %q", err, out)
		}
	})
	t.Run("basic", func(t *testing.T) {
		// ffmpeg prefers Digest: a proxy hides the Digest challenge.
		addr, sent := basicOnlyProxy(t, ts.addr)
		out, err := ffprobeStreams(t, "rtsp://admin:s3cret@"+addr+"/live", "tcp")
		if err != nil || out != "mjpeg\npcm_mulaw" {
			t.Fatalf("ffprobe with Basic: %v: %q", err, out)
		}
		if !strings.Contains(sent(), "Authorization: Basic ") {
			t.Errorf("ffprobe did not send Basic credentials:\n%s", sent())
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		begun := time.Now()
		out, err := ffprobeStreams(t, "rtsp://admin:wrong@"+ts.addr+"/live", "tcp")
		if err == nil {
			t.Fatalf("ffprobe with a wrong password succeeded: %q", out)
		}
		if !strings.Contains(out, "401") {
			t.Errorf("ffprobe with a wrong password: %q, want a 401", out)
		}
		if d := time.Since(begun); d > 5*time.Second {
			t.Errorf("refusal took %v", d)
		}
	})
}

// basicOnlyProxy forwards one connection at a time to addr, dropping
// Digest challenges from the server's responses. sent returns what the
// clients sent.
func basicOnlyProxy(t *testing.T, addr string) (proxy string, sent func() string) {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	rec := &lockedBuffer{}
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp4", addr)
			if err != nil {
				in.Close()
				continue
			}
			go func() {
				io.Copy(out, io.TeeReader(in, rec))
				out.Close()
			}()
			go func() {
				br := bufio.NewReader(out)
				for {
					line, err := br.ReadString('\n')
					if !strings.HasPrefix(strings.ToLower(line), "www-authenticate: digest") {
						if _, werr := io.WriteString(in, line); werr != nil {
							break
						}
					}
					if err != nil {
						break
					}
				}
				in.Close()
			}()
		}
	}()
	return l.Addr().String(), rec.String
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 1<<16 {
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
