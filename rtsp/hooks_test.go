package rtsp_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"rtspcam/rtsp"
)

// hookedHandler is the test handler with hooks that record every event and
// refuse what refuse names ("connect", "play" or a path).
type hookedHandler struct {
	rtsp.Handler
	mu     sync.Mutex
	events []string
	refuse map[string]bool
	done   chan *rtsp.HookEvent
	ids    map[string]bool
}

func (h *hookedHandler) record(call string, ev *rtsp.HookEvent) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, call+" "+ev.Path)
	h.ids[ev.ClientID] = true
	if ev.RemoteAddr == "" || ev.ClientID == "" || !strings.HasPrefix(ev.URL, "rtsp://") {
		return errors.New("incomplete event")
	}
	if h.refuse[call] || h.refuse[ev.Path] && call == "play" {
		return errors.New("refused")
	}
	return nil
}

func (h *hookedHandler) AllowConnect(_ context.Context, ev *rtsp.HookEvent) error {
	return h.record("connect", ev)
}
func (h *hookedHandler) AllowPlay(_ context.Context, ev *rtsp.HookEvent) error {
	return h.record("play", ev)
}
func (h *hookedHandler) AllowPublish(_ context.Context, ev *rtsp.HookEvent) error {
	return h.record("publish", ev)
}
func (h *hookedHandler) Done(ev *rtsp.HookEvent) {
	h.record("done", ev)
	h.done <- ev
}

func (h *hookedHandler) log() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.events...)
}

func hookedServer(t *testing.T, refuse ...string) (*testServer, *hookedHandler) {
	h := &hookedHandler{refuse: map[string]bool{}, done: make(chan *rtsp.HookEvent, 10), ids: map[string]bool{}}
	for _, r := range refuse {
		h.refuse[r] = true
	}
	ts := newTestServer(t, false, func(s *rtsp.Server) {
		h.Handler = s.Handler
		s.Handler = h
	})
	return ts, h
}

func TestHooksConnectPlayDone(t *testing.T) {
	t.Parallel()
	ts, h := hookedServer(t)
	c := dial(t, ts.addr)
	expectStatus(t, "OPTIONS", c.do("OPTIONS", ts.url("live"), nil), 200)
	res := c.do("SETUP", ts.url("live/trackID=0"), hdr("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"))
	expectStatus(t, "SETUP", res, 200)
	id := sessionID(t, res)
	expectStatus(t, "PLAY", c.do("PLAY", ts.url("live"), hdr("Session", id)), 200)
	rtpFrames(t, c, 0, 3)
	// A repeated PLAY (a keep-alive for some clients) asks nothing again.
	expectStatus(t, "PLAY again", c.do("PLAY", ts.url("live"), hdr("Session", id)), 200)
	expectStatus(t, "TEARDOWN", c.do("TEARDOWN", ts.url("live"), hdr("Session", id)), 200)
	select {
	case ev := <-h.done:
		if ev.Path != "live" || ev.Publish {
			t.Errorf("done event %+v", ev)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no done after TEARDOWN")
	}
	want := []string{"connect live", "play live", "done live"}
	if got := h.log(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("events %v, want %v", got, want)
	}
	if len(h.ids) != 1 {
		t.Errorf("one connection got client ids %v", h.ids)
	}
	// A second connection is a new client.
	c2 := dial(t, ts.addr)
	expectStatus(t, "OPTIONS", c2.do("OPTIONS", ts.url("live"), nil), 200)
	if len(h.ids) != 2 {
		t.Errorf("two connections got client ids %v", h.ids)
	}
}

func TestHooksRefuse(t *testing.T) {
	t.Parallel()
	t.Run("connect", func(t *testing.T) {
		ts, h := hookedServer(t, "connect")
		c := dial(t, ts.addr)
		expectStatus(t, "DESCRIBE", c.do("DESCRIBE", ts.url("live"), nil), 403)
		if got := h.log(); len(got) != 1 {
			t.Errorf("events %v", got)
		}
	})
	t.Run("play", func(t *testing.T) {
		ts, h := hookedServer(t, "live")
		c := dial(t, ts.addr)
		res := c.do("SETUP", ts.url("live/trackID=0"), hdr("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"))
		expectStatus(t, "SETUP", res, 200)
		id := sessionID(t, res)
		expectStatus(t, "PLAY", c.do("PLAY", ts.url("live"), hdr("Session", id)), 403)
		expectStatus(t, "TEARDOWN", c.do("TEARDOWN", ts.url("live"), hdr("Session", id)), 200)
		waitFor(t, "no sessions", 2*time.Second, func() bool { return ts.srv.Sessions() == 0 })
		// Nothing played, so nothing ended: no done.
		select {
		case ev := <-h.done:
			t.Errorf("done for a refused play: %+v", ev)
		case <-time.After(100 * time.Millisecond):
		}
	})
}

// TestHooksDoneOnConnectionLoss: a player that vanishes still gets its done.
func TestHooksDoneOnConnectionLoss(t *testing.T) {
	t.Parallel()
	ts, h := hookedServer(t)
	c := dial(t, ts.addr)
	res := c.do("SETUP", ts.url("live/trackID=0"), hdr("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"))
	id := sessionID(t, res)
	expectStatus(t, "PLAY", c.do("PLAY", ts.url("live"), hdr("Session", id)), 200)
	c.nc.Close()
	select {
	case <-h.done:
	case <-time.After(3 * time.Second):
		t.Fatal("no done after the connection dropped")
	}
}
