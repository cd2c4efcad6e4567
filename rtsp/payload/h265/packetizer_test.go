package h265

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
)

// sent is one emitted payload, copied.
type sent struct {
	payload []byte
	marker  bool
}

func packetize(t testing.TB, p payload.Packetizer, au [][]byte, key bool) []sent {
	t.Helper()
	var out []sent
	err := p.Packetize(au, key, func(b []byte, marker bool, tsOffset uint32) {
		if tsOffset != 0 {
			t.Errorf("tsOffset %d", tsOffset)
		}
		out = append(out, sent{append([]byte(nil), b...), marker})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// nalu builds a NAL unit of the given header byte and size with a
// pseudo-random body.
func nalu(rng *rand.Rand, header byte, size int) []byte {
	b := make([]byte, size)
	b[0] = header
	if size > 1 {
		b[1] = 1 // layer 0, temporal id 0+1
	}
	for i := 2; i < size; i++ {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// pkts wraps payloads into RTP packets with consecutive sequence numbers.
func pkts(seq *uint16, ts uint32, s []sent) []*rtp.Packet {
	var out []*rtp.Packet
	for _, x := range s {
		out = append(out, &rtp.Packet{Header: rtp.Header{SequenceNumber: *seq, Timestamp: ts, Marker: x.marker}, Payload: x.payload})
		*seq++
	}
	return out
}

func TestPacketizerShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	idr := nalu(rng, 19<<1, 3000)
	sei := nalu(rng, 39<<1, 20)
	p := (&Format{VPS: testVPS, SPS: testSPS, PPS: testPPS}).NewPacketizer(1000)
	out := packetize(t, p, [][]byte{{35 << 1, 1, 0x50}, sei, idr}, true)
	// AP(VPS, SPS, PPS, SEI), then FU start, middle, end for the IDR.
	if len(out) != 5 {
		t.Fatalf("%d packets", len(out))
	}
	ap := []byte{48 << 1, 1}
	for _, n := range [][]byte{testVPS, testSPS, testPPS, sei} {
		ap = append(append(ap, 0, byte(len(n))), n...)
	}
	if !bytes.Equal(out[0].payload, ap) || out[0].marker {
		t.Errorf("AP = %x\nwant %x", out[0].payload, ap)
	}
	for i, o := range out[1:] {
		if len(o.payload) > 1000 {
			t.Errorf("packet %d is %d bytes", i, len(o.payload))
		}
		if o.payload[0] != 49<<1 || o.payload[1] != 1 {
			t.Errorf("FU payload header %x", o.payload[:2])
		}
		wantHeader := byte(19)
		switch i {
		case 0:
			wantHeader |= 0x80
		case 3:
			wantHeader |= 0x40
		}
		if o.payload[2] != wantHeader || o.marker != (i == 3) {
			t.Errorf("fragment %d: header %x marker %v", i, o.payload[2], o.marker)
		}
	}

	// A P frame goes alone, unchanged, with the marker.
	pf := nalu(rng, 1<<1, 500)
	out = packetize(t, p, [][]byte{pf}, false)
	if len(out) != 1 || !bytes.Equal(out[0].payload, pf) || !out[0].marker {
		t.Errorf("P frame: %d packets", len(out))
	}
}

func TestAggregationHeader(t *testing.T) {
	// F from any unit, lowest layer id and temporal id.
	p := (&Format{}).NewPacketizer(0)
	out := packetize(t, p, [][]byte{{1<<1 | 0x80 | 1, 1<<3 | 3, 0xaa}, {1 << 1, 2<<3 | 2, 0xbb}}, false)
	if len(out) != 1 || out[0].payload[0] != 0x80|48<<1|0 || out[0].payload[1] != 2<<3|2 {
		t.Errorf("AP header %x", out[0].payload[:2])
	}
}

func TestPacketizerParameterSets(t *testing.T) {
	idr := []byte{19 << 1, 1, 0x84}
	types := func(out []sent) []byte {
		d := newDepacketizer()
		var seq uint16
		var au [][]byte
		for _, pk := range pkts(&seq, 0, out) {
			got, err := d.Depacketize(pk)
			if err != nil {
				t.Fatal(err)
			}
			au = got
		}
		var ts []byte
		for _, n := range au {
			ts = append(ts, n[0]>>1&0x3f)
		}
		return ts
	}

	// Nothing known: the IDR goes alone.
	p := (&Format{}).NewPacketizer(0)
	if got := types(packetize(t, p, [][]byte{idr}, true)); !bytes.Equal(got, []byte{19}) {
		t.Errorf("unknown parameter sets: %v", got)
	}
	// Learnt in-band, then repeated before the next IRAP.
	sps2 := append([]byte(nil), testSPS...)
	sps2[len(sps2)-1] ^= 1
	if got := types(packetize(t, p, [][]byte{testVPS, sps2, testPPS, idr}, true)); !bytes.Equal(got, []byte{32, 33, 34, 19}) {
		t.Errorf("in-band: %v", got)
	}
	if got := types(packetize(t, p, [][]byte{{1 << 1, 1, 1}}, false)); !bytes.Equal(got, []byte{1}) {
		t.Errorf("P frame got parameter sets: %v", got)
	}
	out := packetize(t, p, [][]byte{{35 << 1, 1, 0x10}, {21 << 1, 1, 5}}, false)
	if got := types(out); !bytes.Equal(got, []byte{32, 33, 34, 21}) {
		t.Errorf("CRA without them: %v", got)
	}
	if !bytes.Contains(out[0].payload, sps2) {
		t.Error("did not send the latest in-band SPS")
	}
	// An AU with its own SPS gets the VPS before and the PPS after it.
	if got := types(packetize(t, p, [][]byte{testSPS, {39 << 1, 1, 5}, idr}, true)); !bytes.Equal(got, []byte{32, 33, 34, 39, 19}) {
		t.Errorf("SPS only: %v", got)
	}
	// The Format's sets are used until others arrive.
	p = (&Format{VPS: testVPS, SPS: testSPS, PPS: testPPS}).NewPacketizer(0)
	if got := types(packetize(t, p, [][]byte{idr}, false)); !bytes.Equal(got, []byte{32, 33, 34, 19}) {
		t.Errorf("from Format: %v", got)
	}
}

func TestPacketizerRejects(t *testing.T) {
	p := (&Format{}).NewPacketizer(0)
	for _, au := range [][][]byte{nil, {{}}, {{35 << 1, 1}}, {{48 << 1, 1, 0, 1, 2}}, {{2}}} {
		if err := p.Packetize(au, false, func([]byte, bool, uint32) { t.Error("emitted") }); err == nil {
			t.Errorf("%x: no error", au)
		}
	}
	if err := (&Format{}).NewPacketizer(3).Packetize([][]byte{{2, 1, 2, 3}}, false, func([]byte, bool, uint32) {}); err == nil {
		t.Error("max payload 3 accepted")
	}
}

// TestRoundTrip packetizes random AUs at many payload sizes and checks the
// depacketizer gives back the same NAL units and no packet is too big.
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, maxPayload := range []int{4, 5, 10, 100, 1388, 70000} {
		p := (&Format{}).NewPacketizer(maxPayload)
		d := (&Format{}).NewDepacketizer()
		var seq uint16
		for n := range 200 {
			var au [][]byte
			for range 1 + rng.IntN(6) {
				size := 2 + rng.IntN(3*maxPayload)
				if rng.IntN(3) == 0 {
					size = 2 + rng.IntN(8)
				}
				au = append(au, nalu(rng, 1<<1, min(size, 200000)))
			}
			out := packetize(t, p, au, false)
			var got [][]byte
			for i, pk := range pkts(&seq, uint32(n*3600), out) {
				if len(pk.Payload) > maxPayload {
					t.Fatalf("max %d: payload of %d", maxPayload, len(pk.Payload))
				}
				g, err := d.Depacketize(pk)
				if err != nil {
					t.Fatalf("max %d AU %d packet %d: %v", maxPayload, n, i, err)
				}
				if g != nil && i != len(out)-1 {
					t.Fatalf("AU completed early")
				}
				got = g
			}
			if len(got) != len(au) {
				t.Fatalf("max %d AU %d: %d NAL units, want %d", maxPayload, n, len(got), len(au))
			}
			for i := range au {
				if !bytes.Equal(got[i], au[i]) {
					t.Fatalf("max %d AU %d NAL %d differs", maxPayload, n, i)
				}
			}
		}
	}
}

// idrAU is a 1080p-like IDR access unit of about 100 kB: AUD, VPS, SPS, PPS, SEI
// and four slices.
func idrAU() [][]byte {
	rng := rand.New(rand.NewPCG(5, 6))
	au := [][]byte{{35 << 1, 1, 0x10}, testVPS, testSPS, testPPS, nalu(rng, 39<<1, 40)}
	for range 4 {
		au = append(au, nalu(rng, 19<<1, 25000))
	}
	return au
}

func TestPacketizeAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	idr := idrAU()
	pframe := [][]byte{nalu(rng, 1<<1, 12000), nalu(rng, 0, 300)}
	p := (&Format{VPS: testVPS, SPS: testSPS, PPS: testPPS}).NewPacketizer(0)
	bytesSent := 0
	emit := func(b []byte, _ bool, _ uint32) { bytesSent += len(b) }
	run := func() {
		if err := p.Packetize(idr, true, emit); err != nil {
			t.Fatal(err)
		}
		if err := p.Packetize(pframe, false, emit); err != nil {
			t.Fatal(err)
		}
		if err := p.Packetize(idr[5:], true, emit); err != nil {
			t.Fatal(err)
		}
	}
	run()
	if a := testing.AllocsPerRun(100, run); a != 0 {
		t.Errorf("Packetize allocates %.1f times per run", a)
	}
}

func TestDepacketizeAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	p := (&Format{}).NewPacketizer(0)
	var seq uint16
	var all []*rtp.Packet
	for n := range 4 {
		all = append(all, pkts(&seq, uint32(n*3600), packetize(t, p, idrAU(), true))...)
		all = append(all, pkts(&seq, uint32(n*3600+1800), packetize(t, p, [][]byte{nalu(rng, 1<<1, 9000)}, false))...)
	}
	d := newDepacketizer()
	run := func() {
		for _, pk := range all {
			pk.SequenceNumber = d.nextSeq
			if _, err := d.Depacketize(pk); err != nil {
				t.Fatal(err)
			}
		}
	}
	run()
	if a := testing.AllocsPerRun(20, run); a != 0 {
		t.Errorf("Depacketize allocates %.1f times per run", a)
	}
}

func BenchmarkPacketizeIDR100k(b *testing.B) {
	au := idrAU()
	p := (&Format{VPS: testVPS, SPS: testSPS, PPS: testPPS}).NewPacketizer(0)
	emit := func([]byte, bool, uint32) {}
	size := 0
	for _, n := range au {
		size += len(n)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Packetize(au, true, emit); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDepacketizeIDR100k(b *testing.B) {
	p := (&Format{}).NewPacketizer(0)
	var seq uint16
	all := pkts(&seq, 0, packetize(b, p, idrAU(), true))
	d := newDepacketizer()
	b.SetBytes(100000)
	b.ReportAllocs()
	for b.Loop() {
		for _, pk := range all {
			pk.SequenceNumber = d.nextSeq
			if _, err := d.Depacketize(pk); err != nil {
				b.Fatal(err)
			}
		}
	}
}
