package rtsp

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// WebSocketProtocol is the subprotocol of RTSP over WebSocket in the ONVIF
// streaming specification: RTSP messages and interleaved RTP ("$" framing)
// travel as a byte stream in binary frames.
const WebSocketProtocol = "rtsp.onvif.org"

// offersProtocol tells whether a Sec-WebSocket-Protocol list names p.
func offersProtocol(values []string, p string) bool {
	for _, v := range values {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), p) {
				return true
			}
		}
	}
	return false
}

// serveWebSocket upgrades to RTSP over WebSocket and runs an RTSP
// connection on it; an upgrade without the ONVIF subprotocol is refused
// before anything is upgraded.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	if !offersProtocol(r.Header.Values("Sec-WebSocket-Protocol"), WebSocketProtocol) {
		s.log().Warn("RTSP over WebSocket refused: subprotocol missing", "remote", r.RemoteAddr,
			"offered", r.Header.Get("Sec-WebSocket-Protocol"))
		http.Error(w, "RTSP over WebSocket needs Sec-WebSocket-Protocol: "+WebSocketProtocol, http.StatusBadRequest)
		return
	}
	c, err := acceptWebSocket(w, r, &websocket.AcceptOptions{
		Subprotocols: []string{WebSocketProtocol},
		// Browser players are served from other origins (the NVR's web
		// UI); the RTSP layer authenticates the user itself.
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		s.log().Info("RTSP over WebSocket upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	if !s.enter() {
		c.Close()
		return
	}
	defer s.wg.Done()
	s.runConn(c)
}

// Writing without allocating. coder/websocket allocates on every message
// it writes (each frame arms a write timeout with context.AfterFunc: the
// after-func context, its stop func and closures, about 4 allocations), and
// there is no mode without it. So the library does the handshake and reads
// (client frames are masked, fragmented, interleaved with pings: the part
// worth a well-kept implementation), while the server writes its own data
// frames: a server frame is an unmasked header of 2 to 10 bytes before the
// payload (RFC 6455 §5.2), one binary message per write, which is what the
// ONVIF streaming spec asks (RTSP and interleaved data in binary messages).
//
// The library still writes control frames itself (pong to a ping, close).
// Both writers go through wsRaw under one mutex, and the library's frames
// (at most 125 payload bytes, RFC 6455 §5.5) reach it in one Write from its
// 4 KiB bufio.Writer, flushed after every frame: frames never interleave.

// wsHijacker hands websocket.Accept the hijacked connection wrapped in a
// wsRaw, and keeps that wsRaw for the server's own writes.
type wsHijacker struct {
	http.ResponseWriter
	raw *wsRaw
}

func (h *wsHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("rtsp: websocket: response cannot be hijacked")
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		nc.Close()
		return nil, nil, err
	}
	h.raw = &wsRaw{Conn: nc}
	out, coalesce := mediaWriter(nc)
	h.raw.out, h.raw.writev = out, !coalesce
	return h.raw, bufio.NewReadWriter(brw.Reader, bufio.NewWriterSize(h.raw, wsLibraryBuffer)), nil
}

// wsLibraryBuffer is the library's write buffer: larger than any control
// frame, so each reaches wsRaw in one Write.
const wsLibraryBuffer = 4096

// acceptWebSocket upgrades r and returns the connection RTSP runs on.
func acceptWebSocket(w http.ResponseWriter, r *http.Request, opts *websocket.AcceptOptions) (*wsConn, error) {
	h := &wsHijacker{ResponseWriter: w}
	ws, err := websocket.Accept(h, r, opts)
	if err != nil {
		return nil, err
	}
	if h.raw == nil { // cannot happen: Accept hijacks or fails
		ws.CloseNow()
		return nil, errors.New("rtsp: websocket: accepted without hijacking")
	}
	return &wsConn{Conn: websocket.NetConn(context.Background(), ws, websocket.MessageBinary), ws: ws, raw: h.raw}, nil
}

// wsRaw is the upgraded connection under the WebSocket: every write to it,
// the library's and the server's, holds mu.
type wsRaw struct {
	net.Conn
	mu     sync.Mutex
	out    io.Writer // the TCP socket for writev, or the connection itself
	writev bool
	hdr    [10]byte
	bufsAt [2][]byte
	bufs   net.Buffers
	frame  []byte // header and payload, for connections without writev (TLS)
}

func (w *wsRaw) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.Conn.Write(b)
}

// writeBinary sends p as one binary frame, without allocating once the
// frame buffer has grown to the largest batch.
func (w *wsRaw) writeBinary(p []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	h := binaryHeader(w.hdr[:], len(p))
	if w.writev {
		w.bufs = append(w.bufsAt[:0], h, p)
		_, err := w.bufs.WriteTo(w.out)
		return err
	}
	w.frame = append(append(w.frame[:0], h...), p...)
	_, err := w.Conn.Write(w.frame)
	return err
}

// binaryHeader writes the header of an unmasked final binary frame of n
// payload bytes into dst (10 bytes) and returns it.
func binaryHeader(dst []byte, n int) []byte {
	dst[0] = 0x80 | 0x2 // FIN, opcode binary
	switch {
	case n < 126:
		dst[1] = byte(n)
		return dst[:2]
	case n <= 0xffff:
		dst[1] = 126
		binary.BigEndian.PutUint16(dst[2:], uint16(n))
		return dst[:4]
	}
	dst[1] = 127
	binary.BigEndian.PutUint64(dst[2:], uint64(n))
	return dst[:10]
}

// wsConn is RTSP over one WebSocket: reads through the library's NetConn
// (a byte stream of the binary messages), writes as one binary message per
// Write, so the connection batches interleaved media into one message per
// batch.
type wsConn struct {
	net.Conn
	ws  *websocket.Conn
	raw *wsRaw
}

func (c *wsConn) Write(p []byte) (int, error) {
	if err := c.raw.writeBinary(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// SetWriteDeadline bounds the server's writes, which go to the raw
// connection; the library's NetConn only reads here.
func (c *wsConn) SetWriteDeadline(t time.Time) error { return c.raw.SetWriteDeadline(t) }

func (c *wsConn) SetDeadline(t time.Time) error {
	c.Conn.SetReadDeadline(t)
	return c.raw.SetWriteDeadline(t)
}

// Close drops the connection without waiting for the peer's close frame:
// a dead client must not hold up a session's end.
func (c *wsConn) Close() error {
	err := c.ws.CloseNow()
	c.Conn.Close() // stops its deadline timers
	return err
}
