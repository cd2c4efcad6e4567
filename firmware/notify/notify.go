// Package notify calls the operator's HTTP hooks (<http_notify>): it tells
// a web service about every connect, play, publish and end, and lets it
// refuse the first three.
//
// A hook gets protocol=rtsp, call, addr, url, name and clientid, form
// encoded in a POST body or in a GET query. Connect, play and publish wait
// for the answer: a 2xx lets the client go on; any other status, a
// transport error or the timeout refuses it. Done is sent in the
// background and its answer is not read.
package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of a Config.
const (
	DefaultTimeout = 5 * time.Second
	// DefaultMaxPending bounds the hook requests in flight at once; a held
	// call beyond it waits for a slot within its own timeout, a done call
	// beyond it is dropped and counted.
	DefaultMaxPending = 64
)

// Call names a hook as the "call" field sends it.
type Call string

// The hooks.
const (
	CallConnect Call = "connect"
	CallPlay    Call = "play"
	CallPublish Call = "publish"
	CallDone    Call = "done"
)

// Config says where the hooks are and how to call them. An empty URL means
// that hook is not called (and allows).
type Config struct {
	OnConnect, OnPlay, OnPublish, OnDone string
	// Method is "POST" (default, application/x-www-form-urlencoded body)
	// or "GET" (query string).
	Method string
	// Timeout bounds one call (DefaultTimeout when 0).
	Timeout time.Duration
	// MaxPending bounds calls in flight (DefaultMaxPending when 0).
	MaxPending int
}

// Event is who asks for what.
type Event struct {
	// Addr is the client's address (IP, or IP:port: the port is dropped).
	Addr string
	// URL is the URL the client asked for.
	URL string
	// Name is the stream name: the URL's path without its slashes.
	Name string
	// ClientID identifies the client's connection.
	ClientID string
}

// ErrRefused is wrapped by the error of a hook that did not allow the
// client.
var ErrRefused = errors.New("notify: refused by hook")

// ErrClosed is returned by calls made after Close.
var ErrClosed = errors.New("notify: closed")

// RefusedError tells why a hook refused: its status, or the error that
// stopped the call.
type RefusedError struct {
	Call   Call
	Status int   // the hook's HTTP status, 0 when there was none
	Err    error // the transport error or timeout, nil when the hook answered
}

func (e *RefusedError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("notify: on_%s hook failed: %v", e.Call, e.Err)
	}
	return fmt.Sprintf("notify: on_%s hook answered %d", e.Call, e.Status)
}

// Unwrap lets errors.Is find ErrRefused and the cause.
func (e *RefusedError) Unwrap() []error { return []error{ErrRefused, e.Err} }

// Stats count what the client did.
type Stats struct {
	Allowed  uint64 // held calls a hook allowed
	Refused  uint64 // held calls refused (status, error or timeout)
	Done     uint64 // done calls sent
	Dropped  uint64 // done calls dropped because too many were in flight
	TimedOut uint64 // calls of any kind that ran out of time
}

// Client calls the hooks. It is safe for concurrent use; Close waits for
// the done calls still in flight.
type Client struct {
	cfg  Config
	hc   *http.Client
	tr   *http.Transport
	slot chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	closed bool

	allowed, refused, done, dropped, timedOut atomic.Uint64
}

// New returns a client for cfg. It checks the URLs and the method.
func New(cfg Config) (*Client, error) {
	switch strings.ToUpper(cfg.Method) {
	case "", http.MethodPost:
		cfg.Method = http.MethodPost
	case http.MethodGet:
		cfg.Method = http.MethodGet
	default:
		return nil, fmt.Errorf("notify: method %q: want GET or POST", cfg.Method)
	}
	for _, u := range []string{cfg.OnConnect, cfg.OnPlay, cfg.OnPublish, cfg.OnDone} {
		if u == "" {
			continue
		}
		pu, err := url.Parse(u)
		if err != nil {
			return nil, fmt.Errorf("notify: hook URL: %w", err)
		}
		if pu.Scheme != "http" && pu.Scheme != "https" || pu.Host == "" {
			return nil, fmt.Errorf("notify: hook URL %q: want http:// or https://", u)
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = cfg.MaxPending
	tr.MaxConnsPerHost = cfg.MaxPending
	ctx, cancel := context.WithCancel(context.Background())
	return &Client{
		cfg:    cfg,
		tr:     tr,
		hc:     &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		slot:   make(chan struct{}, cfg.MaxPending),
		ctx:    ctx,
		cancel: cancel,
	}, nil
}

// Connect asks the on_connect hook whether a new connection may go on.
func (c *Client) Connect(ctx context.Context, ev Event) error {
	return c.held(ctx, CallConnect, c.cfg.OnConnect, ev)
}

// Play asks the on_play hook whether the client may play.
func (c *Client) Play(ctx context.Context, ev Event) error {
	return c.held(ctx, CallPlay, c.cfg.OnPlay, ev)
}

// Publish asks the on_publish hook whether the client may publish.
func (c *Client) Publish(ctx context.Context, ev Event) error {
	return c.held(ctx, CallPublish, c.cfg.OnPublish, ev)
}

// Done tells the on_done hook that a play or publish ended. It returns at
// once; the call runs in the background and its answer is ignored.
func (c *Client) Done(ev Event) {
	if c.cfg.OnDone == "" {
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	select {
	case c.slot <- struct{}{}:
	default:
		c.mu.Unlock()
		c.dropped.Add(1)
		return
	}
	c.wg.Add(1)
	c.mu.Unlock()
	go func() {
		defer c.wg.Done()
		defer func() { <-c.slot }()
		ctx, cancel := context.WithTimeout(c.ctx, c.cfg.Timeout)
		defer cancel()
		_, err := c.send(ctx, CallDone, c.cfg.OnDone, ev)
		if errors.Is(err, context.DeadlineExceeded) {
			c.timedOut.Add(1)
		}
		c.done.Add(1)
	}()
}

// held makes one call the client waits for.
func (c *Client) held(ctx context.Context, call Call, hook string, ev Event) error {
	if hook == "" {
		return nil
	}
	if c.ctx.Err() != nil {
		return c.refuse(&RefusedError{Call: call, Err: ErrClosed})
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	stop := context.AfterFunc(c.ctx, cancel) // Close ends calls in flight
	defer stop()
	select {
	case c.slot <- struct{}{}:
	case <-ctx.Done():
		return c.refuse(&RefusedError{Call: call, Err: c.why(ctx)})
	}
	defer func() { <-c.slot }()
	status, err := c.send(ctx, call, hook, ev)
	if err != nil {
		if ctx.Err() != nil {
			err = c.why(ctx)
		}
		return c.refuse(&RefusedError{Call: call, Err: err})
	}
	if status < 200 || status > 299 {
		return c.refuse(&RefusedError{Call: call, Status: status})
	}
	c.allowed.Add(1)
	return nil
}

// why names the reason ctx ended: the server closing or the time running out.
func (c *Client) why(ctx context.Context) error {
	if c.ctx.Err() != nil {
		return ErrClosed
	}
	return ctx.Err()
}

func (c *Client) refuse(e *RefusedError) error {
	c.refused.Add(1)
	if errors.Is(e.Err, context.DeadlineExceeded) {
		c.timedOut.Add(1)
	}
	return e
}

// send makes the HTTP request and returns the hook's status.
func (c *Client) send(ctx context.Context, call Call, hook string, ev Event) (int, error) {
	form := Form(call, ev)
	var req *http.Request
	var err error
	if c.cfg.Method == http.MethodGet {
		u, perr := url.Parse(hook)
		if perr != nil {
			return 0, fmt.Errorf("notify: hook URL: %w", perr)
		}
		q := u.Query()
		for k, vs := range form {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	} else {
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, hook, strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if err != nil {
		return 0, fmt.Errorf("notify: on_%s request: %w", call, err)
	}
	req.Header.Set("User-Agent", "rtspcam-notify")
	res, err := c.hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("notify: on_%s: %w", call, err)
	}
	// Read a little of the body so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
	res.Body.Close()
	return res.StatusCode, nil
}

// Form returns the fields a hook receives for call and ev.
func Form(call Call, ev Event) url.Values {
	addr := ev.Addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		addr = h // host:port or [v6]:port: the hook gets the host
	}
	return url.Values{
		"protocol": {"rtsp"},
		"call":     {string(call)},
		"addr":     {addr},
		"url":      {ev.URL},
		"name":     {ev.Name},
		"clientid": {ev.ClientID},
	}
}

// Stats returns the counters.
func (c *Client) Stats() Stats {
	return Stats{
		Allowed:  c.allowed.Load(),
		Refused:  c.refused.Load(),
		Done:     c.done.Load(),
		Dropped:  c.dropped.Load(),
		TimedOut: c.timedOut.Load(),
	}
}

// Close ends the calls in flight (held ones are refused with ErrClosed),
// waits for the done calls and drops idle connections.
func (c *Client) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	c.tr.CloseIdleConnections()
}
