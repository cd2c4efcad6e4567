package rtsp

import (
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"rtspcam/rtsp/auth"
	"rtspcam/rtsp/headers"
	"rtspcam/rtsp/message"
	"rtspcam/rtsp/srtp"
)

// serverConn is one RTSP connection: it reads requests and interleaved
// packets, answers requests in order, and carries the interleaved RTP of
// the sessions bound to it.
type serverConn struct {
	s      *Server
	nc     net.Conn
	remote string
	r      *message.Reader

	wmu  sync.Mutex // one writer at a time: responses and interleaved media
	wbuf []byte
	// out takes batches of interleaved media: the socket itself when the
	// kernel can gather them (writev), else nc with the batch copied into
	// cbuf first, since TLS and WebSocket make a record or frame per Write.
	out   io.Writer
	batch bool
	cbuf  []byte

	mu       sync.Mutex
	sessions map[*serverSession]struct{} // sessions created on or bound to this connection
	closed   bool
	ann      *announcement        // an ANNOUNCE awaiting its SETUP (server_record.go)
	offers   map[string]srtp.Keys // SRTP keys a DESCRIBE offered, by path

	hook connHook // see hooks.go
}

func newServerConn(s *Server, nc net.Conn) *serverConn {
	c := &serverConn{
		s:        s,
		nc:       nc,
		remote:   nc.RemoteAddr().String(),
		r:        message.NewReader(nc),
		sessions: map[*serverSession]struct{}{},
	}
	c.out, c.batch = mediaWriter(nc)
	if k, ok := nc.(interface{ setKeepOpen(func() bool) }); ok {
		k.setKeepOpen(c.hasSessions)
	}
	return c
}

func (c *serverConn) hasSessions() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sessions) > 0
}

// writeBuffersLocked sends a batch of interleaved frames; the caller holds
// wmu. Allocation free once cbuf has grown to the largest batch.
func (c *serverConn) writeBuffersLocked(bufs *net.Buffers) error {
	c.nc.SetWriteDeadline(time.Now().Add(c.s.writeTimeout()))
	if !c.batch {
		_, err := bufs.WriteTo(c.out)
		return err
	}
	c.cbuf = c.cbuf[:0]
	for _, b := range *bufs {
		c.cbuf = append(c.cbuf, b...)
	}
	_, err := c.out.Write(c.cbuf)
	return err
}

// run serves the connection until it ends; the caller holds a place in
// the server's wait group.
func (c *serverConn) run() {
	defer c.s.removeConn(c)
	defer c.teardown()
	defer func() {
		if p := recover(); p != nil {
			c.s.log().Error("connection panic", "remote", c.remote, "panic", p, "stack", string(debug.Stack()))
		}
	}()
	c.s.log().Debug("connection opened", "remote", c.remote)
	for {
		c.nc.SetReadDeadline(time.Now().Add(c.readTimeout()))
		msg, err := c.r.ReadMessage()
		if err != nil {
			c.readFailed(err)
			return
		}
		switch m := msg.(type) {
		case *message.Request:
			if !c.handle(m) {
				return
			}
		case *message.Interleaved:
			c.interleaved(m)
		case *message.Response:
			// Answers to nothing we asked: ignore.
		}
	}
}

// readTimeout: a connection that carries sessions is kept open as long as
// its sessions live; an idle one is dropped sooner.
func (c *serverConn) readTimeout() time.Duration {
	c.mu.Lock()
	n := len(c.sessions)
	c.mu.Unlock()
	if n > 0 {
		return c.s.sessionTimeout() + 5*time.Second
	}
	return c.s.idleTimeout()
}

func (c *serverConn) readFailed(err error) {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		c.s.log().Debug("connection closed", "remote", c.remote)
	case errors.Is(err, message.ErrHeaderTooLarge):
		c.s.log().Warn("request header too large, closing", "remote", c.remote)
		c.writeStatus(400, "Request Header Too Large")
	case errors.Is(err, message.ErrBodyTooLarge):
		c.s.log().Warn("request body too large, closing", "remote", c.remote)
		c.writeStatus(413, "")
	default:
		var pe *message.ParseError
		if errors.As(err, &pe) {
			c.s.log().Warn("malformed request, closing", "remote", c.remote, "err", err)
			c.writeStatus(400, "")
			return
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.s.log().Debug("connection idle, closing", "remote", c.remote)
			return
		}
		c.s.log().Debug("connection read failed", "remote", c.remote, "err", err)
	}
}

// teardown ends the sessions that live on this connection.
func (c *serverConn) teardown() {
	c.mu.Lock()
	c.closed = true
	sessions := make([]*serverSession, 0, len(c.sessions))
	for ss := range c.sessions {
		sessions = append(sessions, ss)
	}
	c.mu.Unlock()
	for _, ss := range sessions {
		ss.close(false)
	}
	c.dropAnnouncement()
	c.nc.Close()
}

func (c *serverConn) bind(ss *serverSession) {
	c.mu.Lock()
	c.sessions[ss] = struct{}{}
	c.mu.Unlock()
}

func (c *serverConn) unbind(ss *serverSession) {
	c.mu.Lock()
	delete(c.sessions, ss)
	c.mu.Unlock()
}

// touchAll keeps alive every session created on this connection: a
// keep-alive without a Session header still counts.
func (c *serverConn) touchAll() {
	c.mu.Lock()
	for ss := range c.sessions {
		ss.touch()
	}
	c.mu.Unlock()
}

func (c *serverConn) interleaved(m *message.Interleaved) {
	c.mu.Lock()
	for ss := range c.sessions {
		if ss.receiveInterleaved(m.Channel, m.Payload) {
			break
		}
	}
	c.mu.Unlock()
}

// writeResponse marshals res and writes it under the write lock.
func (c *serverConn) writeResponse(res *message.Response) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeResponseLocked(res)
}

func (c *serverConn) writeResponseLocked(res *message.Response) error {
	n := res.MarshalSize()
	if cap(c.wbuf) < n {
		c.wbuf = make([]byte, n)
	}
	b := c.wbuf[:n]
	n, err := res.MarshalTo(b)
	if err != nil {
		return err
	}
	c.nc.SetWriteDeadline(time.Now().Add(c.s.writeTimeout()))
	_, err = c.nc.Write(b[:n])
	return err
}

func (c *serverConn) writeStatus(code int, reason string) {
	res := &message.Response{StatusCode: code, Reason: reason, Header: message.Header{}}
	c.stamp(res)
	_ = c.writeResponse(res)
}

// stamp adds the headers every response carries.
func (c *serverConn) stamp(res *message.Response) {
	if res.Header == nil {
		res.Header = message.Header{}
	}
	res.Header.Set("Server", c.s.serverName())
	res.Header.Set("Date", time.Now().UTC().Format(time.RFC1123))
}

// Public is the list of methods the server answers.
const publicMethods = "OPTIONS, DESCRIBE, ANNOUNCE, SETUP, PLAY, PAUSE, RECORD, TEARDOWN, GET_PARAMETER, SET_PARAMETER"

// handle answers one request; false closes the connection.
func (c *serverConn) handle(req *message.Request) bool {
	res := &message.Response{StatusCode: 200, Header: message.Header{}}
	cseq := req.Header.Get("CSeq")
	if cseq != "" {
		res.Header.Set("CSeq", cseq)
	}
	c.stamp(res)

	if strings.HasPrefix(req.Proto, "HTTP/") {
		c.s.log().Info("HTTP request on the RTSP port, not supported", "remote", c.remote, "method", req.Method)
		c.wmu.Lock()
		c.nc.SetWriteDeadline(time.Now().Add(c.s.writeTimeout()))
		io.WriteString(c.nc, req.Proto+" 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		c.wmu.Unlock()
		return false
	}
	if cseq == "" {
		return c.fail(res, req, 400, "CSeq missing")
	}
	if _, err := strconv.ParseUint(strings.TrimSpace(cseq), 10, 32); err != nil {
		return c.fail(res, req, 400, "CSeq is not a number")
	}
	if req.Method == "" {
		return c.fail(res, req, 400, "")
	}
	if !c.hookConnect(req.URL) {
		c.fail(res, req, 403, "Forbidden")
		return false
	}
	if req.Method != "OPTIONS" {
		if req.Header.Get("Require") != "" || req.Header.Get("Proxy-Require") != "" {
			unsupported := append(headers.ParseList(req.Header.Get("Require")), headers.ParseList(req.Header.Get("Proxy-Require"))...)
			res.Header.Set("Unsupported", strings.Join(unsupported, ", "))
			return c.fail(res, req, 551, "")
		}
	}

	user, ok := c.authorize(req, res)
	if !ok {
		return c.send(res, req)
	}

	// Any request keeps the connection's sessions alive; one naming a
	// session keeps that one alive, on whatever connection it comes.
	c.touchAll()
	var ss *serverSession
	if v := req.Header.Get("Session"); v != "" {
		sh, err := headers.ParseSession(v)
		if err == nil {
			ss = c.s.session(sh.ID)
		}
		if ss != nil {
			ss.touch()
		}
	}

	switch req.Method {
	case "OPTIONS":
		res.Header.Set("Public", publicMethods)
	case "DESCRIBE":
		c.describe(req, res, user)
	case "SETUP":
		c.setup(req, res, user, ss)
	case "PLAY":
		return c.play(req, res, ss)
	case "PAUSE":
		c.pause(req, res, ss)
	case "TEARDOWN":
		c.teardownSession(req, res, ss)
	case "GET_PARAMETER", "SET_PARAMETER":
		if req.Header.Get("Session") != "" && ss == nil {
			res.StatusCode = 454
		} else if ss != nil {
			res.Header.Set("Session", ss.header())
		}
	case "ANNOUNCE":
		c.announce(req, res, user)
	case "RECORD":
		c.record(req, res, ss)
	default:
		res.StatusCode = 501
	}
	return c.send(res, req)
}

func (c *serverConn) fail(res *message.Response, req *message.Request, code int, reason string) bool {
	res.StatusCode = code
	res.Reason = reason
	return c.send(res, req)
}

func (c *serverConn) send(res *message.Response, req *message.Request) bool {
	if res.StatusCode >= 400 {
		c.s.log().Info("request refused", "remote", c.remote, "method", req.Method, "url", req.URL, "status", res.StatusCode, "reason", res.Reason)
	}
	if err := c.writeResponse(res); err != nil {
		c.s.log().Debug("write failed", "remote", c.remote, "err", err)
		return false
	}
	return true
}

// authorize checks credentials when authentication is on. A request that
// names a session opened by an authenticated user needs none: some NVRs
// send their keep-alives bare.
func (c *serverConn) authorize(req *message.Request, res *message.Response) (string, bool) {
	v := c.s.auth.Load()
	if v == nil || req.Method == "OPTIONS" {
		return "", true
	}
	if sv := req.Header.Get("Session"); sv != "" {
		if sh, err := headers.ParseSession(sv); err == nil {
			if ss := c.s.session(sh.ID); ss != nil && ss.user != "" {
				switch req.Method {
				case "GET_PARAMETER", "SET_PARAMETER", "TEARDOWN", "PLAY", "PAUSE", "RECORD":
					return ss.user, true
				}
			}
		}
	}
	user, err := v.Check(req.Method, req.URL, req.Header.Get("Authorization"))
	if err == nil {
		return user, true
	}
	res.StatusCode = 401
	for _, ch := range v.Challenges(errors.Is(err, auth.ErrStaleNonce)) {
		res.Header.Add("WWW-Authenticate", ch)
	}
	if !errors.Is(err, auth.ErrNoCredentials) {
		c.s.log().Warn("authentication failed", "remote", c.remote, "method", req.Method, "url", req.URL, "err", err)
	}
	return "", false
}

func (c *serverConn) request(req *message.Request, t target, user string) *Request {
	return &Request{Method: req.Method, Path: t.Path, Query: t.Query, RemoteAddr: c.remote, User: user}
}

func (c *serverConn) describe(req *message.Request, res *message.Response, user string) {
	t, err := parseTarget(req.URL)
	if err != nil {
		res.StatusCode, res.Reason = 400, "bad URL"
		return
	}
	m, err := c.s.Handler.OpenMedia(c.request(req, t, user))
	if err != nil {
		res.StatusCode = statusOf(err)
		res.Reason = reasonOf(err)
		c.s.log().Info("describe failed", "remote", c.remote, "path", t.Path, "err", err)
		return
	}
	defer m.Close()
	var keys *srtp.Keys
	if wantsSRTP(t.Query) {
		k, err := c.offerSRTP(t.Path)
		if err != nil {
			res.StatusCode, res.Reason = 500, "no SRTP keys"
			return
		}
		keys = &k
	}
	body := sessionDescription(c.nc.LocalAddr(), t.Path, req.URL, m, keys)
	res.Header.Set("Content-Type", "application/sdp")
	res.Header.Set("Content-Base", contentBase(req.URL))
	res.Body = body
}

func reasonOf(err error) string {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Reason
	}
	return ""
}

// contentBase is the request URL with a trailing slash, so that relative
// control URLs resolve under it.
func contentBase(u string) string {
	if strings.HasSuffix(u, "/") {
		return u
	}
	return u + "/"
}

func (c *serverConn) setup(req *message.Request, res *message.Response, user string, ss *serverSession) {
	t, err := parseTarget(req.URL)
	if err != nil {
		res.StatusCode, res.Reason = 400, "bad URL"
		return
	}
	if req.Header.Get("Session") != "" && ss == nil {
		res.StatusCode = 454
		return
	}
	trs, err := headers.ParseTransports(req.Header.Get("Transport"))
	if err != nil || len(trs) == 0 {
		res.StatusCode, res.Reason = 461, "bad or missing Transport"
		return
	}
	if c.recordSetup(trs) {
		c.setupRecord(req, res, t, trs, ss)
		return
	}
	created := false
	var sec *sessionSRTP
	if ss == nil {
		var code int
		if sec, code, res.Reason = c.setupSRTP(req, res, t, trs); code != 200 {
			res.StatusCode = code
			return
		}
		m, err := c.s.Handler.OpenMedia(c.request(req, t, user))
		if err != nil {
			res.StatusCode = statusOf(err)
			res.Reason = reasonOf(err)
			c.s.log().Info("setup failed", "remote", c.remote, "path", t.Path, "err", err)
			return
		}
		ss = newServerSession(c.s, c, t.Path, user, m)
		ss.srtp = sec
		ss.openReq = c.request(req, t, user)
		created = true
	} else if ss.path != t.Path {
		res.StatusCode, res.Reason = 459, "session belongs to another path"
		return
	}
	code, reason, reply := ss.setupTrack(c, t.Track, trs)
	if code != 200 {
		if created {
			ss.close(false)
		}
		res.StatusCode, res.Reason = code, reason
		return
	}
	if created {
		c.s.addSession(ss)
		c.bind(ss)
		c.s.log().Info("session opened", "session", ss.id, "path", ss.path, "remote", c.remote, "user", user)
	}
	res.Header.Set("Transport", reply)
	res.Header.Set("Session", ss.header())
}

func (c *serverConn) play(req *message.Request, res *message.Response, ss *serverSession) bool {
	if ss == nil {
		if req.Header.Get("Session") == "" {
			// Nothing was set up on this request's behalf yet.
			res.Header.Set("Allow", "OPTIONS, DESCRIBE, SETUP, GET_PARAMETER, SET_PARAMETER")
			return c.fail(res, req, 455, "SETUP first")
		}
		return c.fail(res, req, 454, "")
	}
	if !c.hookPlay(req.URL, ss) {
		return c.fail(res, req, 403, "Forbidden")
	}
	var from *time.Duration
	if v := req.Header.Get("Range"); v != "" {
		rg, err := headers.ParseRange(v)
		if err != nil {
			return c.fail(res, req, 457, "Invalid Range")
		}
		if rg.Unit == "npt" && rg.HasStart && !rg.Now {
			d := rg.Start
			from = &d
		}
	}
	if ss.transportConn() == c {
		// Media on this connection must not overtake the PLAY response.
		c.wmu.Lock()
		defer c.wmu.Unlock()
		return c.playLocked(req, res, ss, from)
	}
	return c.playLocked(req, res, ss, from) // ordered on its own connection
}

func (c *serverConn) playLocked(req *message.Request, res *message.Response, ss *serverSession, from *time.Duration) bool {
	code, reason := ss.play(req.URL, from, res)
	res.StatusCode, res.Reason = code, reason
	if ss.transportConn() == c {
		if code >= 400 {
			c.s.log().Info("request refused", "remote", c.remote, "method", req.Method, "url", req.URL, "status", code)
		}
		return c.writeResponseLocked(res) == nil
	}
	return c.send(res, req)
}

func (c *serverConn) pause(req *message.Request, res *message.Response, ss *serverSession) {
	if ss == nil {
		if req.Header.Get("Session") == "" {
			res.Header.Set("Allow", "OPTIONS, DESCRIBE, SETUP, GET_PARAMETER, SET_PARAMETER")
			res.StatusCode, res.Reason = 455, "SETUP first"
			return
		}
		res.StatusCode = 454
		return
	}
	res.StatusCode, res.Reason = ss.pause(res)
}

func (c *serverConn) teardownSession(req *message.Request, res *message.Response, ss *serverSession) {
	if ss == nil {
		res.StatusCode = 454
		return
	}
	ss.close(true)
	c.s.log().Info("session ended by client", "session", ss.id, "path", ss.path, "remote", c.remote)
}

// String is for logs.
func (c *serverConn) String() string { return fmt.Sprintf("conn %s", c.remote) }
