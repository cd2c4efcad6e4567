package rtsp

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/srtp"
	"rtspcam/rtsp/stream"
)

// srtpKinds are the deliveries compared in BenchmarkSRTPDelivery.
var srtpKinds = []string{"tcp", "udp", "srtp-udp", "srtp-tcp", "multicast"}

// secureSession gives ss fresh per-session SRTP keys.
func secureSession(tb testing.TB, ss *serverSession) {
	k, err := srtp.NewKeys(srtp.AES128SHA1_80)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := srtp.NewSender(k)
	if err != nil {
		tb.Fatal(err)
	}
	ss.srtp = &sessionSRTP{out: k, in: k, sender: s, batch: make([]byte, len(ss.pkts)*(srtp.MaxPacket+srtp.Overhead))}
}

// udpSession is a playing session sending to sink over its own port pair.
func udpSession(tb testing.TB, srv *Server, sink netip.AddrPort, secure bool) *serverSession {
	ss := &serverSession{s: srv, slot: -1}
	if secure {
		secureSession(tb, ss)
	}
	a, b, err := bindPair(netip.MustParseAddr("127.0.0.1"), 0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close(); b.Close() })
	ss.tracks = []*sessionTrack{{index: 0, udp: &udpTrack{rtp: a, rtcp: b, clientRTP: sink, clientRTCP: sink, sec: ss.srtp}}}
	return ss
}

// udpSink is a loopback socket whose packets are read and thrown away.
func udpSink(tb testing.TB) netip.AddrPort {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	c.SetReadBuffer(4 << 20)
	tb.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
		}
	}()
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}

// newSRTPDelivery builds readers sessions of kind on one stream. For
// multicast there is one sender however many readers: it is returned as
// the only session, sending to a loopback sink as a stand-in for the group.
func newSRTPDelivery(tb testing.TB, kind string, readers int) (*stream.Stream, []*stream.Reader, []*serverSession) {
	srv := &Server{}
	srv.init()
	st := stream.New([]payload.Format{rawFormat{}})
	sink := udpSink(tb)
	var rs []*stream.Reader
	var ss []*serverSession
	if kind == "multicast" {
		readers = 1
	}
	for range readers {
		r := stream.NewReader(0)
		st.AddReader(r)
		rs = append(rs, r)
		switch kind {
		case "tcp", "srtp-tcp":
			s := tcpSession(srv, serverStream(tb, "tcp"))
			if kind == "srtp-tcp" {
				secureSession(tb, s)
			}
			ss = append(ss, s)
		case "udp", "multicast":
			ss = append(ss, udpSession(tb, srv, sink, false))
		case "srtp-udp":
			ss = append(ss, udpSession(tb, srv, sink, true))
		}
	}
	return st, rs, ss
}

// TestSRTPWriteAllocations: per-session SRTP encrypts into the session's
// own buffers, so delivery stays allocation free over UDP and TCP.
func TestSRTPWriteAllocations(t *testing.T) {
	for _, kind := range []string{"srtp-udp", "srtp-tcp"} {
		t.Run(kind, func(t *testing.T) {
			st, rs, ss := newSRTPDelivery(t, kind, 2)
			au := [][]byte{make([]byte, 1200)}
			var pts time.Duration
			step := func() { deliver(t, st, rs, ss, &pts, au) }
			for range 50 {
				step()
			}
			if a := testing.AllocsPerRun(200, step) / framePackets; a != 0 {
				t.Fatalf("%s: %.2f allocations per packet, want 0", kind, a)
			}
		})
	}
}

// TestMulticastSendAllocations: the group's sender writes each shared
// packet once and allocates nothing.
func TestMulticastSendAllocations(t *testing.T) {
	conn, err := multicastSocket(1)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sink := udpSink(t)
	st := stream.New([]payload.Format{rawFormat{}})
	r := stream.NewReader(0)
	st.AddReader(r)
	g := &multicastGroup{conn: conn, dests: [][2]netip.AddrPort{{sink, sink}}}
	au := [][]byte{make([]byte, 1200)}
	var pts time.Duration
	step := func() {
		pts += time.Millisecond
		st.WriteAU(0, pts, au, true)
		n, _ := r.Read(g.pkts[:])
		g.sendBatch(g.pkts[:n])
	}
	for range 50 {
		step()
	}
	if a := testing.AllocsPerRun(500, step); a != 0 {
		t.Fatalf("%.2f allocations per packet from source to the group, want 0", a)
	}
	if g.sent < 550 || g.failed != 0 {
		t.Fatalf("sent %d, failed %d", g.sent, g.failed)
	}
}

// BenchmarkSRTPDelivery delivers frames of 8 packets of 1200 bytes to 100
// readers: plain TCP, plain UDP, SRTP over UDP and over TCP, each reader
// with its own keys; and multicast, where one send serves every reader.
// cpu-s/GB is process CPU per delivered gigabyte (for multicast counted as
// if the 100 readers each received the group's packets).
func BenchmarkSRTPDelivery(b *testing.B) {
	for _, kind := range srtpKinds {
		b.Run(kind, func(b *testing.B) {
			const readers = 100
			st, rs, ss := newSRTPDelivery(b, kind, readers)
			au := [][]byte{make([]byte, 1200)}
			var pts time.Duration
			for range 10 {
				deliver(b, st, rs, ss, &pts, au)
			}
			b.SetBytes(readers * framePackets * 1200)
			b.ReportAllocs()
			cpu0 := processCPU(b)
			b.ResetTimer()
			for range b.N {
				deliver(b, st, rs, ss, &pts, au)
			}
			b.StopTimer()
			bytes := float64(b.N) * readers * framePackets * 1200
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*readers*framePackets), "ns/packet")
			b.ReportMetric((processCPU(b)-cpu0).Seconds()/(bytes/1e9), "cpu-s/GB")
		})
	}
}
