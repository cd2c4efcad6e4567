package firmware

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"rtspcam/firmware/config"
)

// notifyHook is the operator's web service: a real HTTP server that
// records every call and refuses the names it is told to.
type notifyHook struct {
	*httptest.Server
	mu      sync.Mutex
	calls   []url.Values
	methods []string
	forbid  map[string]bool // name → answer 403 to play/publish
	hang    map[string]bool // name → never answer
	release chan struct{}
}

func newNotifyHook(t *testing.T) *notifyHook {
	h := &notifyHook{forbid: map[string]bool{}, hang: map[string]bool{}, release: make(chan struct{})}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var f url.Values
		if r.Method == http.MethodPost {
			if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
				t.Errorf("POST hook with Content-Type %q", r.Header.Get("Content-Type"))
			}
			b, _ := io.ReadAll(r.Body)
			f, _ = url.ParseQuery(string(b))
		} else {
			f = r.URL.Query()
		}
		if got := strings.TrimPrefix(r.URL.Path, "/"); got != f.Get("call") {
			t.Errorf("hook %s got call=%q", r.URL.Path, f.Get("call"))
		}
		h.mu.Lock()
		h.calls = append(h.calls, f)
		h.methods = append(h.methods, r.Method)
		forbid, hang := h.forbid[f.Get("name")], h.hang[f.Get("name")]
		h.mu.Unlock()
		call := f.Get("call")
		if hang && call != "done" {
			select {
			case <-h.release:
			case <-r.Context().Done():
			}
			return
		}
		if forbid && (call == "play" || call == "publish") {
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	t.Cleanup(func() {
		close(h.release)
		h.Close()
	})
	return h
}

// callsFor returns the recorded calls naming name, in order.
func (h *notifyHook) callsFor(name string) []url.Values {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []url.Values
	for _, c := range h.calls {
		if c.Get("name") == name {
			out = append(out, c)
		}
	}
	return out
}

func (h *notifyHook) waitCalls(t *testing.T, name string, want ...string) []url.Values {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		cs := h.callsFor(name)
		var got []string
		for _, c := range cs {
			got = append(got, c.Get("call"))
		}
		if slices.Equal(got, want) {
			return cs
		}
		if time.Now().After(deadline) {
			t.Fatalf("hook calls for %q: %v, want %v", name, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func notifyStart(t *testing.T, h *notifyHook, method string, timeout time.Duration) *testApp {
	return pubStart(t, func(c *config.Config) {
		c.HTTPNotify = config.Notify{Enable: true, OnConnect: h.URL + "/connect", OnPlay: h.URL + "/play",
			OnPublish: h.URL + "/publish", OnDone: h.URL + "/done", Method: method, Timeout: timeout}
	}, PublishOptions{})
}

// checkCall checks every field a hook receives.
func checkCall(t *testing.T, c url.Values, call, base, name string) {
	t.Helper()
	want := map[string]string{"protocol": "rtsp", "call": call, "addr": "127.0.0.1", "name": name}
	for k, v := range want {
		if c.Get(k) != v {
			t.Errorf("%s: %s=%q, want %q (%v)", call, k, c.Get(k), v, c)
		}
	}
	if u := c.Get("url"); !strings.HasPrefix(u, base+name) {
		t.Errorf("%s: url=%q, want %s…", call, u, base+name)
	}
	if c.Get("clientid") == "" {
		t.Errorf("%s: no clientid", call)
	}
}

// TestNotifyPlay: ffprobe plays the test pattern; the hooks hear connect,
// play and done, every field set, over POST and GET.
func TestNotifyPlay(t *testing.T) {
	t.Parallel()
	e2eRequireTools(t, "ffprobe")
	for _, method := range []string{"POST", "GET"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			h := newNotifyHook(t)
			pa := notifyStart(t, h, method, 5*time.Second)
			if _, err := e2eFFprobe(context.Background(), pa.base+"testpattern", "-rtsp_transport", "tcp"); err != nil {
				t.Fatal(err)
			}
			cs := h.waitCalls(t, "testpattern", "connect", "play", "done")
			for i, call := range []string{"connect", "play", "done"} {
				checkCall(t, cs[i], call, pa.base, "testpattern")
			}
			if cs[0].Get("clientid") != cs[1].Get("clientid") || cs[1].Get("clientid") != cs[2].Get("clientid") {
				t.Errorf("one connection, client ids %q %q %q", cs[0].Get("clientid"), cs[1].Get("clientid"), cs[2].Get("clientid"))
			}
			h.mu.Lock()
			for _, m := range h.methods {
				if m != method {
					t.Errorf("hook called with %s, configured %s", m, method)
				}
			}
			h.mu.Unlock()
		})
	}
}

// TestNotifyRefusesPlayAndPublish: a 403 from the hook refuses a player
// and an RTSP publisher; an allowed publish gets publish and done.
func TestNotifyRefusesPlayAndPublish(t *testing.T) {
	t.Parallel()
	e2eRequireTools(t, "ffmpeg", "ffprobe")
	h := newNotifyHook(t)
	h.forbid["testpattern"] = true
	h.forbid["live/denied"] = true
	pa := notifyStart(t, h, "POST", 5*time.Second)

	_, err := e2eFFprobe(context.Background(), pa.base+"testpattern", "-rtsp_transport", "tcp")
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("refused play: ffprobe %v, want a 403", err)
	}
	h.waitCalls(t, "testpattern", "connect", "play")

	clip := e2eMakeClip(t, t.TempDir(), "pub.mkv", e2eJoin(e2eVideoIn("320x240"),
		[]string{"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p"}))
	denied := ffmpegPublish(t, clip, pa.base+"live/denied", "tcp", true)
	select {
	case <-denied.done:
		if denied.err == nil {
			t.Error("refused publisher exited cleanly")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("refused publisher still running")
	}
	if slices.Contains(pa.app.Publications(), "live/denied") {
		t.Error("refused path published")
	}
	h.waitCalls(t, "live/denied", "connect", "publish")

	ok := ffmpegPublish(t, clip, pa.base+"live/ok", "tcp", false)
	pa.waitPublished(t, ok, "live/ok")
	ok.stop()
	cs := h.waitCalls(t, "live/ok", "connect", "publish", "done")
	checkCall(t, cs[1], "publish", pa.base, "live/ok")
	checkCall(t, cs[2], "done", pa.base, "live/ok")
	if !strings.Contains(pa.logs.String(), "refused by the play hook") || !strings.Contains(pa.logs.String(), "refused by the publish hook") {
		t.Errorf("no log line for the refusals:\n%s", pa.logs.String())
	}
}

// TestNotifyTimeoutHoldsOnlyItsClient: a hook that never answers refuses
// its client after the timeout, while another client is served meanwhile.
func TestNotifyTimeoutHoldsOnlyItsClient(t *testing.T) {
	t.Parallel()
	e2eRequireTools(t, "ffmpeg", "ffprobe")
	const timeout = 4 * time.Second
	h := newNotifyHook(t)
	pa := notifyStart(t, h, "POST", timeout)
	// A file path whose connect hook hangs: name is the path asked for.
	h.hang["slow.mkv"] = true
	e2eMakeClip(t, pa.app.Config().MediaDir, "slow.mkv", e2eJoin(e2eVideoIn("160x120"), []string{"-c:v", "mjpeg", "-t", "1"}))
	slow := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := e2eFFprobe(context.Background(), pa.base+"slow.mkv", "-rtsp_transport", "tcp")
		slow <- err
	}()
	h.waitCalls(t, "slow.mkv", "connect")
	// Another client's connect hook and DESCRIBE are answered while the
	// first client's hook still hangs (checked below: the slow client is
	// not done yet), however long a loaded machine takes for either.
	if status := rtspStatus(t, pa.base+"testpattern"); status != "RTSP/1.0 200 OK" {
		t.Errorf("another client while a hook hangs: %q", status)
	}
	h.waitCalls(t, "testpattern", "connect")
	select {
	case err := <-slow:
		t.Fatalf("slow client finished before its hook timed out: %v", err)
	default:
	}
	err := <-slow
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("hook timeout: ffprobe %v, want a 403", err)
	}
	if d := time.Since(start); d < timeout {
		t.Errorf("refused after %v, before the %v timeout", d, timeout)
	}
}

// rtspStatus sends one DESCRIBE for url on a new connection and returns
// the status line.
func rtspStatus(t *testing.T, url string) string {
	t.Helper()
	host := strings.TrimPrefix(url, "rtsp://")
	host = host[:strings.IndexByte(host, '/')]
	c, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprintf(c, "DESCRIBE %s RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n", url); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("DESCRIBE %s: %v", url, err)
	}
	return strings.TrimSpace(line)
}
