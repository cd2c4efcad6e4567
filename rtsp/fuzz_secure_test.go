package rtsp

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// chunkReader returns data in pieces whose sizes come from sizes, cycled.
type chunkReader struct {
	data  []byte
	sizes []byte
	i     int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := 1
	if len(c.sizes) > 0 {
		n = int(c.sizes[c.i%len(c.sizes)])%17 + 1
		c.i++
	}
	n = min(n, len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// referenceTunnelDecode decodes what a tunnel POST carries the slow way:
// white space out, then each 4-character quantum on its own.
func referenceTunnelDecode(in []byte) ([]byte, bool) {
	var clean []byte
	for _, c := range in {
		if strings.IndexByte(" \t\r\n\f\v", c) < 0 {
			clean = append(clean, c)
		}
	}
	if len(clean)%4 != 0 {
		return nil, false
	}
	var out []byte
	for i := 0; i < len(clean); i += 4 {
		b, err := base64.StdEncoding.DecodeString(string(clean[i : i+4]))
		if err != nil {
			return nil, false
		}
		out = append(out, b...)
	}
	return out, true
}

func FuzzTunnelBase64(f *testing.F) {
	enc := base64.StdEncoding.EncodeToString
	f.Add([]byte(enc([]byte("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n"))), []byte{3, 7})
	f.Add([]byte(enc([]byte("DESCRIBE rtsp://h/live RTSP/1.0\r\nCSeq: 2\r\n\r\n"))+enc([]byte("x"))), []byte{0})
	f.Add([]byte("T1BU\r\nSU9O\nUyAq IFJU U1AvMS4w"), []byte{1, 2, 3})
	f.Add([]byte("QQ==QkM=RA=="), []byte{4})
	f.Add([]byte("QQ=A"), []byte{1})
	f.Add([]byte("Q==="), []byte{1})
	f.Add([]byte("T1BU!"), []byte{9})
	f.Add([]byte("T1B"), []byte{})
	f.Fuzz(func(t *testing.T, in, sizes []byte) {
		want, ok := referenceTunnelDecode(in)
		got, err := io.ReadAll(newBase64Stream(&chunkReader{data: in, sizes: sizes}))
		if !ok {
			if err == nil {
				t.Fatalf("%q decoded to %q without error; it is not valid tunnel base64", in, got)
			}
			return
		}
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%q decoded to %q, want %q", in, got, want)
		}
	})
}

// clientFrame is one masked client-to-server WebSocket frame.
func clientFrame(opcode byte, fin bool, payload []byte) []byte {
	b0 := opcode
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		out = append(out, 0x80|byte(n))
	case n < 65536:
		out = append(out, 0x80|126, 0, 0)
		binary.BigEndian.PutUint16(out[2:], uint16(n))
	default:
		out = append(out, 0x80|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i%4])
	}
	return out
}

// hijackWriter is the http.ResponseWriter of a request read off a pipe,
// enough for websocket.Accept.
type hijackWriter struct {
	h  http.Header
	nc net.Conn
}

func (w *hijackWriter) Header() http.Header         { return w.h }
func (w *hijackWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *hijackWriter) WriteHeader(int)             {}
func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.nc, bufio.NewReadWriter(bufio.NewReader(w.nc), bufio.NewWriter(w.nc)), nil
}

type notFoundHandler struct{}

func (notFoundHandler) OpenMedia(*Request) (Media, error) { return nil, ErrNotFound }

// FuzzWebSocketRTSP feeds raw client frames to an RTSP connection running
// on an upgraded WebSocket: whatever the frames, the connection must end
// cleanly once the client is gone.
func FuzzWebSocketRTSP(f *testing.F) {
	opts := []byte("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n")
	desc := []byte("DESCRIBE rtsp://h/live RTSP/1.0\r\nCSeq: 2\r\n\r\n")
	f.Add(clientFrame(2, true, opts))
	f.Add(append(clientFrame(2, false, opts[:10]), clientFrame(0, true, opts[10:])...))
	f.Add(append(clientFrame(2, true, opts[:7]), clientFrame(2, true, append(opts[7:], desc...))...))
	f.Add(append(clientFrame(2, true, []byte("$\x00\x00\x04abcd")), clientFrame(9, true, []byte("ping"))...))
	f.Add(clientFrame(1, true, opts))
	f.Add(append(clientFrame(2, true, opts), clientFrame(8, true, []byte{3, 232})...))
	f.Add([]byte{0x82, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, wire []byte) {
		srv := &Server{Handler: notFoundHandler{}, IdleTimeout: 2 * time.Second}
		srv.init()
		sc, cc := net.Pipe()
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(
			"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
				"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
				"Sec-WebSocket-Protocol: rtsp.onvif.org\r\n\r\n")))
		if err != nil {
			t.Fatal(err)
		}
		ws, err := acceptWebSocket(&hijackWriter{h: http.Header{}, nc: sc}, req,
			&websocket.AcceptOptions{Subprotocols: []string{WebSocketProtocol}})
		if err != nil {
			t.Fatal(err)
		}
		drained := make(chan struct{})
		go func() { io.Copy(io.Discard, cc); close(drained) }()
		go func() {
			cc.SetWriteDeadline(time.Now().Add(2 * time.Second))
			cc.Write(wire)
			cc.Close()
		}()
		done := make(chan struct{})
		go func() {
			srv.runConn(ws)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("the connection did not end after the client left")
		}
		<-drained
		srv.Close()
		if n := srv.Sessions(); n != 0 {
			t.Fatalf("%d sessions left", n)
		}
	})
}
