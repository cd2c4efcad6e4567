package pusher

import (
	"net"
	"os"
	"testing"
	"time"

	"rtspcam/firmware/config"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/g711"
	"rtspcam/rtsp/payload/h264"
	"rtspcam/rtsp/stream"
)

// signalRelay is the real relay of a published path with a signal per
// packet, so a test can wait for each without polling.
type signalRelay struct {
	st  *stream.Stream
	got chan struct{}
}

func (r *signalRelay) WriteRTP(track int, pkt []byte) error {
	err := r.st.WriteRTP(track, pkt)
	r.got <- struct{}{}
	return err
}

// relayWithReader is a live relay of H.264 + PCMU with one attached
// reader drained as a session's writer would.
func relayWithReader(tb testing.TB) (*signalRelay, *stream.Reader, func()) {
	st := stream.NewRelay([]payload.Format{&h264.Format{PT: VideoPayloadType}, &g711.Format{MuLaw: true}}, 0)
	rd := stream.NewReader(0)
	if err := st.AddReader(rd); err != nil {
		tb.Fatal(err)
	}
	return &signalRelay{st: st, got: make(chan struct{}, 1)}, rd, func() { rd.Close(); st.Close() }
}

// drain reads what the reader holds and releases it.
func drain(rd *stream.Reader, pkts []*stream.Packet) int {
	n, _ := rd.Read(pkts)
	for i := 0; i < n; i++ {
		pkts[i].Release()
	}
	return n
}

// keyframePacket is an RTP packet carrying one H.264 IDR slice, so the
// reader (which starts on a keyframe) takes it.
func keyframePacket(seq uint16) []byte {
	p := rtpPacket(seq, 1200)
	p[1] = 0x80 | VideoPayloadType // marker: one packet per frame
	p[12] = 0x65                   // NAL type 5, IDR slice
	return p
}

// TestIngestToReaderAllocatesNothing: UDP datagram → pusher → the path's
// relay → a reader's queue allocates nothing per packet.
func TestIngestToReaderAllocatesNothing(t *testing.T) {
	relay, rd, closeAll := relayWithReader(t)
	defer closeAll()
	l := listen(t, config.PushUDP, relay, true, false)
	c, err := net.DialUDP("udp", nil, l.VideoAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var pkts [64]*stream.Packet
	seq := uint16(0)
	send := func() {
		seq++
		pkt := keyframePacket(seq)
		c.Write(pkt)
		<-relay.got
	}
	for range 100 { // warm the packet pool
		send()
		drain(rd, pkts[:])
	}
	pkt := keyframePacket(0)
	got := 0
	allocs := testing.AllocsPerRun(500, func() {
		seq++
		pkt[2], pkt[3] = byte(seq>>8), byte(seq)
		c.Write(pkt)
		<-relay.got
		got += drain(rd, pkts[:])
	})
	if allocs != 0 {
		t.Fatalf("%.2f allocations per packet, want 0", allocs)
	}
	if got < 500 {
		t.Fatalf("reader got %d packets of 501", got)
	}
}

// BenchmarkIngestToReader is one datagram from the pusher's socket to a
// reader of the path.
func BenchmarkIngestToReader(b *testing.B) {
	relay, rd, closeAll := relayWithReader(b)
	defer closeAll()
	var l *Listener
	for i := 0; l == nil; i++ {
		var err error
		l, err = Listen(Options{Mode: config.PushUDP, IP: "127.0.0.1", VPort: 12000 + 2*i, Video: 0, Audio: -1}, relay)
		if err != nil && i > 100 {
			b.Fatal(err)
		}
	}
	defer l.Close()
	c, err := net.DialUDP("udp", nil, l.VideoAddr().(*net.UDPAddr))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	var pkts [64]*stream.Packet
	pkt := keyframePacket(0)
	seq := uint16(0)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		seq++
		pkt[2], pkt[3] = byte(seq>>8), byte(seq)
		c.Write(pkt)
		<-relay.got
		drain(rd, pkts[:])
	}
}

// TestPusherLeavesNoDescriptor: a TCP pusher with connections, closed,
// leaves no descriptor open.
func TestPusherLeavesNoDescriptor(t *testing.T) {
	fds := func() int {
		es, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}
	// The runtime's poller keeps its own descriptors once started.
	if warm, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		warm.Close()
	}
	before := fds()
	relay := newRecordingRelay()
	var l *Listener
	for i := 0; l == nil; i++ {
		var err error
		l, err = Listen(Options{Mode: config.PushTCP, IP: "127.0.0.1", VPort: 14000 + 2*i, APort: 16000 + 2*i, Video: 0, Audio: 1}, relay)
		if err != nil && i > 100 {
			t.Fatal(err)
		}
	}
	for range 3 {
		c, err := net.Dial("tcp", l.VideoAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.Write(framed(rtpPacket(1, 100)))
		defer c.Close()
	}
	relay.waitFor(t, 3)
	l.Close()
	deadline := time.Now().Add(3 * time.Second)
	for fds() > before+3 && time.Now().Before(deadline) { // +3: the clients' own ends
		time.Sleep(10 * time.Millisecond)
	}
	if n := fds(); n > before+3 {
		t.Errorf("%d descriptors open after Close, %d before (+3 client ends)", n, before)
	}
}
