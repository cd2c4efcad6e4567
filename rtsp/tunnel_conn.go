package rtsp

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// tunnelConn is one RTSP connection carried by an HTTP tunnel (the
// QuickTime scheme): requests arrive base64-encoded on the POST, responses
// and interleaved media leave on the GET. QuickTime clients may close the
// POST after a request and send the next ones on a new POST with the same
// cookie; while the connection carries sessions, a POST that ends waits
// for the next one.
type tunnelConn struct {
	get      net.Conn
	body     *base64Stream
	cookie   string
	remoteIP netip.Addr
	next     chan tunnelPost // the client's next POST, handed over by the server
	wait     time.Duration   // how long an ended POST waits for the next
	keep     func() bool     // whether to wait: the RTSP connection has sessions
	onClose  func()          // unregisters the tunnel
	done     chan struct{}

	mu           sync.Mutex
	post         net.Conn
	postR        io.Reader
	readDeadline time.Time
	closed       bool
	closeOnce    sync.Once
}

// tunnelPost is a POST connection and its body (the HTTP reader may hold
// the first bytes).
type tunnelPost struct {
	conn net.Conn
	r    io.Reader
}

func newTunnelConn(get net.Conn, post tunnelPost, wait time.Duration) *tunnelConn {
	t := &tunnelConn{
		get:      get,
		remoteIP: remoteIP(get.RemoteAddr()),
		post:     post.conn,
		postR:    post.r,
		next:     make(chan tunnelPost, 1),
		wait:     wait,
		done:     make(chan struct{}),
	}
	t.body = newBase64Stream(tunnelBody{t})
	return t
}

// tunnelBody is the base64 text of the tunnel's POSTs, one after another.
type tunnelBody struct{ t *tunnelConn }

func (b tunnelBody) Read(p []byte) (int, error) { return b.t.readPost(p) }

func (t *tunnelConn) readPost(p []byte) (int, error) {
	for {
		t.mu.Lock()
		r := t.postR
		t.mu.Unlock()
		n, err := r.Read(p)
		if n > 0 || err == nil {
			return n, nil // an error comes back on the next read
		}
		if !errors.Is(err, io.EOF) || t.keep == nil || !t.keep() {
			return 0, err
		}
		timer := time.NewTimer(t.wait)
		select {
		case np := <-t.next:
			timer.Stop()
			t.mu.Lock()
			old := t.post
			t.post, t.postR = np.conn, np.r
			np.conn.SetReadDeadline(t.readDeadline)
			t.mu.Unlock()
			old.Close()
		case <-timer.C:
			return 0, err
		case <-t.done:
			timer.Stop()
			return 0, net.ErrClosed
		}
	}
}

func (t *tunnelConn) Read(b []byte) (int, error)  { return t.body.Read(b) }
func (t *tunnelConn) Write(b []byte) (int, error) { return t.get.Write(b) }

// Close closes the GET and the POST, and a POST handed over but not taken.
func (t *tunnelConn) Close() error {
	var err error
	t.closeOnce.Do(func() {
		if t.onClose != nil {
			t.onClose() // no POST is handed over after this
		}
		close(t.done)
		t.mu.Lock()
		t.closed = true
		post := t.post
		t.mu.Unlock()
		err = t.get.Close()
		post.Close()
		select {
		case np := <-t.next:
			np.conn.Close()
		default:
		}
	})
	return err
}

// setKeepOpen tells the tunnel when its connection carries sessions.
func (t *tunnelConn) setKeepOpen(f func() bool) { t.keep = f }

func (t *tunnelConn) LocalAddr() net.Addr  { return t.get.LocalAddr() }
func (t *tunnelConn) RemoteAddr() net.Addr { return t.get.RemoteAddr() }

func (t *tunnelConn) SetDeadline(d time.Time) error {
	t.SetReadDeadline(d)
	return t.get.SetWriteDeadline(d)
}

func (t *tunnelConn) SetReadDeadline(d time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.readDeadline = d
	return t.post.SetReadDeadline(d)
}

func (t *tunnelConn) SetWriteDeadline(d time.Time) error { return t.get.SetWriteDeadline(d) }

func (t *tunnelConn) rawWriter() net.Conn { return t.get }
