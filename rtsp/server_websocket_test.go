package rtsp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// chunkyHijacker hands out the hijacked connection as a chunkyConn.
type chunkyHijacker struct{ http.ResponseWriter }

func (h chunkyHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := h.ResponseWriter.(http.Hijacker).Hijack()
	return chunkyConn{nc}, brw, err
}

// chunkyConn writes in small pieces and lets other goroutines run between
// them, as a congested socket does: a frame written without the lock would
// have another writer's bytes inside it.
type chunkyConn struct{ net.Conn }

func (c chunkyConn) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		k := min(len(b), 64)
		m, err := c.Conn.Write(b[:k])
		n += m
		if err != nil {
			return n, err
		}
		b = b[k:]
		runtime.Gosched()
	}
	return n, nil
}

// TestWebSocketOwnFrames: the frames the server writes itself read back
// through coder/websocket's client as whole binary messages, at every
// length encoding (7-bit, 16-bit, 64-bit), over TCP (writev), TLS (one
// coalesced write) and a connection that writes in pieces, while the client
// pings the whole time: the library's pongs never land inside one of our
// frames.
func TestWebSocketOwnFrames(t *testing.T) {
	sizes := []int{0, 1, 125, 126, 127, 1500, 65535, 65536, 200_000}
	for _, name := range []string{"ws", "wss", "chunky"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			secure := name == "wss"
			conns := make(chan *wsConn, 1)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if name == "chunky" {
					w = chunkyHijacker{w}
				}
				c, err := acceptWebSocket(w, r, &websocket.AcceptOptions{Subprotocols: []string{WebSocketProtocol}})
				if err != nil {
					t.Error(err)
					return
				}
				conns <- c
			})
			var hs *httptest.Server
			if secure {
				hs = httptest.NewTLSServer(h)
			} else {
				hs = httptest.NewServer(h)
			}
			defer hs.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			client, _, err := websocket.Dial(ctx, strings.Replace(hs.URL, "http", "ws", 1), &websocket.DialOptions{
				Subprotocols: []string{WebSocketProtocol},
				HTTPClient:   &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer client.CloseNow()
			client.SetReadLimit(1 << 20)
			server := <-conns
			defer server.Close()
			// The server must read for the library to answer pings.
			go func() {
				buf := make([]byte, 512)
				for {
					if _, err := server.Read(buf); err != nil {
						return
					}
				}
			}()

			const rounds = 20
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range rounds * len(sizes) {
					msg := bytes.Repeat([]byte{byte(i)}, sizes[i%len(sizes)])
					if _, err := server.Write(msg); err != nil {
						t.Errorf("write %d: %v", i, err)
						return
					}
				}
			}()
			pings := make(chan error, 1)
			go func() {
				for range 50 {
					if err := client.Ping(ctx); err != nil {
						pings <- err
						return
					}
				}
				pings <- nil
			}()
			for i := range rounds * len(sizes) {
				typ, got, err := client.Read(ctx)
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				want := bytes.Repeat([]byte{byte(i)}, sizes[i%len(sizes)])
				if typ != websocket.MessageBinary || !bytes.Equal(got, want) {
					t.Fatalf("message %d: %v of %d bytes, want binary of %d bytes of %d", i, typ, len(got), len(want), byte(i))
				}
			}
			wg.Wait()
			// Pings keep working once the writes are done; the client reads
			// to see the pongs.
			go client.Read(ctx)
			if err := <-pings; err != nil {
				t.Fatalf("ping: %v", err)
			}
		})
	}
}

func TestBinaryHeader(t *testing.T) {
	for _, c := range []struct {
		n    int
		want []byte
	}{
		{0, []byte{0x82, 0}},
		{125, []byte{0x82, 125}},
		{126, []byte{0x82, 126, 0, 126}},
		{65535, []byte{0x82, 126, 0xff, 0xff}},
		{65536, []byte{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}},
	} {
		var b [10]byte
		if got := binaryHeader(b[:], c.n); !bytes.Equal(got, c.want) {
			t.Errorf("header of %d: %x, want %x", c.n, got, c.want)
		}
	}
}
