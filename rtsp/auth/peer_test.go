package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"rtspcam/rtsp/message"
)

// peerServer is the smallest RTSP server that exercises authentication:
// OPTIONS answers 200, DESCRIBE answers 401 until Check passes, then 404
// so the client stops. It records every Check result.
type peerServer struct {
	v        *Validator
	ln       net.Listener
	mu       sync.Mutex
	results  []string
	auths    []string // Authorization values received
	wg       sync.WaitGroup
	onChecks func(n int) // called before each Check with the count so far
	// protectOptions makes OPTIONS need credentials too.
	protectOptions bool
}

// newPeerServer starts a server; configure, when given, sets its options
// before it serves.
func newPeerServer(t *testing.T, v *Validator, configure ...func(*peerServer)) *peerServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &peerServer{v: v, ln: ln}
	for _, c := range configure {
		c(s)
	}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *peerServer) url(userinfo string) string {
	return "rtsp://" + userinfo + s.ln.Addr().String() + "/live/main"
}

func (s *peerServer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(15 * time.Second))
			s.conn(c)
		}()
	}
}

func (s *peerServer) conn(c net.Conn) {
	r := message.NewReader(c)
	for {
		m, err := r.ReadMessage()
		if err != nil {
			return
		}
		req, ok := m.(*message.Request)
		if !ok {
			continue
		}
		res := &message.Response{StatusCode: 501, Header: message.Header{}}
		res.Header.Set("CSeq", req.Header.Get("CSeq"))
		if req.Method != "DESCRIBE" && !(req.Method == "OPTIONS" && s.protectOptions) {
			if req.Method == "OPTIONS" {
				res.StatusCode = 200
				res.Header.Set("Public", "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN")
			}
		} else {
			s.mu.Lock()
			n := len(s.results)
			s.mu.Unlock()
			if s.onChecks != nil {
				s.onChecks(n)
			}
			user, err := s.v.Check(req.Method, req.URL, req.Header.Get("Authorization"))
			s.mu.Lock()
			s.auths = append(s.auths, req.Header.Get("Authorization"))
			if err != nil {
				s.results = append(s.results, req.Method+": "+err.Error())
			} else {
				s.results = append(s.results, req.Method+": ok "+user)
			}
			s.mu.Unlock()
			switch {
			case err != nil:
				res.StatusCode = 401
				for _, ch := range s.v.Challenges(errors.Is(err, ErrStaleNonce)) {
					res.Header.Add("WWW-Authenticate", ch)
				}
			case req.Method == "OPTIONS":
				res.StatusCode = 200
				res.Header.Set("Public", "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN")
			default:
				res.StatusCode = 404
			}
		}
		b, err := res.Marshal()
		if err != nil {
			return
		}
		if _, err := c.Write(b); err != nil {
			return
		}
	}
}

func (s *peerServer) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.results...)
}

func runPeer(t *testing.T, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is required for this test: %v", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s timed out: %s", name, out)
	}
	return string(out)
}

// TestFFprobeDigest: ffprobe answers our Digest challenge and Check
// accepts it; with a wrong password Check refuses it.
func TestFFprobeDigest(t *testing.T) {
	v := newTestValidator()
	s := newPeerServer(t, v)
	out := runPeer(t, "ffprobe", "-v", "error", "-rtsp_transport", "tcp", s.url("admin:12345@"))
	got := s.got()
	if len(got) != 2 || got[0] != "DESCRIBE: "+ErrNoCredentials.Error() || got[1] != "DESCRIBE: ok admin" {
		t.Fatalf("checks %q; ffprobe said %s", got, out)
	}
	if a := s.auths[1]; !strings.HasPrefix(a, "Digest ") || !strings.Contains(a, "qop=") || !strings.Contains(a, "nc=") {
		t.Errorf("ffprobe did not answer with Digest and qop: %s", a)
	}
	if !strings.Contains(out, "404") {
		t.Errorf("ffprobe did not report the 404: %s", out)
	}

	s2 := newPeerServer(t, v)
	runPeer(t, "ffprobe", "-v", "error", "-rtsp_transport", "tcp", s2.url("admin:wrong@"))
	got = s2.got()
	if len(got) < 2 || !strings.HasPrefix(got[1], "DESCRIBE: "+ErrBadCredentials.Error()) {
		t.Fatalf("wrong password: checks %q", got)
	}
}

// TestFFprobeStaleNonce: ffprobe authenticates OPTIONS on a nonce issued
// "10 minutes ago"; by DESCRIBE that nonce has expired, and ffprobe must
// retry on the fresh nonce of our stale=TRUE challenge without failing.
func TestFFprobeStaleNonce(t *testing.T) {
	v := newTestValidator()
	var mu sync.Mutex
	offset := -10 * time.Minute
	v.now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return time.Now().Add(offset)
	}
	s := newPeerServer(t, v, func(s *peerServer) {
		s.protectOptions = true
		s.onChecks = func(n int) {
			if n == 2 {
				mu.Lock()
				offset = 0
				mu.Unlock()
			}
		}
	})
	out := runPeer(t, "ffprobe", "-v", "error", "-rtsp_transport", "tcp", s.url("admin:12345@"))
	got := s.got()
	want := []string{"OPTIONS: " + ErrNoCredentials.Error(), "OPTIONS: ok admin", "DESCRIBE: " + ErrStaleNonce.Error(), "DESCRIBE: ok admin"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("checks %q, want %q; ffprobe said %s", got, want, out)
	}
}

// TestGStreamerDigest: GStreamer's rtspsrc answers our challenge too.
func TestGStreamerDigest(t *testing.T) {
	v := newTestValidator()
	s := newPeerServer(t, v)
	out := runPeer(t, "gst-launch-1.0", "-q", "rtspsrc", "location="+s.url(""), "user-id=admin", "user-pw=12345",
		"protocols=tcp", "!", "fakesink")
	got := s.got()
	ok := false
	for _, r := range got {
		ok = ok || r == "DESCRIBE: ok admin"
	}
	if !ok {
		t.Fatalf("checks %q; gst-launch said %s", got, out)
	}
	// GStreamer answers RFC 2069 style, without qop: that path is
	// checked against a real client here.
	if a := s.auths[len(s.auths)-1]; !strings.HasPrefix(a, "Digest ") {
		t.Errorf("GStreamer did not answer with Digest: %s", a)
	}
}
