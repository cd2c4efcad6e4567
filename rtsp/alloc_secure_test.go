package rtsp

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"rtspcam/firmware/certs"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/stream"
)

// The connection kinds interleaved media is written to. In each, the peer
// drains the raw TCP bytes without decoding them (no TLS decryption, no
// WebSocket parsing), so that measurements count the server's work only.
var streamKinds = []string{"tcp", "tls", "http-tunnel", "websocket", "websocket-tls"}

var allocTLS = sync.OnceValues(func() (*tls.Config, error) {
	c, k, err := certs.Generate([]string{"127.0.0.1"}, time.Now())
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(c, k)
	if err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}}, nil
})

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(tb testing.TB, l net.Listener) (server, client net.Conn) {
	tb.Helper()
	client, err := net.Dial("tcp4", l.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	server, err = l.Accept()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

func drain(r io.Reader) { go io.Copy(io.Discard, r) }

// serverStream returns the server's end of a connection of kind, as
// serverConn would run on it, with a peer that drains it.
func serverStream(tb testing.TB, kind string) net.Conn {
	tb.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	switch kind {
	case "tcp":
		s, c := tcpPair(tb, l)
		drain(c)
		return s
	case "tls":
		cfg, err := allocTLS()
		if err != nil {
			tb.Fatal(err)
		}
		s, c := tcpPair(tb, l)
		ts := tls.Server(s, cfg)
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true})
		done := make(chan error, 1)
		go func() { done <- tc.Handshake() }()
		if err := ts.Handshake(); err != nil {
			tb.Fatal(err)
		}
		if err := <-done; err != nil {
			tb.Fatal(err)
		}
		drain(c) // the records, undecrypted
		return ts
	case "http-tunnel":
		get, getClient := tcpPair(tb, l)
		post, _ := tcpPair(tb, l)
		drain(getClient)
		return newTunnelConn(get, tunnelPost{conn: post, r: post}, time.Second)
	case "websocket", "websocket-tls":
		conns := make(chan net.Conn, 1)
		hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := acceptWebSocket(w, r, &websocket.AcceptOptions{Subprotocols: []string{WebSocketProtocol}})
			if err != nil {
				return
			}
			conns <- c
		})}
		var hl net.Listener = l
		if kind == "websocket-tls" {
			cfg, err := allocTLS()
			if err != nil {
				tb.Fatal(err)
			}
			hl = tls.NewListener(l, cfg)
		}
		go hs.Serve(hl)
		tb.Cleanup(func() { hs.Close() })
		c, err := net.Dial("tcp4", l.Addr().String())
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { c.Close() })
		if kind == "websocket-tls" {
			tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true})
			if err := tc.Handshake(); err != nil {
				tb.Fatal(err)
			}
			c = tc
		}
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n\r\n", WebSocketProtocol)
		br := bufio.NewReader(c)
		res, err := http.ReadResponse(br, nil)
		if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
			tb.Fatalf("upgrade: %v %v", res, err)
		}
		if kind == "websocket-tls" {
			drain(c.(*tls.Conn).NetConn()) // the records, undecrypted
		} else {
			drain(br)
		}
		s := <-conns
		tb.Cleanup(func() { s.Close() })
		return s
	}
	tb.Fatalf("unknown kind %q", kind)
	return nil
}

// tcpSession is a playing session with interleaved media on nc.
func tcpSession(srv *Server, nc net.Conn) *serverSession {
	ss := &serverSession{s: srv, slot: -1, tcp: true}
	ss.conn = newServerConn(srv, nc)
	ss.tracks = []*sessionTrack{{index: 0, rtpChannel: 0, rtcpChannel: 1}}
	return ss
}

// framePackets is how many packets of 1200 bytes each written frame has.
const framePackets = 8

// deliver writes one frame to the stream and has every reader send what
// it got over its session.
func deliver(tb testing.TB, st *stream.Stream, readers []*stream.Reader, sessions []*serverSession, pts *time.Duration, au [][]byte) {
	for range framePackets {
		*pts += time.Millisecond
		st.WriteAU(0, *pts, au, true)
	}
	for i, r := range readers {
		ss := sessions[i]
		n, _ := r.Read(ss.pkts[:])
		if err := ss.writePackets(ss.pkts[:n]); err != nil {
			tb.Fatal(err)
		}
		for j := 0; j < n; j++ {
			ss.pkts[j].Release()
			ss.pkts[j] = nil
		}
	}
}

func newDelivery(tb testing.TB, kind string, readers int) (*stream.Stream, []*stream.Reader, []*serverSession) {
	srv := &Server{}
	srv.init()
	st := stream.New([]payload.Format{rawFormat{}})
	var rs []*stream.Reader
	var ss []*serverSession
	for range readers {
		r := stream.NewReader(0)
		st.AddReader(r)
		rs = append(rs, r)
		ss = append(ss, tcpSession(srv, serverStream(tb, kind)))
	}
	return st, rs, ss
}

// TestSecureWriteAllocations: the interleaved write path allocates nothing
// per packet on TCP and the HTTP tunnel (writev to the socket), on TLS (one
// coalesced record write), nor on WebSocket (the server frames its binary
// messages itself: writev of header and batch).
func TestSecureWriteAllocations(t *testing.T) {
	for _, kind := range streamKinds {
		t.Run(kind, func(t *testing.T) {
			st, rs, ss := newDelivery(t, kind, 1)
			au := [][]byte{make([]byte, 1200)}
			var pts time.Duration
			step := func() { deliver(t, st, rs, ss, &pts, au) }
			for range 50 {
				step()
			}
			a := testing.AllocsPerRun(200, step) / framePackets
			t.Logf("%s: %.2f allocations per packet", kind, a)
			if a != 0 {
				t.Fatalf("%s: %.2f allocations per packet from source to socket, want 0", kind, a)
			}
		})
	}
}

// BenchmarkSecureDelivery delivers frames of 8 packets of 1200 bytes to
// 100 readers on each kind of connection. Compare ns/op (or MB/s) between
// kinds: CPU per delivered byte relative to plain TCP.
func BenchmarkSecureDelivery(b *testing.B) {
	for _, kind := range streamKinds {
		b.Run(kind, func(b *testing.B) {
			const readers = 100
			st, rs, ss := newDelivery(b, kind, readers)
			au := [][]byte{make([]byte, 1200)}
			var pts time.Duration
			for range 10 {
				deliver(b, st, rs, ss, &pts, au)
			}
			b.SetBytes(readers * framePackets * (1200 + 4))
			b.ReportAllocs()
			cpu0 := processCPU(b)
			b.ResetTimer()
			for range b.N {
				deliver(b, st, rs, ss, &pts, au)
			}
			b.StopTimer()
			bytes := float64(b.N) * readers * framePackets * (1200 + 4)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*readers*framePackets), "ns/packet")
			// Process CPU (server writes, the kernel, the peers' raw
			// drains) per gigabyte delivered.
			b.ReportMetric((processCPU(b)-cpu0).Seconds()/(bytes/1e9), "cpu-s/GB")
		})
	}
}

// processCPU is the user and system time this process used so far.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
