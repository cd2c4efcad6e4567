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

// srMapping reads the NTP and RTP times of the sender reports in pkts.
func srMapping(pkts []*Packet) (ntp []uint64, rtp []uint32) {
	for _, p := range pkts {
		if p.RTCP {
			b := p.Bytes()
			ntp = append(ntp, binary.BigEndian.Uint64(b[8:]))
			rtp = append(rtp, binary.BigEndian.Uint32(b[16:]))
		}
	}
	return ntp, rtp
}

// fromNTP is the wall time of a 64-bit NTP timestamp.
func fromNTP(v uint64) time.Time {
	return time.Unix(int64(v>>32)-ntpEpochOffset, int64((v&0xffffffff)*1e9>>32))
}

// A source that writes late now and then (a loaded machine) and one that
// writes B-frames ahead of their presentation time still get sender
// reports that all agree on one RTP↔NTP mapping: each report's RTP time
// is where the media timeline is at its NTP time.
func TestSenderReportsKeepOneMappingWhenWritesJitter(t *testing.T) {
	s := New([]payload.Format{chunkFormat{size: 100}})
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := start
	s.now = func() time.Time { return now }
	r := NewReader(1 << 12)
	s.AddReader(r)
	base := s.State(0, 0).RTPTime
	const frame = 40 * time.Millisecond
	jitter := []time.Duration{0, 30, 170, 5, 400, 0, 90, 260}
	for i := range 400 {
		pts := time.Duration(i) * frame
		if i%3 == 1 {
			pts += 2 * frame // a B-frame's presentation is after its write
		}
		now = start.Add(time.Duration(i)*frame + jitter[i%len(jitter)]*time.Millisecond)
		if err := s.WriteAU(0, pts, [][]byte{{1}}, i%25 == 0); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]*Packet, 1<<12)
	n, _ := r.Read(buf)
	defer func() {
		for _, p := range buf[:n] {
			p.Release()
		}
	}()
	ntps, rtps := srMapping(buf[:n])
	if len(ntps) < 5 {
		t.Fatalf("%d sender reports in 16 s, want one every %v", len(ntps), SenderReportInterval)
	}
	clock := s.tracks[0].clock
	for i := range ntps {
		wall := fromNTP(ntps[i]).Sub(start)
		want := base + ticks(wall, clock)
		if d := int32(rtps[i] - want); d < -1 || d > 1 {
			t.Errorf("report %d at +%v: RTP time %d, the timeline says %d (%+d ticks)", i, wall, rtps[i], want, d)
		}
	}
}
