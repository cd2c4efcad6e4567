package notify

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sync"
	"testing"
	"time"
)

// hookServer is a real HTTP server that records what every hook got.
type hookServer struct {
	*httptest.Server
	mu    sync.Mutex
	got   []hookHit
	hits  chan hookHit
	reply func(h hookHit, w http.ResponseWriter, r *http.Request)
}

type hookHit struct {
	Path, Method, ContentType string
	Form                      url.Values
}

func newHookServer(t *testing.T, reply func(h hookHit, w http.ResponseWriter, r *http.Request)) *hookServer {
	t.Helper()
	hs := &hookServer{hits: make(chan hookHit, 100), reply: reply}
	hs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := hookHit{Path: r.URL.Path, Method: r.Method, ContentType: r.Header.Get("Content-Type")}
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			h.Form, _ = url.ParseQuery(string(body))
		} else {
			h.Form = r.URL.Query()
		}
		hs.mu.Lock()
		hs.got = append(hs.got, h)
		hs.mu.Unlock()
		hs.hits <- h
		if hs.reply != nil {
			hs.reply(h, w, r)
		}
	}))
	t.Cleanup(hs.Close)
	return hs
}

func (hs *hookServer) config(method string) Config {
	return Config{
		OnConnect: hs.URL + "/connect", OnPlay: hs.URL + "/play?key=k1",
		OnPublish: hs.URL + "/publish", OnDone: hs.URL + "/done",
		Method: method, Timeout: 2 * time.Second,
	}
}

func (hs *hookServer) next(t *testing.T) hookHit {
	t.Helper()
	select {
	case h := <-hs.hits:
		return h
	case <-time.After(5 * time.Second):
		t.Fatal("hook not called")
		return hookHit{}
	}
}

func checkFields(t *testing.T, h hookHit, call, name string) {
	t.Helper()
	want := map[string]string{
		"protocol": "rtsp", "call": call, "addr": "192.0.2.7",
		"url": "rtsp://cam.example:8554/" + name, "name": name, "clientid": "42",
	}
	for k, v := range want {
		if got := h.Form.Get(k); got != v {
			t.Errorf("on_%s: %s = %q, want %q (form %v)", call, k, got, v, h.Form)
		}
	}
}

func event(name string) Event {
	return Event{Addr: "192.0.2.7:51234", URL: "rtsp://cam.example:8554/" + name, Name: name, ClientID: "42"}
}

func TestEveryCallSendsEveryField(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"POST", "GET"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			hs := newHookServer(t, nil)
			c, err := New(hs.config(method))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ctx := context.Background()
			calls := []struct {
				call Call
				path string
				do   func() error
			}{
				{CallConnect, "/connect", func() error { return c.Connect(ctx, event("live/cam1")) }},
				{CallPlay, "/play", func() error { return c.Play(ctx, event("live/cam1")) }},
				{CallPublish, "/publish", func() error { return c.Publish(ctx, event("live/cam1")) }},
				{CallDone, "/done", func() error { c.Done(event("live/cam1")); return nil }},
			}
			for _, cl := range calls {
				if err := cl.do(); err != nil {
					t.Fatalf("on_%s: %v", cl.call, err)
				}
				h := hs.next(t)
				if h.Path != cl.path || h.Method != method {
					t.Errorf("on_%s: got %s %s, want %s %s", cl.call, h.Method, h.Path, method, cl.path)
				}
				if method == "POST" && h.ContentType != "application/x-www-form-urlencoded" {
					t.Errorf("on_%s: Content-Type %q", cl.call, h.ContentType)
				}
				checkFields(t, h, string(cl.call), "live/cam1")
				if cl.call == CallPlay && method == "GET" && h.Form.Get("key") != "k1" {
					t.Errorf("GET dropped the hook URL's own query: %v", h.Form)
				}
			}
			c.Close()
			if s := c.Stats(); s.Allowed != 3 || s.Done != 1 || s.Refused != 0 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	hs := newHookServer(t, func(h hookHit, w http.ResponseWriter, r *http.Request) {
		switch h.Form.Get("name") {
		case "forbidden":
			w.WriteHeader(http.StatusForbidden)
		case "moved":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case "created":
			w.WriteHeader(http.StatusCreated)
		}
	})
	c, err := New(hs.config("POST"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		status int
	}{{"forbidden", 403}, {"moved", 302}, {"created", 0}} {
		for _, do := range []func(context.Context, Event) error{c.Connect, c.Play, c.Publish} {
			err := do(ctx, event(tc.name))
			hs.next(t)
			if tc.status == 0 {
				if err != nil {
					t.Errorf("%s: %v, want allowed", tc.name, err)
				}
				continue
			}
			var re *RefusedError
			if !errors.As(err, &re) || re.Status != tc.status || !errors.Is(err, ErrRefused) {
				t.Errorf("%s: err %v, want refusal with status %d", tc.name, err, tc.status)
			}
		}
	}
	// Nobody listens: refused with the transport error.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	c2, err := New(Config{OnPlay: dead.URL + "/play"})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	err = c2.Play(ctx, event("x"))
	var re *RefusedError
	if !errors.As(err, &re) || re.Err == nil || re.Status != 0 {
		t.Errorf("dead hook: %v, want transport refusal", err)
	}
}

func TestHookThatNeverAnswersTimesOut(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hs := newHookServer(t, func(h hookHit, w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	cfg := hs.config("POST")
	cfg.Timeout = 300 * time.Millisecond
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	err = c.Publish(context.Background(), event("cam"))
	took := time.Since(start)
	if !errors.Is(err, ErrRefused) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want a timeout refusal", err)
	}
	if took < cfg.Timeout || took > cfg.Timeout+2*time.Second {
		t.Errorf("refused after %v, timeout is %v", took, cfg.Timeout)
	}
	if s := c.Stats(); s.TimedOut != 1 || s.Refused != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestSlowHookDelaysOnlyItsClient(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hs := newHookServer(t, func(h hookHit, w http.ResponseWriter, r *http.Request) {
		if h.Form.Get("clientid") == "slow" {
			<-release
		}
	})
	c, err := New(hs.config("GET"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	slowDone := make(chan error, 1)
	go func() {
		ev := event("a")
		ev.ClientID = "slow"
		slowDone <- c.Play(context.Background(), ev)
	}()
	if h := hs.next(t); h.Form.Get("clientid") != "slow" {
		t.Fatalf("first hit %v", h.Form)
	}
	for i := 0; i < 5; i++ {
		start := time.Now()
		if err := c.Play(context.Background(), event("b")); err != nil {
			t.Fatal(err)
		}
		hs.next(t)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("fast client waited %v behind the slow one", d)
		}
	}
	select {
	case err := <-slowDone:
		t.Fatalf("slow client finished before its hook answered: %v", err)
	default:
	}
	close(release)
	if err := <-slowDone; err != nil {
		t.Fatal(err)
	}
}

func TestBoundedAndNoLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	release := make(chan struct{})
	hs := newHookServer(t, func(h hookHit, w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	cfg := hs.config("POST")
	cfg.MaxPending = 2
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.Done(event("a"))
	c.Done(event("b"))
	hs.next(t)
	hs.next(t)
	c.Done(event("c")) // no slot: dropped, not queued without end
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	err = c.Play(ctx, event("d")) // waits for a slot within its own time
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("held call without a slot: %v", err)
	}
	close(release)
	c.Close()
	if s := c.Stats(); s.Dropped != 1 || s.Done != 2 {
		t.Errorf("stats %+v", s)
	}
	c.Done(event("late")) // after Close: nothing
	if err := c.Play(context.Background(), event("late")); !errors.Is(err, ErrClosed) {
		t.Errorf("play after Close: %v", err)
	}
	hs.Close()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

func TestNewChecksConfig(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{Method: "PUT"},
		{OnPlay: "ftp://x/y"},
		{OnDone: "http://"},
		{OnConnect: "://bad"},
	} {
		if c, err := New(cfg); err == nil {
			c.Close()
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Play(context.Background(), event("x")); err != nil {
		t.Errorf("no hook configured must allow: %v", err)
	}
}
