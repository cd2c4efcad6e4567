package rtsp

import (
	"net"
	"sync"
	"time"
)

// tunnelConn is one RTSP connection carried by an HTTP tunnel (the
// QuickTime scheme): requests arrive base64-encoded on the POST, responses
// and interleaved media leave on the GET.
type tunnelConn struct {
	get, post net.Conn
	body      *base64Stream
	closeOnce sync.Once
}

func newTunnelConn(get, post net.Conn, postBody *base64Stream) *tunnelConn {
	return &tunnelConn{get: get, post: post, body: postBody}
}

func (t *tunnelConn) Read(b []byte) (int, error)  { return t.body.Read(b) }
func (t *tunnelConn) Write(b []byte) (int, error) { return t.get.Write(b) }

// Close closes both halves.
func (t *tunnelConn) Close() error {
	var err error
	t.closeOnce.Do(func() {
		err = t.get.Close()
		t.post.Close()
	})
	return err
}

func (t *tunnelConn) LocalAddr() net.Addr  { return t.get.LocalAddr() }
func (t *tunnelConn) RemoteAddr() net.Addr { return t.get.RemoteAddr() }

func (t *tunnelConn) SetDeadline(d time.Time) error {
	t.post.SetReadDeadline(d)
	return t.get.SetWriteDeadline(d)
}
func (t *tunnelConn) SetReadDeadline(d time.Time) error  { return t.post.SetReadDeadline(d) }
func (t *tunnelConn) SetWriteDeadline(d time.Time) error { return t.get.SetWriteDeadline(d) }

func (t *tunnelConn) rawWriter() net.Conn { return t.get }
