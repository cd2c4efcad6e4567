package stream

import (
	"encoding/binary"
	"testing"
	"time"

	"rtspcam/rtsp/payload"
)

// A live source that says when it captured an access unit gets sender
// reports that map RTP time to that capture time, not to the write.
func TestSenderReportUsesCaptureTime(t *testing.T) {
	s := New([]payload.Format{chunkFormat{size: 100}})
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s.now = func() time.Time { return now }
	r := NewReader(0)
	s.AddReader(r)
	captured := now.Add(-100 * time.Millisecond)
	if err := s.WriteAUAt(0, 0, captured, [][]byte{{1}}, true); err != nil {
		t.Fatal(err)
	}
	buf := make([]*Packet, 8)
	n, _ := r.Read(buf)
	defer func() {
		for _, p := range buf[:n] {
			p.Release()
		}
	}()
	for _, p := range buf[:n] {
		if !p.RTCP {
			continue
		}
		b := p.Bytes()
		clock := uint32(s.tracks[0].clock)
		want := s.State(0, 0).RTPTime + clock/10 // the report is 100 ms after the capture
		if got := binary.BigEndian.Uint32(b[16:]); got != want {
			t.Fatalf("sender report RTP time %d, want %d (capture + 100 ms at %d Hz)", got, want, clock)
		}
		return
	}
	t.Fatal("no sender report")
}
