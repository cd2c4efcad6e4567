package stream

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
)

// chunkFormat is a test format whose packetizer cuts an access unit into
// fixed-size payloads, marker on the last.
type chunkFormat struct{ size int }

func (chunkFormat) MediaType() string  { return payload.Video }
func (chunkFormat) PayloadType() uint8 { return 96 }
func (chunkFormat) ClockRate() int     { return 90000 }
func (chunkFormat) RTPMap() string     { return "TEST/90000" }
func (chunkFormat) FMTP() string       { return "" }
func (f chunkFormat) NewPacketizer(max int) payload.Packetizer {
	return &chunker{size: min(f.size, max)}
}
func (chunkFormat) NewDepacketizer() payload.Depacketizer { return nil }

type chunker struct{ size int }

func (c *chunker) Packetize(au [][]byte, key bool, emit payload.Emit) error {
	for _, b := range au {
		for len(b) > 0 {
			n := min(len(b), c.size)
			emit(b[:n], n == len(b), 0)
			b = b[n:]
		}
	}
	return nil
}

func drain(t *testing.T, r *Reader, want int) []rtp.Packet {
	t.Helper()
	var out []rtp.Packet
	buf := make([]*Packet, 64)
	for len(out) < want {
		n, err := r.Read(buf)
		if err != nil {
			t.Fatalf("read: %v after %d packets", err, len(out))
		}
		for _, p := range buf[:n] {
			if !p.RTCP {
				var pkt rtp.Packet
				if err := pkt.Unmarshal(append([]byte(nil), p.Bytes()...)); err != nil {
					t.Fatal(err)
				}
				out = append(out, pkt)
			}
			p.Release()
		}
	}
	return out
}

func TestFanOutSameBytesToEveryReader(t *testing.T) {
	s := New([]payload.Format{chunkFormat{size: 1000}})
	r1, r2 := NewReader(0), NewReader(0)
	s.AddReader(r1)
	s.AddReader(r2)
	au := make([]byte, 2500)
	for i := range au {
		au[i] = byte(i)
	}
	if err := s.WriteAU(0, 40*time.Millisecond, [][]byte{au}, true); err != nil {
		t.Fatal(err)
	}
	a, b := drain(t, r1, 3), drain(t, r2, 3)
	st := s.State(0, 40*time.Millisecond)
	for i := range a {
		if a[i].SequenceNumber != b[i].SequenceNumber || a[i].Timestamp != b[i].Timestamp || a[i].SSRC != st.SSRC {
			t.Fatalf("packet %d differs between readers: %+v vs %+v", i, a[i].Header, b[i].Header)
		}
		if a[i].Timestamp != st.RTPTime {
			t.Fatalf("timestamp %d, want %d", a[i].Timestamp, st.RTPTime)
		}
	}
	if !a[2].Marker || a[0].Marker {
		t.Fatal("marker must be on the last packet only")
	}
	if a[1].SequenceNumber != a[0].SequenceNumber+1 || st.NextSeq != a[2].SequenceNumber+1 {
		t.Fatal("sequence numbers must run on")
	}
	if len(a[0].Payload)+len(a[1].Payload)+len(a[2].Payload) != 2500 || a[2].Payload[499] != byte(2499%256) {
		t.Fatal("payload mangled")
	}
}

func TestSlowReaderDropsToNextKeyframe(t *testing.T) {
	s := New([]payload.Format{chunkFormat{size: 100}})
	slow := NewReader(8)
	fast := NewReader(1024)
	s.AddReader(slow)
	s.AddReader(fast)
	frame := make([]byte, 300) // three packets an access unit
	for i := 0; i < 7; i++ {
		// a keyframe every 5 access units
		if err := s.WriteAU(0, time.Duration(i)*40*time.Millisecond, [][]byte{frame}, i%5 == 0); err != nil {
			t.Fatal(err)
		}
	}
	if slow.Dropped() == 0 {
		t.Fatal("a reader that never reads must drop")
	}
	if fast.Dropped() != 0 {
		t.Fatalf("the fast reader lost %d packets to the slow one", fast.Dropped())
	}
	got := drain(t, fast, 21)
	if len(got) != 21 {
		t.Fatalf("fast reader got %d packets", len(got))
	}
	// The slow reader resumed at the keyframe of access unit 5: its queue
	// starts with that AU's first packet.
	pk := drain(t, slow, 1)
	want := s.State(0, 5*40*time.Millisecond).RTPTime
	if pk[0].Timestamp != want {
		t.Fatalf("slow reader resumed at ts %d, want keyframe ts %d", pk[0].Timestamp, want)
	}
}

func TestNewReaderStartsAtKeyframe(t *testing.T) {
	s := New([]payload.Format{chunkFormat{size: 100}})
	s.WriteAU(0, 0, [][]byte{make([]byte, 50)}, true)
	r := NewReader(0)
	s.AddReader(r)
	s.WriteAU(0, 40*time.Millisecond, [][]byte{make([]byte, 50)}, false)
	s.WriteAU(0, 80*time.Millisecond, [][]byte{make([]byte, 50)}, true)
	got := drain(t, r, 1)
	if got[0].Timestamp != s.State(0, 80*time.Millisecond).RTPTime {
		t.Fatal("a new reader must start on a keyframe")
	}
}

func TestCloseEndsReaders(t *testing.T) {
	s := New([]payload.Format{chunkFormat{size: 100}})
	r := NewReader(0)
	s.AddReader(r)
	s.Close()
	if _, err := r.Read(make([]*Packet, 1)); err != ErrClosed {
		t.Fatalf("got %v, want ErrClosed", err)
	}
	if err := s.WriteAU(0, 0, [][]byte{{1}}, true); err != ErrClosed {
		t.Fatalf("write after close: %v", err)
	}
}

func TestSenderReportMapsWallClockToRTP(t *testing.T) {
	s := New([]payload.Format{chunkFormat{size: 100}})
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := base
	s.now = func() time.Time { return now }
	r := NewReader(0)
	s.AddReader(r)
	s.WriteAU(0, 0, [][]byte{{1}}, true)
	buf := make([]*Packet, 8)
	n, _ := r.Read(buf)
	var sr *Packet
	for _, p := range buf[:n] {
		if p.RTCP {
			sr = p
		}
	}
	if sr == nil {
		t.Fatal("no sender report with the first access unit")
	}
	b := sr.Bytes()
	if b[1] != 200 || binary.BigEndian.Uint32(b[16:]) != s.State(0, 0).RTPTime {
		t.Fatalf("sender report RTP time %d, want %d", binary.BigEndian.Uint32(b[16:]), s.State(0, 0).RTPTime)
	}
	if got := binary.BigEndian.Uint64(b[8:]) >> 32; got != uint64(base.Unix())+ntpEpochOffset {
		t.Fatalf("NTP seconds %d", got)
	}
	for _, p := range buf[:n] {
		p.Release()
	}
}

// TestFanOutAllocatesNothing proves the hot path: packetize, marshal, fan
// out to many readers, read and release — zero allocations per access unit.
func TestFanOutAllocatesNothing(t *testing.T) {
	s := New([]payload.Format{chunkFormat{size: payload.MaxPayloadSize}})
	readers := make([]*Reader, 50)
	for i := range readers {
		readers[i] = NewReader(0)
		s.AddReader(readers[i])
	}
	au := [][]byte{make([]byte, 10000)}
	buf := make([]*Packet, 64)
	pts := time.Duration(0)
	step := func() {
		pts += 40 * time.Millisecond
		s.WriteAU(0, pts, au, true)
		for _, r := range readers {
			for {
				n, _ := r.Read(buf)
				for _, p := range buf[:n] {
					p.Release()
				}
				if n < len(buf) {
					break
				}
			}
		}
	}
	for i := 0; i < 100; i++ {
		step()
	}
	if allocs := testing.AllocsPerRun(200, step); allocs != 0 {
		t.Fatalf("%.1f allocations per access unit on the fan-out path, want 0", allocs)
	}
}

func BenchmarkFanOut(b *testing.B) {
	for _, n := range []int{1, 50, 200} {
		b.Run(itoa(n)+"readers", func(b *testing.B) {
			s := New([]payload.Format{chunkFormat{size: payload.MaxPayloadSize}})
			readers := make([]*Reader, n)
			for i := range readers {
				readers[i] = NewReader(0)
				s.AddReader(readers[i])
			}
			au := [][]byte{make([]byte, payload.MaxPayloadSize)}
			buf := make([]*Packet, 64)
			b.ReportAllocs()
			b.SetBytes(int64(payload.MaxPayloadSize * n))
			for i := 0; i < b.N; i++ {
				s.WriteAU(0, time.Duration(i)*time.Millisecond, au, true)
				for _, r := range readers {
					k, _ := r.Read(buf)
					for _, p := range buf[:k] {
						p.Release()
					}
				}
			}
		})
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
