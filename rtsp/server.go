package rtsp

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"rtspcam/rtsp/auth"
	"rtspcam/rtsp/srtp"
)

// Defaults of a Server.
const (
	DefaultSessionTimeout = 60 * time.Second
	DefaultWriteTimeout   = 10 * time.Second
	// DefaultIdleTimeout closes a connection that sent nothing and holds no
	// session for this long.
	DefaultIdleTimeout = 2 * time.Minute
)

// Server is an RTSP server. Set its fields before Serve; SetAuth may be
// called at any time (configuration reload).
type Server struct {
	Handler        Handler
	ServerName     string        // Server header, e.g. "rtspcam/1.0"
	SessionTimeout time.Duration // DefaultSessionTimeout when 0
	WriteTimeout   time.Duration // DefaultWriteTimeout when 0
	IdleTimeout    time.Duration // DefaultIdleTimeout when 0
	RecordTimeout  time.Duration // publisher silence that ends its session; DefaultRecordTimeout when 0
	// UDPBasePort is the first of the UDP ports sessions use, eight per
	// session; 0 picks free ports from the system.
	UDPBasePort int
	// TunnelTimeout is how long half of an RTSP-over-HTTP tunnel waits for
	// the other; DefaultTunnelTimeout when 0.
	TunnelTimeout time.Duration
	// Logger receives the server's events; nil discards them.
	Logger *slog.Logger
	// SRTPProfile is the suite offered to clients asking for SRTP.
	SRTPProfile srtp.Profile
	// Multicast lets clients ask for RTP multicast; the URL parameter
	// t=multicast allows it for one request when this is off.
	Multicast bool
	// MulticastTTL is the TTL of multicast packets, DefaultMulticastTTL
	// when 0.
	MulticastTTL int

	auth atomic.Pointer[auth.Validator]

	mu          sync.Mutex
	listeners   map[net.Listener]struct{}
	conns       map[*serverConn]struct{}
	sessions    map[string]*serverSession
	raw         map[net.Conn]struct{}      // accepted, not yet an RTSP connection
	tunnels     map[string]*tunnelHalf     // halves waiting for their pair
	liveTunnels map[string]*tunnelConn     // paired, by cookie
	groups      map[string]*multicastGroup // multicast senders, by path
	closed      bool
	reaper      sync.Once
	done        chan struct{}
	wg          sync.WaitGroup // connections and the reaper

	ports        udpPorts
	srtpRejected atomic.Uint64

	httpLn  *connListener // HTTP requests found on the listeners go here
	httpSrv *http.Server
}

// SetAuth turns authentication on with v, or off with nil.
func (s *Server) SetAuth(v *auth.Validator) { s.auth.Store(v) }

func (s *Server) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

func (s *Server) init() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listeners == nil {
		s.listeners = map[net.Listener]struct{}{}
		s.conns = map[*serverConn]struct{}{}
		s.sessions = map[string]*serverSession{}
		s.raw = map[net.Conn]struct{}{}
		s.tunnels = map[string]*tunnelHalf{}
		s.liveTunnels = map[string]*tunnelConn{}
		s.done = make(chan struct{})
		s.ports.base = s.UDPBasePort
	}
}

func (s *Server) sessionTimeout() time.Duration {
	if s.SessionTimeout > 0 {
		return s.SessionTimeout
	}
	return DefaultSessionTimeout
}

func (s *Server) writeTimeout() time.Duration {
	if s.WriteTimeout > 0 {
		return s.WriteTimeout
	}
	return DefaultWriteTimeout
}

func (s *Server) idleTimeout() time.Duration {
	if s.IdleTimeout > 0 {
		return s.IdleTimeout
	}
	return DefaultIdleTimeout
}

// Serve accepts connections on l until Shutdown or Close; it returns
// ErrServerClosed then. Several listeners may be served at once. Each
// connection may speak RTSP, or HTTP: the QuickTime RTSP-over-HTTP tunnel
// and RTSP over WebSocket (WebSocketProtocol) are told apart by their
// first bytes.
func (s *Server) Serve(l net.Listener) error {
	return s.serve(l, nil)
}

// ServeTLS is Serve inside TLS (RTSPS, and HTTPS for the tunnel and
// WebSocket) with the certificates of cfg. Only TLS 1.2 and 1.3 are
// accepted whatever cfg says.
func (s *Server) ServeTLS(l net.Listener, cfg *tls.Config) error {
	if cfg == nil {
		return errors.New("rtsp: ServeTLS needs a tls.Config")
	}
	cfg = cfg.Clone()
	cfg.MinVersion = max(cfg.MinVersion, tls.VersionTLS12)
	if cfg.MaxVersion != 0 && cfg.MaxVersion < tls.VersionTLS12 {
		cfg.MaxVersion = 0
	}
	return s.serve(l, cfg)
}

func (s *Server) serve(l net.Listener, tlsCfg *tls.Config) error {
	s.init()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	s.reaper.Do(func() {
		s.wg.Add(1)
		go s.reap()
	})
	// Started with the first listener, so that its goroutine is not
	// mistaken for a client's.
	s.httpListener()
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log().Warn("accept failed, retrying", "err", err, "in", backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		if !s.enter() {
			nc.Close()
			return ErrServerClosed
		}
		go func() {
			defer s.wg.Done()
			s.classify(nc, tlsCfg)
		}()
	}
}

// classify finishes the TLS handshake if any, then reads the first bytes
// to tell an RTSP connection from an HTTP one.
func (s *Server) classify(nc net.Conn, tlsCfg *tls.Config) {
	if !s.trackRaw(nc) {
		nc.Close()
		return
	}
	remote := nc.RemoteAddr().String()
	if tlsCfg != nil {
		tc := tls.Server(nc, tlsCfg)
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			s.log().Info("TLS handshake failed", "remote", remote, "err", err)
			s.untrackRaw(nc)
			nc.Close()
			return
		}
		nc.SetDeadline(time.Time{})
		s.untrackRaw(nc)
		if !s.trackRaw(tc) {
			tc.Close()
			return
		}
		nc = tc
	}
	nc.SetReadDeadline(time.Now().Add(s.idleTimeout()))
	br := bufio.NewReaderSize(nc, 16)
	head, err := br.Peek(4)
	s.untrackRaw(nc)
	if err != nil {
		s.log().Debug("connection closed before its first request", "remote", remote, "err", err)
		nc.Close()
		return
	}
	pc := &peekedConn{Conn: nc, br: br}
	if isHTTPStart(head) {
		if ln := s.httpListener(); ln == nil || !ln.push(pc) {
			nc.Close()
		}
		return
	}
	s.runConn(pc)
}

// enter counts a goroutine the server must wait for; false once closed.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

// trackRaw registers a connection not yet running RTSP, so that Close
// reaches it; false once closed.
func (s *Server) trackRaw(nc net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.raw[nc] = struct{}{}
	return true
}

func (s *Server) untrackRaw(nc net.Conn) {
	s.mu.Lock()
	delete(s.raw, nc)
	s.mu.Unlock()
}

// runConn runs an RTSP connection on nc, whatever stream it is, until it
// ends. The caller holds a place in s.wg.
func (s *Server) runConn(nc net.Conn) {
	c := newServerConn(s, nc)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		nc.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	c.run()
}

func (s *Server) serverName() string {
	if s.ServerName == "" {
		return "rtspcam"
	}
	return s.ServerName
}

func isTemporary(err error) bool {
	// EMFILE and friends: the process is out of descriptors for a moment.
	type temporary interface{ Temporary() bool }
	var t temporary
	return errors.As(err, &t) && t.Temporary()
}

// reap ends sessions whose client went silent.
func (s *Server) reap() {
	defer s.wg.Done()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-s.done:
			return
		case now := <-tick.C:
			var expired []*serverSession
			s.mu.Lock()
			for _, ss := range s.sessions {
				if ss.expired(now) || ss.stalled(now) || ss.mediaEnded() {
					expired = append(expired, ss)
				}
			}
			s.mu.Unlock()
			for _, ss := range expired {
				s.log().Info("session timed out", "session", ss.id, "path", ss.path, "remote", ss.remote)
				ss.close(true)
			}
		}
	}
}

func (s *Server) newSessionID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Server) addSession(ss *serverSession) {
	s.mu.Lock()
	s.sessions[ss.id] = ss
	s.mu.Unlock()
}

func (s *Server) removeSession(ss *serverSession) {
	s.mu.Lock()
	if s.sessions[ss.id] == ss {
		delete(s.sessions, ss.id)
	}
	s.mu.Unlock()
}

func (s *Server) session(id string) *serverSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[id]
}

func (s *Server) removeConn(c *serverConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Sessions is the number of live sessions.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Shutdown stops accepting, ends every session cleanly (RTCP BYE) and waits
// for connections to finish, or until ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.stop()
	s.mu.Lock()
	sessions := make([]*serverSession, 0, len(s.sessions))
	for _, ss := range s.sessions {
		sessions = append(sessions, ss)
	}
	s.mu.Unlock()
	for _, ss := range sessions {
		ss.close(true)
	}
	s.closeConns()
	waited := make(chan struct{})
	go func() { s.wg.Wait(); close(waited) }()
	select {
	case <-waited:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the server now: listeners, sessions and connections.
func (s *Server) Close() error {
	s.init()
	s.stop()
	s.mu.Lock()
	sessions := make([]*serverSession, 0, len(s.sessions))
	for _, ss := range s.sessions {
		sessions = append(sessions, ss)
	}
	s.mu.Unlock()
	for _, ss := range sessions {
		ss.close(false)
	}
	s.closeConns()
	s.wg.Wait()
	return nil
}

func (s *Server) stop() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	for l := range s.listeners {
		l.Close()
		delete(s.listeners, l)
	}
	hs := s.httpSrv
	s.mu.Unlock()
	if hs != nil {
		hs.Close()
	}
}

func (s *Server) closeConns() {
	s.mu.Lock()
	conns := make([]*serverConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	raw := make([]net.Conn, 0, len(s.raw))
	for nc := range s.raw {
		raw = append(raw, nc)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.nc.Close()
	}
	for _, nc := range raw {
		nc.Close()
	}
}
