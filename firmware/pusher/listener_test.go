package pusher

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"rtspcam/firmware/config"
)

// recordingRelay keeps a copy of every packet per track.
type recordingRelay struct {
	mu    sync.Mutex
	pkts  map[int][][]byte
	got   chan struct{}
	fail  error
	count int
}

func newRecordingRelay() *recordingRelay {
	return &recordingRelay{pkts: map[int][][]byte{}, got: make(chan struct{}, 1<<16)}
}

func (r *recordingRelay) WriteRTP(track int, pkt []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.pkts[track] = append(r.pkts[track], append([]byte(nil), pkt...))
	r.count++
	select {
	case r.got <- struct{}{}:
	default:
	}
	return nil
}

func (r *recordingRelay) seqs(track int) []uint16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []uint16
	for _, p := range r.pkts[track] {
		out = append(out, binary.BigEndian.Uint16(p[2:]))
	}
	return out
}

// waitFor waits until the relay holds n packets in all.
func (r *recordingRelay) waitFor(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		r.mu.Lock()
		c := r.count
		r.mu.Unlock()
		if c >= n {
			return
		}
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("relay got %d packets, want %d", c, n)
		}
	}
}

// listen starts a pusher on random loopback ports below the ephemeral
// range (so ffmpeg and the test can name them), retrying when taken.
func listen(t *testing.T, mode string, relay Relay, video, audio bool) *Listener {
	t.Helper()
	for range 50 {
		o := Options{Mode: mode, IP: "127.0.0.1", Video: -1, Audio: -1, ReadTimeout: 2 * time.Second, MaxConns: 2}
		if video {
			o.VPort, o.Video = 10000+2*rand.IntN(10000), 0
		}
		if audio {
			o.APort, o.Audio = 30000+2*rand.IntN(1000), 1
		}
		l, err := Listen(o, relay)
		if err == nil {
			t.Cleanup(func() { l.Close() })
			return l
		}
		if !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
	}
	t.Fatal("no free ports")
	return nil
}

func TestUDPPusherDropsBadDatagrams(t *testing.T) {
	t.Parallel()
	relay := newRecordingRelay()
	l := listen(t, config.PushUDP, relay, true, true)
	v, err := net.DialUDP("udp", nil, l.VideoAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	a, err := net.DialUDP("udp", nil, l.AudioAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	rtcp := rtpPacket(0, 28)
	rtcp[1] = 200
	bad := rtpPacket(0, 40)
	bad[0] = 0
	for _, d := range [][]byte{{1, 2, 3}, rtpPacket(0, 12)[:11], rtpPacket(0, MaxPacket+1), rtpPacket(0, 9000), rtcp, bad} {
		v.Write(d)
	}
	v.Write(rtpPacket(1, 1000))
	a.Write(rtpPacket(7, 160))
	v.Write(rtpPacket(2, MaxPacket))
	relay.waitFor(t, 3)
	if got := relay.seqs(0); !equal(got, []uint16{1, 2}) {
		t.Errorf("video packets %v", got)
	}
	if got := relay.seqs(1); !equal(got, []uint16{7}) {
		t.Errorf("audio packets %v", got)
	}
	s := l.Stats()
	want := Drops{Short: 2, Oversized: 2, Malformed: 2}
	if s.Drops != want || s.Packets != 3 || s.Bytes != 1000+160+MaxPacket {
		t.Errorf("stats %+v, want drops %+v, 3 packets", s, want)
	}
	// A relay that refuses is counted too, and the listener keeps going.
	relay.mu.Lock()
	relay.fail = errors.New("closed")
	relay.mu.Unlock()
	v.Write(rtpPacket(3, 100))
	waitStat(t, func() bool { return l.Stats().Drops.Refused == 1 })
}

func TestTCPPusherFramingAndReconnect(t *testing.T) {
	t.Parallel()
	relay := newRecordingRelay()
	l := listen(t, config.PushTCP, relay, true, false)
	if l.AudioAddr() != nil {
		t.Fatal("audio port bound with no audio track")
	}
	c, err := net.Dial("tcp", l.VideoAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	// Wrong magic, short and oversized frames, then valid frames.
	// Wrong magic (the reader resyncs on the next valid frame), then
	// short and oversized frames in sync, then valid frames.
	c.Write([]byte("not a frame at all"))
	c.Write(framed(rtpPacket(10, 1200)))
	c.Write(frame(0, 4, []byte{1, 2, 3, 4}))
	c.Write(framed(rtpPacket(1, 9000)))
	for i := uint16(11); i < 20; i++ {
		c.Write(framed(rtpPacket(i, 1200)))
	}
	relay.waitFor(t, 10)
	c.Close()
	// The listener stays up: a new connection is served.
	c2, err := net.Dial("tcp", l.VideoAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.Write(framed(rtpPacket(20, 300)))
	relay.waitFor(t, 11)
	want := []uint16{10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
	if got := relay.seqs(0); !equal(got, want) {
		t.Errorf("packets %v, want %v", got, want)
	}
	s := l.Stats()
	if s.Drops != (Drops{Framing: 1, Short: 1, Oversized: 1}) || s.Conns != 2 {
		t.Errorf("stats %+v", s)
	}
}

func TestTCPPusherBoundsConnections(t *testing.T) {
	t.Parallel()
	relay := newRecordingRelay()
	l := listen(t, config.PushTCP, relay, true, false) // MaxConns 2
	var conns []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", l.VideoAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	waitStat(t, func() bool { return l.Stats().Rejected == 1 })
	// The third was closed: reading it ends.
	conns[2].SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := conns[2].Read(make([]byte, 1)); err == nil {
		t.Error("third connection still open")
	}
	conns[0].Write(framed(rtpPacket(5, 100)))
	relay.waitFor(t, 1)
}

func TestPusherCloseLeavesNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, mode := range []string{config.PushUDP, config.PushTCP} {
		relay := newRecordingRelay()
		l := listen(t, mode, relay, true, true)
		if mode == config.PushTCP {
			c, err := net.Dial("tcp", l.VideoAddr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write(framed(rtpPacket(1, 100)))
			relay.waitFor(t, 1)
		}
		vaddr := l.VideoAddr().String()
		l.Close()
		// The ports are free again.
		if mode == config.PushUDP {
			ua, _ := net.ResolveUDPAddr("udp", vaddr)
			uc, err := net.ListenUDP("udp", ua)
			if err != nil {
				t.Fatalf("port not released: %v", err)
			}
			uc.Close()
		} else {
			tl, err := net.Listen("tcp", vaddr)
			if err != nil {
				t.Fatalf("port not released: %v", err)
			}
			tl.Close()
		}
	}
	waitStat(t, func() bool { return runtime.NumGoroutine() <= before })
}

func TestListenErrors(t *testing.T) {
	t.Parallel()
	if _, err := Listen(Options{Mode: config.PushRTSP, VPort: 1, Video: 0}, newRecordingRelay()); err == nil {
		t.Error("RTSP mode got a listener")
	}
	if _, err := Listen(Options{Mode: config.PushUDP, Video: -1, Audio: -1}, newRecordingRelay()); err == nil {
		t.Error("no ports accepted")
	}
	taken, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.LocalAddr().(*net.UDPAddr).Port
	if _, err := Listen(Options{Mode: config.PushUDP, IP: "127.0.0.1", VPort: port, Video: 0, Audio: -1}, newRecordingRelay()); err == nil {
		t.Error("a taken port was bound")
	}
}

// countingRelay counts and signals without allocating.
type countingRelay struct {
	n   int
	got chan struct{}
}

func (r *countingRelay) WriteRTP(track int, pkt []byte) error {
	r.n++
	r.got <- struct{}{}
	return nil
}

// TestUDPIngestAllocatesNothing: socket → validation → relay allocates
// nothing per packet (the sender's Write included).
func TestUDPIngestAllocatesNothing(t *testing.T) {
	relay := &countingRelay{got: make(chan struct{}, 1)}
	l := listen(t, config.PushUDP, relay, true, false)
	c, err := net.DialUDP("udp", nil, l.VideoAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pkt := rtpPacket(1, 1200)
	allocs := testing.AllocsPerRun(500, func() {
		if _, err := c.Write(pkt); err != nil {
			t.Fatal(err)
		}
		<-relay.got
	})
	if allocs != 0 {
		t.Fatalf("%.2f allocations per packet, want 0", allocs)
	}
}

// TestTCPIngestAllocatesNothing: the same through a TCP connection.
func TestTCPIngestAllocatesNothing(t *testing.T) {
	relay := &countingRelay{got: make(chan struct{}, 1)}
	l := listen(t, config.PushTCP, relay, true, false)
	c, err := net.Dial("tcp", l.VideoAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f := framed(rtpPacket(1, 1200))
	c.Write(f)
	<-relay.got
	allocs := testing.AllocsPerRun(500, func() {
		if _, err := c.Write(f); err != nil {
			t.Fatal(err)
		}
		<-relay.got
	})
	if allocs != 0 {
		t.Fatalf("%.2f allocations per packet, want 0", allocs)
	}
}

// BenchmarkUDPIngest is one datagram from a socket write to the relay.
func BenchmarkUDPIngest(b *testing.B) {
	relay := &countingRelay{got: make(chan struct{}, 1)}
	var l *Listener
	for l == nil {
		var err error
		l, err = Listen(Options{Mode: config.PushUDP, IP: "127.0.0.1", VPort: 10000 + rand.IntN(20000), Video: 0, Audio: -1}, relay)
		if err != nil && !strings.Contains(err.Error(), "in use") {
			b.Fatal(err)
		}
	}
	defer l.Close()
	c, err := net.DialUDP("udp", nil, l.VideoAddr().(*net.UDPAddr))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	pkt := rtpPacket(1, 1200)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		c.Write(pkt)
		<-relay.got
	}
}

func waitStat(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
