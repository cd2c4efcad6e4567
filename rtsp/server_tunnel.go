package rtsp

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// DefaultTunnelTimeout is how long one half of an HTTP tunnel waits for
// the other (a GET for its POST, or a POST that came first for its GET).
const DefaultTunnelTimeout = 5 * time.Second

// maxCookieLen bounds x-sessioncookie; clients use 22 to 32 characters.
const maxCookieLen = 128

// maxPendingTunnels bounds the halves waiting for their other half, so a
// flood of lone GETs cannot hold a goroutine and a socket each for long.
const maxPendingTunnels = 256

// tunnelHalf is the first half of a tunnel to arrive, waiting for the
// other under its cookie.
type tunnelHalf struct {
	cookie   string
	remoteIP netip.Addr
	isGet    bool
	conn     net.Conn      // the first half's connection
	other    net.Conn      // the second half's connection, once paired
	otherBuf *bufio.Reader // the POST's buffered body when the POST came second
	paired   chan struct{}
}

func (s *Server) tunnelTimeout() time.Duration {
	if s.TunnelTimeout > 0 {
		return s.TunnelTimeout
	}
	return DefaultTunnelTimeout
}

func validCookie(c string) error {
	if c == "" {
		return fmt.Errorf("x-sessioncookie missing")
	}
	if len(c) > maxCookieLen {
		return fmt.Errorf("x-sessioncookie longer than %d bytes", maxCookieLen)
	}
	for i := 0; i < len(c); i++ {
		if c[i] <= ' ' || c[i] >= 0x7f {
			return fmt.Errorf("x-sessioncookie has a byte %#02x that is not printable", c[i])
		}
	}
	return nil
}

func remoteIP(a net.Addr) netip.Addr {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// serveTunnelGet answers the GET at once (clients wait for it before they
// POST) and pairs it with its POST.
func (s *Server) serveTunnelGet(w http.ResponseWriter, r *http.Request) {
	s.serveTunnelHalf(w, r, true)
}

// serveTunnelPost takes the POST, which gets no answer: its body is the
// client's half of the RTSP stream.
func (s *Server) serveTunnelPost(w http.ResponseWriter, r *http.Request) {
	s.serveTunnelHalf(w, r, false)
}

func (s *Server) serveTunnelHalf(w http.ResponseWriter, r *http.Request, isGet bool) {
	kind := "POST"
	if isGet {
		kind = "GET"
	}
	cookie := r.Header.Get("X-Sessioncookie")
	if err := validCookie(cookie); err != nil {
		s.log().Warn("RTSP over HTTP refused", "remote", r.RemoteAddr, "request", kind, "err", err)
		http.Error(w, "RTSP over HTTP: "+err.Error(), http.StatusBadRequest)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "RTSP over HTTP needs HTTP/1", http.StatusHTTPVersionNotSupported)
		return
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		s.log().Debug("tunnel hijack failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	if !s.enter() {
		nc.Close()
		return
	}
	defer s.wg.Done()
	if !s.trackRaw(nc) {
		nc.Close()
		return
	}
	ip := remoteIP(nc.RemoteAddr())
	s.mu.Lock()
	if live := s.liveTunnels[cookie]; live != nil {
		// A tunnel already runs under this cookie: a QuickTime client
		// goes on with a new POST; anything else is refused.
		handed := false
		if !isGet && live.remoteIP == ip {
			select {
			case live.next <- tunnelPost{conn: nc, r: brw.Reader}:
				handed = true
			default:
			}
		}
		s.mu.Unlock()
		if handed {
			s.untrackRaw(nc)
			s.log().Debug("RTSP over HTTP: next POST of a tunnel", "remote", r.RemoteAddr)
			return
		}
		s.refuseTunnel(nc, r, kind, "a tunnel with this cookie is open")
		return
	}
	h := s.tunnels[cookie]
	inUse := h != nil && h.isGet == isGet
	s.mu.Unlock()
	if inUse {
		s.refuseTunnel(nc, r, kind, "a second "+kind+" for a cookie in use")
		return
	}
	if isGet {
		nc.SetWriteDeadline(time.Now().Add(s.writeTimeout()))
		_, err := fmt.Fprintf(nc, "HTTP/1.0 200 OK\r\nServer: %s\r\nDate: %s\r\nConnection: close\r\nCache-Control: no-store\r\nPragma: no-cache\r\nContent-Type: %s\r\n\r\n",
			s.serverName(), time.Now().UTC().Format(http.TimeFormat), tunnelContentType)
		if err != nil {
			s.untrackRaw(nc)
			nc.Close()
			return
		}
	}
	s.mu.Lock()
	h = s.tunnels[cookie]
	switch {
	case h == nil && len(s.tunnels) >= maxPendingTunnels:
		s.mu.Unlock()
		s.refuseTunnel(nc, r, kind, fmt.Sprintf("%d tunnels already wait for their other half", maxPendingTunnels))
		return
	case h == nil:
		h = &tunnelHalf{cookie: cookie, remoteIP: ip, isGet: isGet, conn: nc, paired: make(chan struct{})}
		if !isGet {
			h.otherBuf = brw.Reader // the first half's own body, kept with it
		}
		s.tunnels[cookie] = h
		s.mu.Unlock()
	case h.isGet == isGet || h.remoteIP != ip:
		s.mu.Unlock()
		reason := "a second " + kind + " for a cookie in use"
		if h.isGet != isGet {
			reason = "the other half came from another address"
		}
		s.refuseTunnel(nc, r, kind, reason)
		return
	default:
		// The second half: give our connection to the waiting first half,
		// which runs the RTSP connection.
		delete(s.tunnels, cookie)
		h.other = nc
		if !isGet {
			h.otherBuf = brw.Reader
		}
		close(h.paired)
		s.mu.Unlock()
		return
	}

	timer := time.NewTimer(s.tunnelTimeout())
	defer timer.Stop()
	select {
	case <-h.paired:
	case <-timer.C:
	case <-s.done:
	}
	s.mu.Lock()
	if s.tunnels[cookie] == h {
		delete(s.tunnels, cookie)
	}
	other := h.other
	s.mu.Unlock()
	if other == nil {
		missing := "POST"
		if !isGet {
			missing = "GET"
		}
		s.log().Warn("RTSP over HTTP: the other half never came, closing", "remote", r.RemoteAddr,
			"request", kind, "missing", missing, "waited", s.tunnelTimeout())
		if !isGet {
			nc.SetWriteDeadline(time.Now().Add(time.Second))
			fmt.Fprintf(nc, "HTTP/1.0 408 Request Timeout\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nRTSP over HTTP: no GET with this x-sessioncookie\n")
		}
		s.untrackRaw(nc)
		nc.Close()
		return
	}
	get, post := nc, other
	if !isGet {
		get, post = other, nc
	}
	s.untrackRaw(nc)
	s.untrackRaw(other)
	tc := newTunnelConn(get, tunnelPost{conn: post, r: h.otherBuf}, s.tunnelTimeout())
	tc.onClose = func() {
		s.mu.Lock()
		if s.liveTunnels[cookie] == tc {
			delete(s.liveTunnels, cookie)
		}
		s.mu.Unlock()
	}
	s.mu.Lock()
	s.liveTunnels[cookie] = tc
	s.mu.Unlock()
	s.log().Debug("RTSP over HTTP tunnel paired", "remote", r.RemoteAddr)
	s.runConn(tc)
}

// refuseTunnel answers a tunnel half that cannot be paired and closes it.
func (s *Server) refuseTunnel(nc net.Conn, r *http.Request, kind, reason string) {
	s.log().Warn("RTSP over HTTP refused", "remote", r.RemoteAddr, "request", kind, "err", reason)
	nc.SetWriteDeadline(time.Now().Add(time.Second))
	fmt.Fprintf(nc, "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nRTSP over HTTP: %s\n", reason)
	s.untrackRaw(nc)
	nc.Close()
}
