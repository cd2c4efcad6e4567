package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
)

func TestTrackStatsCount(t *testing.T) {
	var tr TrackStats
	seqs := []uint16{65533, 65534, 65535, 0, 3, 2, 4}
	for i, s := range seqs {
		tr.count(s, uint32(i*3000), 7, 100)
	}
	if tr.Packets != 7 || tr.Bytes != 700 {
		t.Fatalf("packets %d bytes %d", tr.Packets, tr.Bytes)
	}
	if tr.Gaps != 2 { // 1 and 2 missing between 0 and 3 (2 then came late)
		t.Errorf("gaps %d, want 2", tr.Gaps)
	}
	if tr.Reorders != 1 {
		t.Errorf("reorders %d, want 1", tr.Reorders)
	}
	if want := uint64(65533 + 7); tr.LastSeq != want {
		t.Errorf("last seq %d, want %d (wrap counted)", tr.LastSeq, want)
	}
	if tr.LastTS-tr.FirstTS != 18000 {
		t.Errorf("ts span %d, want 18000", tr.LastTS-tr.FirstTS)
	}
	tr.count(5, 0, 8, 100)
	if tr.SSRCChanges != 1 || tr.SSRC != 8 {
		t.Errorf("ssrc changes %d ssrc %d", tr.SSRCChanges, tr.SSRC)
	}
}

func TestResolveControl(t *testing.T) {
	for _, c := range []struct{ base, ctl, want string }{
		{"rtsp://h/p", "trackID=1", "rtsp://h/p/trackID=1"},
		{"rtsp://h/p/", "stream=0", "rtsp://h/p/stream=0"},
		{"rtsp://h/p", "rtsp://h/p/t1", "rtsp://h/p/t1"},
		{"rtsp://h/p", "*", "rtsp://h/p"},
		{"rtsp://h/p", "", "rtsp://h/p"},
	} {
		if got := resolveControl(c.base, c.ctl); got != c.want {
			t.Errorf("resolveControl(%q, %q) = %q, want %q", c.base, c.ctl, got, c.want)
		}
	}
}

// frames builds n interleaved RTP frames alternating between channels 0
// and 2, with an RTCP frame on channel 1 now and then.
func frames(n int) []byte {
	var b bytes.Buffer
	pkt := make([]byte, 1400)
	pkt[0] = 0x80
	for i := range n {
		ch := byte(i%2) * 2
		binary.BigEndian.PutUint16(pkt[2:], uint16(i/2))
		binary.BigEndian.PutUint32(pkt[4:], uint32(i/2)*3600)
		binary.BigEndian.PutUint32(pkt[8:], uint32(ch)+1)
		b.Write([]byte{'$', ch, byte(len(pkt) >> 8), byte(len(pkt))})
		b.Write(pkt)
		if i%100 == 0 {
			b.Write([]byte{'$', 1, 0, 8, 0x80, 200, 0, 1, 0, 0, 0, 1})
		}
	}
	return b.Bytes()
}

// testReader is a Reader with two tracks on channels 0 and 2 whose
// connection is a loopback TCP connection (only its deadlines are used)
// and whose bytes come from src.
func testReader(t testing.TB, src io.Reader) *Reader {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	a, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	r := &Reader{conn: a, br: bufio.NewReaderSize(src, ReadBufferSize), keepalive: 1 << 62}
	r.channels[0], r.channels[2] = 1, 2
	r.stats.Tracks = make([]TrackStats, 2)
	return r
}

func TestLoopCounts(t *testing.T) {
	const n = 1000
	r := testReader(t, bytes.NewReader(frames(n)))
	err := r.loop(context.Background())
	if !errors.Is(err, io.EOF) {
		t.Fatalf("loop: %v, want EOF at the end of input", err)
	}
	s := r.Stats()
	if s.Packets() != n || s.Gaps() != 0 || s.Bytes() != n*1400 {
		t.Errorf("packets %d gaps %d bytes %d", s.Packets(), s.Gaps(), s.Bytes())
	}
	if s.RTCP != 10 || s.Unknown != 0 {
		t.Errorf("rtcp %d unknown %d", s.RTCP, s.Unknown)
	}
}

// TestLoopAllocs runs 2000 frames per call: a per-packet allocation would
// show as thousands; the few allowed are the end-of-input error.
func TestLoopAllocs(t *testing.T) {
	in := frames(2000)
	src := bytes.NewReader(in)
	r := testReader(t, src)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(20, func() {
		src.Reset(in)
		r.br.Reset(src)
		_ = r.loop(ctx)
	})
	if allocs > 5 {
		t.Fatalf("%.0f allocations per 2000 frames", allocs)
	}
}

func BenchmarkLoop(b *testing.B) {
	const perRun = 2000
	in := frames(perRun)
	src := bytes.NewReader(in)
	r := testReader(b, src)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		src.Reset(in)
		r.br.Reset(src)
		_ = r.loop(ctx)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perRun), "ns/frame")
}
