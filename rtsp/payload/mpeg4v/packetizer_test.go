package mpeg4v

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
)

type sent struct {
	payload []byte
	marker  bool
}

func packetize(t testing.TB, p payload.Packetizer, au [][]byte) []sent {
	t.Helper()
	var out []sent
	err := p.Packetize(au, false, func(b []byte, marker bool, tsOffset uint32) {
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

func pkts(seq *uint16, ts uint32, s []sent) []*rtp.Packet {
	var out []*rtp.Packet
	for _, x := range s {
		out = append(out, &rtp.Packet{Header: rtp.Header{SequenceNumber: *seq, Timestamp: ts, Marker: x.marker}, Payload: x.payload})
		*seq++
	}
	return out
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func TestPacketizerRejectsEmpty(t *testing.T) {
	p := (&Format{}).NewPacketizer(0)
	for _, au := range [][][]byte{nil, {{}}, {{}, {}}} {
		if err := p.Packetize(au, false, func([]byte, bool, uint32) { t.Error("emitted") }); err == nil {
			t.Errorf("%x: no error", au)
		}
	}
}

// TestRoundTrip cuts random frames, given whole or in pieces, at many
// payload sizes and checks they come back equal, with no payload too big
// and the marker only on the last packet.
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, maxPayload := range []int{1, 7, 100, 1388} {
		p := (&Format{}).NewPacketizer(maxPayload)
		d := (&Format{}).NewDepacketizer()
		var seq uint16
		for n := range 100 {
			frame := randomBytes(rng, 1+rng.IntN(5*maxPayload+50))
			au := [][]byte{frame}
			if n%2 == 1 {
				cut1 := rng.IntN(len(frame) + 1)
				cut2 := cut1 + rng.IntN(len(frame)-cut1+1)
				au = [][]byte{frame[:cut1], {}, frame[cut1:cut2], frame[cut2:]}
			}
			out := packetize(t, p, au)
			if want := (len(frame) + maxPayload - 1) / maxPayload; len(out) != want {
				t.Fatalf("max %d: %d packets for %d bytes, want %d", maxPayload, len(out), len(frame), want)
			}
			var got [][]byte
			for i, pk := range pkts(&seq, uint32(n*3600), out) {
				if len(pk.Payload) > maxPayload || pk.Marker != (i == len(out)-1) {
					t.Fatalf("max %d: payload of %d, marker %v at %d/%d", maxPayload, len(pk.Payload), pk.Marker, i, len(out))
				}
				g, err := d.Depacketize(pk)
				if err != nil {
					t.Fatal(err)
				}
				got = g
			}
			if len(got) != 1 || !bytes.Equal(got[0], frame) {
				t.Fatalf("max %d frame %d differs", maxPayload, n)
			}
		}
	}
}

func TestPacketizeAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	iframe := [][]byte{append(append([]byte(nil), testConfig...), randomBytes(rng, 100000)...)}
	pframe := [][]byte{randomBytes(rng, 9000)}
	pieces := [][]byte{iframe[0][:30000], iframe[0][30000:]}
	p := (&Format{}).NewPacketizer(0)
	emit := func([]byte, bool, uint32) {}
	run := func() {
		for _, au := range [][][]byte{iframe, pframe, pieces} {
			if err := p.Packetize(au, false, emit); err != nil {
				t.Fatal(err)
			}
		}
	}
	run()
	if a := testing.AllocsPerRun(100, run); a != 0 {
		t.Errorf("Packetize allocates %.1f times per run", a)
	}
}

func TestDepacketizeAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	p := (&Format{}).NewPacketizer(0)
	var seq uint16
	var all []*rtp.Packet
	for n := range 4 {
		all = append(all, pkts(&seq, uint32(n*3600), packetize(t, p, [][]byte{randomBytes(rng, 100000)}))...)
		all = append(all, pkts(&seq, uint32(n*3600+1800), packetize(t, p, [][]byte{randomBytes(rng, 9000)}))...)
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

func BenchmarkPacketize100k(b *testing.B) {
	frame := [][]byte{randomBytes(rand.New(rand.NewPCG(7, 8)), 100000)}
	p := (&Format{}).NewPacketizer(0)
	emit := func([]byte, bool, uint32) {}
	b.SetBytes(100000)
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Packetize(frame, true, emit); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDepacketize100k(b *testing.B) {
	var seq uint16
	all := pkts(&seq, 0, packetize(b, (&Format{}).NewPacketizer(0), [][]byte{randomBytes(rand.New(rand.NewPCG(7, 8)), 100000)}))
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
