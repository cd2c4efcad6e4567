package rtsp_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"rtspcam/firmware/certs"
	"rtspcam/rtsp"
	"rtspcam/rtsp/message"
)

// testTLSConfig is a self-signed certificate for 127.0.0.1, made per run.
var testTLSConfig = sync.OnceValues(func() (*tls.Config, error) {
	c, k, err := certs.Generate([]string{"localhost", "127.0.0.1"}, time.Now())
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(c, k)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}}, nil
})

// serveTLS adds a TLS listener to ts and returns its address.
func serveTLS(t *testing.T, ts *testServer) string {
	t.Helper()
	cfg, err := testTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ts.srv.ServeTLS(l, cfg)
	return l.Addr().String()
}

// rawDialer opens one RTSP byte stream to a server address.
type rawDialer func(t *testing.T, addr string) net.Conn

func dialTCP(t *testing.T, addr string) net.Conn {
	nc, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	return nc
}

func dialTLS(t *testing.T, addr string) net.Conn {
	nc, err := tls.Dial("tcp4", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	return nc
}

// tunnelClient is the client side of the QuickTime tunnel: requests go
// base64-encoded on the POST, everything comes back on the GET.
type tunnelClient struct {
	get, post net.Conn
	br        *bufio.Reader
}

func (c *tunnelClient) Read(b []byte) (int, error) { return c.br.Read(b) }
func (c *tunnelClient) Write(b []byte) (int, error) {
	// Split each request in two uneven pieces, with a line break, so the
	// server must carry partial quanta across reads.
	enc := base64.StdEncoding.EncodeToString(b)
	cut := len(enc) / 3
	if _, err := io.WriteString(c.post, enc[:cut]+"\r\n"); err != nil {
		return 0, err
	}
	time.Sleep(2 * time.Millisecond)
	if _, err := io.WriteString(c.post, enc[cut:]); err != nil {
		return 0, err
	}
	return len(b), nil
}
func (c *tunnelClient) Close() error         { c.post.Close(); return c.get.Close() }
func (c *tunnelClient) LocalAddr() net.Addr  { return c.get.LocalAddr() }
func (c *tunnelClient) RemoteAddr() net.Addr { return c.get.RemoteAddr() }
func (c *tunnelClient) SetDeadline(d time.Time) error {
	c.post.SetDeadline(d)
	return c.get.SetDeadline(d)
}
func (c *tunnelClient) SetReadDeadline(d time.Time) error  { return c.get.SetReadDeadline(d) }
func (c *tunnelClient) SetWriteDeadline(d time.Time) error { return c.post.SetWriteDeadline(d) }

var cookieSeq struct {
	sync.Mutex
	n int
}

func newCookie() string {
	cookieSeq.Lock()
	defer cookieSeq.Unlock()
	cookieSeq.n++
	return fmt.Sprintf("c%dT%d", cookieSeq.n, time.Now().UnixNano())
}

// openTunnelGet sends the tunnel's GET and checks the answer.
func openTunnelGet(t *testing.T, dial rawDialer, addr, cookie string) (net.Conn, *bufio.Reader) {
	t.Helper()
	get := dial(t, addr)
	fmt.Fprintf(get, "GET /live HTTP/1.0\r\nx-sessioncookie: %s\r\nAccept: application/x-rtsp-tunnelled\r\nPragma: no-cache\r\n\r\n", cookie)
	br := bufio.NewReader(get)
	get.SetReadDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("tunnel GET: %v", err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/x-rtsp-tunnelled" {
		t.Fatalf("tunnel GET: %s, Content-Type %q", res.Status, res.Header.Get("Content-Type"))
	}
	return get, br
}

func openTunnelPost(t *testing.T, dial rawDialer, addr, cookie string) net.Conn {
	t.Helper()
	post := dial(t, addr)
	fmt.Fprintf(post, "POST /live HTTP/1.0\r\nx-sessioncookie: %s\r\nContent-Type: application/x-rtsp-tunnelled\r\nContent-Length: 32767\r\n\r\n", cookie)
	return post
}

func tunnelOver(dial rawDialer) rawDialer {
	return func(t *testing.T, addr string) net.Conn {
		cookie := newCookie()
		get, br := openTunnelGet(t, dial, addr, cookie)
		return &tunnelClient{get: get, post: openTunnelPost(t, dial, addr, cookie), br: br}
	}
}

func dialWS(t *testing.T, url string, protos ...string) (*websocket.Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return websocket.Dial(ctx, url, &websocket.DialOptions{
		Subprotocols: protos,
		HTTPClient:   &http.Client{Transport: wsTransport},
	})
}

var wsTransport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}

func wsOver(scheme string) rawDialer {
	return func(t *testing.T, addr string) net.Conn {
		ws, _, err := dialWS(t, scheme+"://"+addr+"/live", rtsp.WebSocketProtocol)
		if err != nil {
			t.Fatalf("WebSocket dial: %v", err)
		}
		if ws.Subprotocol() != rtsp.WebSocketProtocol {
			t.Fatalf("subprotocol %q, want %q", ws.Subprotocol(), rtsp.WebSocketProtocol)
		}
		return websocket.NetConn(context.Background(), ws, websocket.MessageBinary)
	}
}

// transports are the byte streams RTSP runs on, and whether they need the
// TLS listener.
var transports = []struct {
	name string
	tls  bool
	dial rawDialer
}{
	{"tcp", false, dialTCP},
	{"tls", true, dialTLS},
	{"http-tunnel", false, tunnelOver(dialTCP)},
	{"https-tunnel", true, tunnelOver(dialTLS)},
	{"websocket", false, wsOver("ws")},
	{"websocket-tls", true, wsOver("wss")},
}

func clientOn(t *testing.T, nc net.Conn) *rawClient {
	t.Cleanup(func() { nc.Close() })
	return &rawClient{t: t, nc: nc, r: message.NewReader(nc)}
}

// playInterleaved plays live over c and checks 60 RTP packets of the video
// track: one SSRC, consecutive sequence numbers, the payload type of the
// SDP; then ends the session.
func playInterleaved(t *testing.T, c *rawClient, base string) {
	t.Helper()
	res := c.do("DESCRIBE", base+"/live", nil)
	expectStatus(t, "DESCRIBE", res, 200)
	pt := ""
	for _, l := range strings.Split(string(res.Body), "\n") {
		if strings.HasPrefix(l, "m=video ") {
			f := strings.Fields(l)
			pt = f[len(f)-1]
		}
	}
	res = c.do("SETUP", base+"/live/trackID=0", hdr("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"))
	expectStatus(t, "SETUP", res, 200)
	id := sessionID(t, res)
	expectStatus(t, "PLAY", c.do("PLAY", base+"/live", hdr("Session", id)), 200)
	pkts := rtpFrames(t, c, 0, 60)
	for i, p := range pkts {
		if fmt.Sprint(p.PayloadType) != pt {
			t.Fatalf("packet %d: payload type %d, SDP says %s", i, p.PayloadType, pt)
		}
	}
	expectStatus(t, "TEARDOWN", c.do("TEARDOWN", base+"/live", hdr("Session", id)), 200)
}

func TestPlayOverEveryTransport(t *testing.T) {
	ts := newTestServer(t, false, nil)
	tlsAddr := serveTLS(t, ts)
	t.Run("all", func(t *testing.T) {
		for _, tr := range transports {
			t.Run(tr.name, func(t *testing.T) {
				t.Parallel()
				addr := ts.addr
				if tr.tls {
					addr = tlsAddr
				}
				c := clientOn(t, tr.dial(t, addr))
				playInterleaved(t, c, "rtsp://"+addr)
			})
		}
	})
	waitFor(t, "sessions to end", 3*time.Second, func() bool { return ts.srv.Sessions() == 0 })
}

func TestTLSOldVersionsRefused(t *testing.T) {
	ts := newTestServer(t, false, nil)
	addr := serveTLS(t, ts)
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		nc, err := tls.Dial("tcp4", addr, &tls.Config{InsecureSkipVerify: true, MinVersion: v, MaxVersion: v})
		if err == nil {
			nc.Close()
			t.Fatalf("TLS version %x accepted", v)
		}
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		nc, err := tls.Dial("tcp4", addr, &tls.Config{InsecureSkipVerify: true, MinVersion: v, MaxVersion: v})
		if err != nil {
			t.Fatalf("TLS version %x refused: %v", v, err)
		}
		c := clientOn(t, nc)
		expectStatus(t, "OPTIONS", c.do("OPTIONS", "*", nil), 200)
	}
}

func TestTunnelPostBeforeGet(t *testing.T) {
	ts := newTestServer(t, false, nil)
	cookie := newCookie()
	post := openTunnelPost(t, dialTCP, ts.addr, cookie)
	time.Sleep(300 * time.Millisecond)
	get, br := openTunnelGet(t, dialTCP, ts.addr, cookie)
	c := clientOn(t, &tunnelClient{get: get, post: post, br: br})
	expectStatus(t, "OPTIONS", c.do("OPTIONS", "*", nil), 200)
}

// expectClosed reads from nc until the server closes it.
func expectClosed(t *testing.T, what string, r io.Reader, nc net.Conn, within time.Duration) string {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(within))
	b, err := io.ReadAll(r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: still open after %v", what, within)
	}
	return string(b)
}

func TestTunnelErrors(t *testing.T) {
	ts := newTestServer(t, false, func(s *rtsp.Server) { s.TunnelTimeout = time.Second })

	t.Run("get without post", func(t *testing.T) {
		get, br := openTunnelGet(t, dialTCP, ts.addr, newCookie())
		expectClosed(t, "GET whose POST never came", br, get, 3*time.Second)
	})
	t.Run("post without get", func(t *testing.T) {
		post := openTunnelPost(t, dialTCP, ts.addr, newCookie())
		body := expectClosed(t, "POST whose GET never came", post, post, 3*time.Second)
		if !strings.Contains(body, "408") {
			t.Fatalf("POST answered %q, want a 408", body)
		}
	})
	t.Run("missing cookie", func(t *testing.T) {
		nc := dialTCP(t, ts.addr)
		defer nc.Close()
		fmt.Fprintf(nc, "GET /live HTTP/1.0\r\nAccept: application/x-rtsp-tunnelled\r\n\r\n")
		res, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 400 && res.StatusCode != 404 {
			t.Fatalf("GET without cookie: %s %s", res.Status, b)
		}
	})
	t.Run("bad cookie", func(t *testing.T) {
		nc := dialTCP(t, ts.addr)
		defer nc.Close()
		fmt.Fprintf(nc, "GET /live HTTP/1.0\r\nx-sessioncookie: %s\r\n\r\n", strings.Repeat("x", 300))
		res, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 400 || !strings.Contains(string(b), "x-sessioncookie") {
			t.Fatalf("GET with a 300-byte cookie: %s %s", res.Status, b)
		}
	})
	t.Run("second get for a cookie", func(t *testing.T) {
		cookie := newCookie()
		openTunnelGet(t, dialTCP, ts.addr, cookie)
		nc := dialTCP(t, ts.addr)
		defer nc.Close()
		fmt.Fprintf(nc, "GET /live HTTP/1.0\r\nx-sessioncookie: %s\r\n\r\n", cookie)
		res, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 200 {
			return // refused by status
		}
		t.Fatalf("a second GET for a cookie in use was accepted")
	})
	t.Run("bad base64", func(t *testing.T) {
		cookie := newCookie()
		get, br := openTunnelGet(t, dialTCP, ts.addr, cookie)
		post := openTunnelPost(t, dialTCP, ts.addr, cookie)
		io.WriteString(post, "T1BUSU9OUyAq!!!!")
		expectClosed(t, "tunnel with bad base64", br, get, 3*time.Second)
	})
}

func TestWebSocketSubprotocol(t *testing.T) {
	ts := newTestServer(t, false, nil)
	for _, protos := range [][]string{nil, {"rtsp"}, {"chat", "rtsp.example.org"}} {
		ws, res, err := dialWS(t, "ws://"+ts.addr+"/live", protos...)
		if err == nil {
			ws.CloseNow()
			t.Fatalf("subprotocols %q: upgraded", protos)
		}
		if res == nil || res.StatusCode != 400 {
			t.Fatalf("subprotocols %q: %v, want a 400", protos, err)
		}
	}
	// Text frames are not RTSP over WebSocket: the connection ends.
	ws, _, err := dialWS(t, "ws://"+ts.addr+"/live", rtsp.WebSocketProtocol)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	ws.Write(ctx, websocket.MessageText, []byte("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n"))
	if _, _, err := ws.Read(ctx); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("text frame: read %v, want the connection closed", err)
	}
}

// TestSecureNoLeaks: after sessions on every transport (and the failed
// tunnels and upgrades) end, no goroutine or descriptor is left.
func TestSecureNoLeaks(t *testing.T) {
	// Long enough for a loaded CI machine to pair the tunnels that should.
	ts := newTestServer(t, false, func(s *rtsp.Server) { s.TunnelTimeout = time.Second })
	tlsAddr := serveTLS(t, ts)
	warm := clientOn(t, dialTLS(t, tlsAddr))
	expectStatus(t, "warm-up", warm.do("OPTIONS", "*", nil), 200)
	warm.nc.Close()
	time.Sleep(200 * time.Millisecond)
	g0, fd0 := runtime.NumGoroutine(), countFDs(t)

	for _, tr := range transports {
		addr := ts.addr
		if tr.tls {
			addr = tlsAddr
		}
		nc := tr.dial(t, addr)
		c := &rawClient{t: t, nc: nc, r: message.NewReader(nc)}
		res := c.do("SETUP", "rtsp://"+addr+"/live/trackID=0", hdr("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"))
		expectStatus(t, "SETUP", res, 200)
		expectStatus(t, "PLAY", c.do("PLAY", "rtsp://"+addr+"/live", hdr("Session", sessionID(t, res))), 200)
		rtpFrames(t, c, 0, 10)
		nc.Close() // no TEARDOWN: the connection's end ends the session
	}
	lone, _ := openTunnelGet(t, dialTCP, ts.addr, newCookie())
	lonePost := openTunnelPost(t, dialTCP, ts.addr, newCookie())
	if _, res, err := dialWS(t, "ws://"+ts.addr+"/live"); err == nil || res == nil {
		t.Fatal("upgrade without subprotocol accepted")
	}
	time.Sleep(1300 * time.Millisecond) // past the tunnel timeout
	lone.Close()
	lonePost.Close()
	wsTransport.CloseIdleConnections()

	waitFor(t, "sessions to end", 3*time.Second, func() bool { return ts.srv.Sessions() == 0 })
	var g, fd int
	deadline := time.Now().Add(5 * time.Second)
	for {
		g, fd = runtime.NumGoroutine(), countFDs(t)
		if g <= g0 && fd <= fd0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if g > g0 {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines after the clients left, %d before:\n%s", g, g0, buf[:runtime.Stack(buf, true)])
	}
	if fd > fd0 {
		t.Errorf("%d descriptors after the clients left, %d before", fd, fd0)
	}
}

// TestTunnelNextPost: a QuickTime client closes its POST after a request
// and goes on with a new POST under the same cookie; the session and the
// GET carry on.
func TestTunnelNextPost(t *testing.T) {
	ts := newTestServer(t, false, nil)
	cookie := newCookie()
	get, br := openTunnelGet(t, dialTCP, ts.addr, cookie)
	tc := &tunnelClient{get: get, post: openTunnelPost(t, dialTCP, ts.addr, cookie), br: br}
	c := clientOn(t, tc)
	res := c.do("SETUP", ts.url("live/trackID=0"), hdr("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"))
	expectStatus(t, "SETUP", res, 200)
	id := sessionID(t, res)
	tc.post.Close()
	time.Sleep(100 * time.Millisecond)
	tc.post = openTunnelPost(t, dialTCP, ts.addr, cookie)
	expectStatus(t, "PLAY on the second POST", c.do("PLAY", ts.url("live"), hdr("Session", id)), 200)
	rtpFrames(t, c, 0, 10)

	// A GET for the open tunnel's cookie is refused.
	nc := dialTCP(t, ts.addr)
	defer nc.Close()
	fmt.Fprintf(nc, "GET /live HTTP/1.0\r\nx-sessioncookie: %s\r\n\r\n", cookie)
	hres, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatal(err)
	}
	if hres.StatusCode != 400 {
		t.Fatalf("a GET for an open tunnel: %s", hres.Status)
	}
	expectStatus(t, "TEARDOWN", c.do("TEARDOWN", ts.url("live"), hdr("Session", id)), 200)
}
