package rtsp

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// HTTP on an RTSP listener: a connection whose first bytes are an HTTP
// request (GET/POST of the QuickTime tunnel, a WebSocket upgrade) is handed
// to an in-process net/http server, which parses the request and lets the
// handlers below take the connection over (Hijack).

// isHTTPStart tells an HTTP request from an RTSP one by its first bytes.
// RTSP has its own GET_PARAMETER, hence the space.
func isHTTPStart(b []byte) bool {
	s := string(b)
	return strings.HasPrefix(s, "GET ") || strings.HasPrefix(s, "POST") || strings.HasPrefix(s, "HEAD")
}

// connListener is a net.Listener fed by the server's classifier.
type connListener struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
	addr net.Addr
}

func newConnListener() *connListener {
	return &connListener{ch: make(chan net.Conn), done: make(chan struct{}), addr: &net.TCPAddr{}}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return l.addr }

// push hands c to the HTTP server; false when it is shutting down.
func (l *connListener) push(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	}
}

// httpListener starts the in-process HTTP server on first use and returns
// its listener; nil once the server is closed.
func (s *Server) httpListener() *connListener {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	if s.httpLn == nil {
		ln := newConnListener()
		hs := &http.Server{
			Handler:           http.HandlerFunc(s.serveHTTPRequest),
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       s.idleTimeout(),
			ErrorLog:          slog.NewLogLogger(s.log().Handler(), slog.LevelDebug),
		}
		s.httpLn, s.httpSrv = ln, hs
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			err := hs.Serve(ln)
			if err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
				s.log().Warn("http server stopped", "err", err)
			}
		}()
	}
	return s.httpLn
}

// serveHTTPRequest routes an HTTP request on an RTSP listener.
func (s *Server) serveHTTPRequest(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.EqualFold(r.Header.Get("Upgrade"), "websocket"):
		s.serveWebSocket(w, r)
	case r.Method == http.MethodGet && isTunnelRequest(r):
		s.serveTunnelGet(w, r)
	case r.Method == http.MethodPost && isTunnelRequest(r):
		s.serveTunnelPost(w, r)
	default:
		s.log().Info("HTTP request that is neither a tunnel nor a WebSocket", "remote", r.RemoteAddr, "method", r.Method, "url", r.URL.String())
		http.Error(w, "this port serves RTSP, RTSP over HTTP (application/x-rtsp-tunnelled with x-sessioncookie) and RTSP over WebSocket (rtsp.onvif.org)", http.StatusNotFound)
	}
}

const tunnelContentType = "application/x-rtsp-tunnelled"

func isTunnelRequest(r *http.Request) bool {
	return r.Header.Get("X-Sessioncookie") != "" ||
		strings.Contains(r.Header.Get("Accept"), tunnelContentType) ||
		strings.Contains(r.Header.Get("Content-Type"), tunnelContentType)
}
