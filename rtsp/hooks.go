package rtsp

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
)

// Hooks is implemented by a Handler that wants to be told about clients
// and to refuse them (the application's HTTP notify hooks). The Allow
// calls run on the client's own connection goroutine and block only that
// client; a non-nil error refuses it with 403 Forbidden.
type Hooks interface {
	// AllowConnect is asked on the first request of a connection; a
	// refusal closes the connection.
	AllowConnect(ctx context.Context, ev *HookEvent) error
	// AllowPlay is asked on the first PLAY of a session.
	AllowPlay(ctx context.Context, ev *HookEvent) error
	// AllowPublish is asked when a client announces a stream to publish.
	AllowPublish(ctx context.Context, ev *HookEvent) error
	// Done is told when a session that was allowed to play or publish
	// ends. It must not block.
	Done(ev *HookEvent)
}

// HookEvent says who asks for what.
type HookEvent struct {
	RemoteAddr string // host:port of the client
	URL        string // the URL of the request
	Path       string // the path it names, as Request.Path
	ClientID   string // the connection's id, the same for all its events
	User       string // the authenticated user, "" when auth is off
	// Publish tells, for Done, that the session published.
	Publish bool
}

// nextClientID numbers connections for HookEvent.ClientID.
var nextClientID atomic.Uint64

// connHook is a connection's hook state.
type connHook struct {
	id        string
	connected bool
}

// sessionHook is a session's hook state: the event of the play or publish
// a hook allowed, for Done.
type sessionHook struct {
	mu      sync.Mutex
	allowed *HookEvent
	done    bool
}

func (s *Server) hooks() Hooks {
	h, _ := s.Handler.(Hooks)
	return h
}

func (c *serverConn) hookEvent(url, user string) *HookEvent {
	if c.hook.id == "" {
		c.hook.id = strconv.FormatUint(nextClientID.Add(1), 10)
	}
	ev := &HookEvent{RemoteAddr: c.remote, URL: url, ClientID: c.hook.id, User: user}
	if t, err := parseTarget(url); err == nil {
		ev.Path = t.Path
	}
	return ev
}

// hookConnect asks the connect hook on the first request; false means
// refused (the caller answers 403 and closes).
func (c *serverConn) hookConnect(url string) bool {
	h := c.s.hooks()
	if h == nil || c.hook.connected {
		return true
	}
	c.hook.connected = true
	if err := h.AllowConnect(context.Background(), c.hookEvent(url, "")); err != nil {
		c.s.log().Warn("connection refused by the connect hook", "remote", c.remote, "url", url, "err", err)
		return false
	}
	return true
}

// hookPlay asks the play hook on the first PLAY of ss; false means
// refused.
func (c *serverConn) hookPlay(url string, ss *serverSession) bool {
	h := c.s.hooks()
	if h == nil {
		return true
	}
	ss.hook.mu.Lock()
	allowed := ss.hook.allowed != nil
	ss.hook.mu.Unlock()
	if allowed {
		return true
	}
	ev := c.hookEvent(url, ss.user)
	ev.Path = ss.path
	if err := h.AllowPlay(context.Background(), ev); err != nil {
		c.s.log().Warn("play refused by the play hook", "remote", c.remote, "path", ss.path, "session", ss.id, "err", err)
		return false
	}
	ss.hook.mu.Lock()
	ss.hook.allowed = ev
	ss.hook.mu.Unlock()
	return true
}

// hookPublish asks the publish hook for an ANNOUNCE; nil means refused,
// else the event to hand to the publishing session with markPublished.
func (c *serverConn) hookPublish(url, path, user string) (*HookEvent, bool) {
	h := c.s.hooks()
	if h == nil {
		return nil, true
	}
	ev := c.hookEvent(url, user)
	ev.Path = path
	ev.Publish = true
	if err := h.AllowPublish(context.Background(), ev); err != nil {
		c.s.log().Warn("publish refused by the publish hook", "remote", c.remote, "path", path, "err", err)
		return nil, false
	}
	return ev, true
}

// markPublished tells ss that its publish was allowed with ev, so that its
// end is reported.
func (ss *serverSession) markPublished(ev *HookEvent) {
	if ev == nil {
		return
	}
	ss.hook.mu.Lock()
	ss.hook.allowed = ev
	ss.hook.mu.Unlock()
}

// hookDone reports the end of an allowed play or publish, once.
func (ss *serverSession) hookDone() {
	ss.hook.mu.Lock()
	ev := ss.hook.allowed
	report := ev != nil && !ss.hook.done
	ss.hook.done = true
	ss.hook.mu.Unlock()
	if !report {
		return
	}
	if h := ss.s.hooks(); h != nil {
		h.Done(ev)
	}
}
