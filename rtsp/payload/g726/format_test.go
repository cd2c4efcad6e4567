package g726

import (
	"errors"
	"testing"

	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
)

func TestUnmarshal(t *testing.T) {
	for _, c := range []struct {
		rtpmap string
		rate   int
	}{{"G726-16/8000", 16000}, {"G726-24/8000", 24000}, {"g726-32/8000/1", 32000}, {"G726-40/8000", 40000}} {
		f, err := Unmarshal(97, c.rtpmap, nil)
		if err != nil {
			t.Fatalf("%q: %v", c.rtpmap, err)
		}
		if f.Bitrate != c.rate || f.PayloadType() != 97 || f.ClockRate() != 8000 || f.FMTP() != "" ||
			f.MediaType() != payload.Audio {
			t.Errorf("%q: %+v", c.rtpmap, *f)
		}
		g, err := Unmarshal(f.PayloadType(), f.RTPMap(), nil)
		if err != nil || *g != *f {
			t.Errorf("%q: round trip %v, %v", c.rtpmap, g, err)
		}
	}
	for _, bad := range []string{"AAL2-G726-32/8000", "G726-33/8000", "G726-32/16000", "G726-32", "G726/8000", "", "G726-32/8000/2"} {
		if _, err := Unmarshal(97, bad, nil); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if f := (&Format{}); f.RTPMap() != "G726-32/8000" || f.PayloadType() != 96 {
		t.Errorf("zero Format: %q PT %d", f.RTPMap(), f.PayloadType())
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add(uint8(97), "G726-32/8000")
	f.Add(uint8(97), "G726-40/8000/1")
	f.Add(uint8(97), "AAL2-G726-16/8000")
	f.Add(uint8(97), "G726-/8000")
	f.Fuzz(func(t *testing.T, pt uint8, rtpmap string) {
		fm, err := Unmarshal(pt, rtpmap, nil)
		if err != nil {
			return
		}
		if b := fm.bitsPerSample(); b < 2 || b > 5 || fm.Bitrate%8000 != 0 {
			t.Fatalf("%q: bit rate %d", rtpmap, fm.Bitrate)
		}
		if _, err := Unmarshal(fm.PayloadType(), fm.RTPMap(), nil); err != nil {
			t.Fatalf("announced %q does not parse: %v", fm.RTPMap(), err)
		}
	})
}

// Packets hold whole groups of 8 samples; the offsets count samples.
func TestPacketizeSplits(t *testing.T) {
	for _, c := range []struct {
		bitrate, max int
		sizes        []int
		offs         []uint32
	}{
		{24000, 100, []int{99, 99, 52}, []uint32{0, 264, 528}},   // 3 bytes per 8 samples
		{40000, 100, []int{100, 100, 50}, []uint32{0, 160, 320}}, // 5 bytes per 8 samples
		{16000, 100, []int{100, 100, 50}, []uint32{0, 400, 800}}, // 4 samples per byte
	} {
		p := (&Format{Bitrate: c.bitrate}).NewPacketizer(c.max)
		var sizes []int
		var offs []uint32
		if err := p.Packetize([][]byte{make([]byte, 250)}, false, func(b []byte, _ bool, off uint32) {
			sizes = append(sizes, len(b))
			offs = append(offs, off)
		}); err != nil {
			t.Fatal(err)
		}
		for i := range c.sizes {
			if len(sizes) != len(c.sizes) || sizes[i] != c.sizes[i] || offs[i] != c.offs[i] {
				t.Fatalf("%d bit/s: sizes %v offsets %v, want %v %v", c.bitrate, sizes, offs, c.sizes, c.offs)
			}
		}
	}
}

func TestDepacketize(t *testing.T) {
	d := (&Format{}).NewDepacketizer()
	au, err := d.Depacketize(&rtp.Packet{Payload: []byte{1, 2, 3}})
	if err != nil || len(au) != 1 || len(au[0]) != 3 {
		t.Fatalf("got %v, %v", au, err)
	}
	if _, err := d.Depacketize(&rtp.Packet{}); !errors.Is(err, payload.ErrMalformed) {
		t.Fatalf("empty payload: %v", err)
	}
}

func FuzzDepacketize(f *testing.F) {
	f.Add([]byte{1, 2, 3})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		au, err := (&Format{}).NewDepacketizer().Depacketize(&rtp.Packet{Payload: b})
		if err == nil && (len(au) != 1 || len(au[0]) != len(b) || len(b) == 0) {
			t.Fatalf("bad AU for %d bytes", len(b))
		}
	})
}

func TestPacketizeAllocs(t *testing.T) {
	p := (&Format{Bitrate: 24000}).NewPacketizer(0)
	au := [][]byte{make([]byte, 3000)}
	emit := func([]byte, bool, uint32) {}
	_ = p.Packetize(au, false, emit)
	if n := testing.AllocsPerRun(100, func() { _ = p.Packetize(au, false, emit) }); n != 0 {
		t.Fatalf("%v allocs per Packetize", n)
	}
}

func BenchmarkPacketize(b *testing.B) {
	p := (&Format{}).NewPacketizer(0)
	au := [][]byte{make([]byte, 80)}
	emit := func([]byte, bool, uint32) {}
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Packetize(au, false, emit)
	}
}
