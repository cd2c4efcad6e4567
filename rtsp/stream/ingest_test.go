package stream

import (
	"encoding/binary"
	"testing"

	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/g711"
	"rtspcam/rtsp/payload/h264"
)

// rtpPacket builds a publisher's RTP packet.
func rtpPacket(ssrc uint32, seq uint16, ts uint32, marker bool, pl []byte) []byte {
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: ts, SSRC: ssrc, Marker: marker}, Payload: pl}
	b, _ := p.Marshal()
	return b
}

var (
	idrFU   = []byte{0x7c, 0x85, 1, 2, 3} // FU-A start of an IDR slice
	nonIDR  = []byte{0x41, 0x9a, 1, 2}    // single NAL, non-IDR slice
	spsNAL  = []byte{0x67, 0x42, 0xc0, 0x1e}
	pcmuPay = make([]byte, 160)
)

func relayFormats() []payload.Format {
	return []payload.Format{&h264.Format{PT: 96}, &g711.Format{MuLaw: true}}
}

func readAll(t *testing.T, r *Reader) []*Packet {
	t.Helper()
	var out []*Packet
	buf := make([]*Packet, 64)
	for {
		select {
		case <-r.wake:
		default:
		}
		r.mu.Lock()
		n := r.n
		r.mu.Unlock()
		if n == 0 {
			return out
		}
		k, err := r.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, buf[:k]...)
	}
}

func TestRelayRewritesAndContinuesAcrossPublishers(t *testing.T) {
	s := NewRelay(relayFormats(), DefaultGOPBytes)
	r := NewReader(0)
	s.AddReader(r)
	if err := s.WriteRTP(0, rtpPacket(111, 65534, 1000, false, spsNAL)); err != nil {
		t.Fatal(err)
	}
	s.WriteRTP(0, rtpPacket(111, 65535, 1000, true, idrFU))
	s.WriteRTP(0, rtpPacket(111, 0, 4000, true, nonIDR))
	// The publisher comes back with a new SSRC and new random bases.
	s.WriteRTP(0, rtpPacket(222, 500, 9_000_000, true, idrFU))
	got := readAll(t, r)
	if len(got) < 4 {
		t.Fatalf("reader got %d packets, want 4", len(got))
	}
	if !got[0].Key {
		t.Fatal("an SPS must mark a keyframe start")
	}
	var hs []rtp.Header
	for _, p := range got {
		if p.RTCP {
			p.Release()
			continue
		}
		var h rtp.Header
		if _, err := h.Unmarshal(p.Bytes()); err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
		p.Release()
	}
	st := s.LiveState(0)
	for i, h := range hs {
		if h.SSRC != st.SSRC {
			t.Fatalf("packet %d SSRC %x, want the stream's %x", i, h.SSRC, st.SSRC)
		}
		if i > 0 && h.SequenceNumber != hs[i-1].SequenceNumber+1 {
			t.Fatalf("sequence %d after %d: a returning publisher must continue the numbering", h.SequenceNumber, hs[i-1].SequenceNumber)
		}
	}
	if hs[1].Timestamp != hs[0].Timestamp || hs[2].Timestamp-hs[1].Timestamp != 3000 {
		t.Fatalf("timestamps %d %d %d: publisher spacing must be kept", hs[0].Timestamp, hs[1].Timestamp, hs[2].Timestamp)
	}
	if d := int32(hs[3].Timestamp - hs[2].Timestamp); d < 0 || d > 90000 {
		t.Fatalf("returning publisher jumps the timestamp by %d ticks", d)
	}
}

func TestRelayKeyframes(t *testing.T) {
	for _, c := range []struct {
		name string
		kind keyKind
		pl   []byte
		key  bool
	}{
		{"h264 IDR FU-A start", keyH264, idrFU, true},
		{"h264 IDR FU-A middle", keyH264, []byte{0x7c, 0x05, 1}, false},
		{"h264 non-IDR", keyH264, nonIDR, false},
		{"h264 STAP-A with SPS", keyH264, []byte{0x78, 0, 2, 0x67, 1, 0, 2, 0x68, 1}, true},
		{"h264 STAP-A truncated", keyH264, []byte{0x78, 0, 9, 0x67}, false},
		{"h265 IDR_W_RADL", keyH265, []byte{19 << 1, 1, 0xaa}, true},
		{"h265 TRAIL_R", keyH265, []byte{1 << 1, 1, 0xaa}, false},
		{"h265 FU start CRA", keyH265, []byte{49 << 1, 1, 0x80 | 21, 0}, true},
		{"h265 AP with VPS", keyH265, []byte{48 << 1, 1, 0, 3, 32 << 1, 1, 0}, true},
		{"jpeg first fragment", keyJPEG, []byte{0, 0, 0, 0, 1, 255, 80, 60}, true},
		{"jpeg later fragment", keyJPEG, []byte{0, 0, 5, 120, 1, 255, 80, 60}, false},
		{"mpeg-4 VOS", keyMP4V, []byte{0, 0, 1, 0xb0, 1}, true},
		{"mpeg-4 P-VOP", keyMP4V, []byte{0, 0, 1, 0xb6, 0x40}, false},
		{"audio", keyAlways, []byte{1}, true},
		{"h264 empty", keyH264, nil, false},
	} {
		if got := isKeyStart(c.kind, c.pl); got != c.key {
			t.Errorf("%s: key %v, want %v", c.name, got, c.key)
		}
	}
}

func TestRelayLateReaderStartsWithCachedGOP(t *testing.T) {
	s := NewRelay(relayFormats(), DefaultGOPBytes)
	seq := uint16(0)
	send := func(track int, ts uint32, pl []byte) {
		seq++
		if err := s.WriteRTP(track, rtpPacket(7, seq, ts, true, pl)); err != nil {
			t.Fatal(err)
		}
	}
	send(0, 0, idrFU)
	send(0, 3000, nonIDR)
	send(0, 6000, spsNAL) // second GOP: SPS then IDR in the same access unit
	send(0, 6000, idrFU)
	send(1, 100, pcmuPay)
	send(0, 9000, nonIDR)
	r := NewReader(0)
	if err := s.AddReader(r); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, r)
	var rtpPkts []*Packet
	for _, p := range got {
		if !p.RTCP {
			rtpPkts = append(rtpPkts, p)
		}
	}
	if len(rtpPkts) != 4 {
		t.Fatalf("late reader got %d cached packets, want the 4 of the latest GOP", len(rtpPkts))
	}
	if !rtpPkts[0].Key || rtpPkts[0].Track != 0 || rtpPkts[0].Bytes()[12] != spsNAL[0] {
		t.Fatal("the cached GOP must start with the SPS of the latest keyframe")
	}
	for _, p := range got {
		p.Release()
	}
	s.Close()
	if _, err := r.Read(make([]*Packet, 1)); err != ErrClosed {
		t.Fatalf("reader after close: %v", err)
	}
}

func TestRelayGOPCacheIsBounded(t *testing.T) {
	s := NewRelay(relayFormats(), 3000)
	s.WriteRTP(0, rtpPacket(7, 1, 0, false, idrFU))
	for i := 0; i < 10; i++ {
		s.WriteRTP(0, rtpPacket(7, uint16(2+i), 0, false, make([]byte, 1000)))
	}
	s.mu.Lock()
	b, n := s.gop.bytes, len(s.gop.pkts)
	s.mu.Unlock()
	if b > 3000 || n != 0 {
		t.Fatalf("cache holds %d bytes in %d packets past its 3000-byte bound", b, n)
	}
	r := NewReader(0)
	s.AddReader(r)
	if got := readAll(t, r); len(got) != 0 {
		t.Fatalf("an overflowed GOP must not be replayed, got %d packets", len(got))
	}
}

func TestRelaySenderReportKeepsPublisherNTP(t *testing.T) {
	s := NewRelay(relayFormats(), 0)
	r := NewReader(0)
	s.AddReader(r)
	s.WriteRTP(0, rtpPacket(5, 10, 1000, true, idrFU))
	readAll(t, r)
	for _, p := range readAll(t, r) {
		p.Release()
	}
	sr := make([]byte, 28)
	sr[0], sr[1] = 0x80, 200
	binary.BigEndian.PutUint16(sr[2:], 6)
	binary.BigEndian.PutUint32(sr[4:], 5)
	binary.BigEndian.PutUint64(sr[8:], 0x1122334455667788)
	binary.BigEndian.PutUint32(sr[16:], 4000)
	if err := s.WriteRTCP(0, sr); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, r)
	if len(got) != 1 || !got[0].RTCP {
		t.Fatalf("want one relayed sender report, got %d packets", len(got))
	}
	b := got[0].Bytes()
	st := s.LiveState(0)
	if binary.BigEndian.Uint32(b[4:]) != st.SSRC || binary.BigEndian.Uint64(b[8:]) != 0x1122334455667788 {
		t.Fatal("the relayed SR must carry the stream's SSRC and the publisher's NTP time")
	}
	// RTP time 4000 in the publisher's base is 3000 ticks after its first packet.
	first := st.RTPTime // not used for exactness: compare with the relayed packet
	_ = first
	if binary.BigEndian.Uint32(b[16:])-s.tracks[0].lastTS != 3000 {
		t.Fatalf("SR RTP time off by %d", binary.BigEndian.Uint32(b[16:])-s.tracks[0].lastTS)
	}
	got[0].Release()
	if err := s.WriteRTCP(0, []byte{0x80, 200, 0, 9, 1, 2, 3, 4}); err == nil {
		t.Fatal("a truncated RTCP packet must be refused")
	}
}

func TestRelayRefusesMalformed(t *testing.T) {
	s := NewRelay(relayFormats(), DefaultGOPBytes)
	for _, b := range [][]byte{nil, {0x80}, make([]byte, 12), {0x9f, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}, {0xb0, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9}} {
		if err := s.WriteRTP(0, b); err == nil {
			t.Fatalf("% x accepted", b)
		}
	}
	if err := s.WriteRTP(0, rtpPacket(1, 1, 1, true, make([]byte, MaxRelayedPacket))); err == nil {
		t.Fatal("an oversized packet must be refused")
	}
	if err := s.WriteRTP(5, rtpPacket(1, 1, 1, true, idrFU)); err != ErrNoTrack {
		t.Fatalf("bad track: %v", err)
	}
	if st := s.Stats(); st.Malformed != 5 || st.Oversized != 1 {
		t.Fatalf("counters %+v", st)
	}
}

// TestRelayAllocatesNothing: publisher packet in → 100 readers → read and
// released, zero allocations per relayed packet once warm.
func TestRelayAllocatesNothing(t *testing.T) {
	s := NewRelay(relayFormats(), DefaultGOPBytes)
	readers := make([]*Reader, 100)
	for i := range readers {
		readers[i] = NewReader(0)
		s.AddReader(readers[i])
	}
	pkt := rtpPacket(9, 0, 0, false, make([]byte, 1200))
	pkt[12] = 0x7c
	buf := make([]*Packet, 64)
	seq := uint16(0)
	step := func() {
		seq++
		binary.BigEndian.PutUint16(pkt[2:], seq)
		binary.BigEndian.PutUint32(pkt[4:], uint32(seq/10)*3000)
		pkt[13] = 0x01
		if seq%100 == 1 {
			pkt[13] = 0x85 // an IDR every 100 packets: the GOP cache turns over
		}
		s.WriteRTP(0, pkt)
		for _, r := range readers {
			n, _ := r.Read(buf)
			for _, p := range buf[:n] {
				p.Release()
			}
		}
	}
	for i := 0; i < 1000; i++ {
		step()
	}
	if allocs := testing.AllocsPerRun(1000, step); allocs != 0 {
		t.Fatalf("%.2f allocations per relayed packet, want 0", allocs)
	}
}

func BenchmarkRelay(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(itoa(n)+"readers", func(b *testing.B) {
			s := NewRelay(relayFormats(), DefaultGOPBytes)
			readers := make([]*Reader, n)
			for i := range readers {
				readers[i] = NewReader(0)
				s.AddReader(readers[i])
			}
			pkt := rtpPacket(9, 0, 0, false, make([]byte, 1200))
			pkt[12], pkt[13] = 0x7c, 0x01
			buf := make([]*Packet, 64)
			b.ReportAllocs()
			b.SetBytes(int64(len(pkt) * n))
			for i := 0; i < b.N; i++ {
				binary.BigEndian.PutUint16(pkt[2:], uint16(i))
				pkt[13] = 0x01
				if i%100 == 0 {
					pkt[13] = 0x85 // an IDR now and then, as a camera sends
				}
				s.WriteRTP(0, pkt)
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

func FuzzWriteRTP(f *testing.F) {
	f.Add(rtpPacket(1, 1, 1, true, idrFU), false)
	f.Add(rtpPacket(1, 1, 1, true, []byte{0x78, 0, 2, 0x67, 1}), false)
	f.Add([]byte{0xb0, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0}, false)
	f.Add([]byte{0xa0, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x7c, 2}, false)
	f.Add([]byte{0x80, 200, 0, 6, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, true)
	f.Fuzz(func(t *testing.T, b []byte, rtcp bool) {
		s := NewRelay([]payload.Format{&h264.Format{}, &g711.Format{}}, 4096)
		r := NewReader(4)
		s.AddReader(r)
		for track := 0; track < 2; track++ {
			if rtcp {
				s.WriteRTCP(track, b)
			} else {
				s.WriteRTP(track, b)
			}
		}
		s.Close()
		r.Close()
	})
}

// TestRelayLongGOPLargerThanQueue: a cached GOP of 2000 full-size packets
// (a long GOP at a high bitrate, four times a reader's default queue) is
// replayed whole to a new reader, starting on its keyframe, and the live
// packets after it still fit without a drop.
func TestRelayLongGOPLargerThanQueue(t *testing.T) {
	const gop = 4 * DefaultQueue
	s := NewRelay(relayFormats(), 8<<20)
	big := make([]byte, 1400)
	big[0] = 0x41
	seq := uint16(100)
	write := func(pl []byte, ts uint32) {
		seq++
		if err := s.WriteRTP(0, rtpPacket(9, seq, ts, false, pl)); err != nil {
			t.Fatal(err)
		}
	}
	write(idrFU, 0)
	for i := 1; i < gop; i++ {
		write(big, uint32(i/10)*3000)
	}
	r := NewReader(0)
	if err := s.AddReader(r); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < DefaultQueue-1; i++ {
		write(big, uint32(gop+i)*300)
	}
	got := readAll(t, r)
	var n int
	for i, p := range got {
		if p.RTCP {
			continue
		}
		if n == 0 && (!p.Key || p.Bytes()[13] != idrFU[1]) {
			t.Fatalf("packet %d of the replay is not the cached keyframe", i)
		}
		n++
	}
	for _, p := range got {
		p.Release()
	}
	if want := gop + DefaultQueue - 1; n != want || r.Dropped() != 0 {
		t.Fatalf("reader got %d packets and dropped %d, want all %d (the GOP and the live packets after it)", n, r.Dropped(), want)
	}
	s.Close()
}
