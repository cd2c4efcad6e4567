package g722

import (
	"errors"
	"testing"

	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
)

func TestUnmarshal(t *testing.T) {
	for _, c := range []struct {
		pt     uint8
		rtpmap string
		outPT  uint8
	}{{9, "G722/8000", 9}, {9, "", 9}, {9, "g722/8000/1", 9}, {101, "G722/8000", 101}} {
		f, err := Unmarshal(c.pt, c.rtpmap, nil)
		if err != nil {
			t.Fatalf("%q: %v", c.rtpmap, err)
		}
		if f.PayloadType() != c.outPT || f.ClockRate() != 8000 || f.RTPMap() != "G722/8000" ||
			f.FMTP() != "" || f.MediaType() != payload.Audio {
			t.Errorf("%q: PT %d clock %d rtpmap %q", c.rtpmap, f.PayloadType(), f.ClockRate(), f.RTPMap())
		}
	}
	for _, bad := range []string{"G722/16000", "G722", "PCMU/8000", "G722/8000/2", "G722/8000/1/1"} {
		if _, err := Unmarshal(9, bad, nil); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if _, err := Unmarshal(96, "", nil); err == nil {
		t.Error("dynamic PT without rtpmap: no error")
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add(uint8(9), "G722/8000")
	f.Add(uint8(9), "")
	f.Add(uint8(97), "G722/8000/1")
	f.Add(uint8(97), "G722/16000/1")
	f.Fuzz(func(t *testing.T, pt uint8, rtpmap string) {
		fm, err := Unmarshal(pt, rtpmap, nil)
		if err != nil {
			return
		}
		if fm.ClockRate() != 8000 {
			t.Fatal("clock rate is not 8000")
		}
		if _, err := Unmarshal(fm.PayloadType(), fm.RTPMap(), nil); err != nil {
			t.Fatalf("announced %q does not parse: %v", fm.RTPMap(), err)
		}
	})
}

// One byte is one 8000 Hz tick (two 16 kHz samples), so the second packet
// of a split AU starts maxPayload ticks later.
func TestPacketizeSplits(t *testing.T) {
	p := (&Format{}).NewPacketizer(100)
	au := make([]byte, 250)
	var sizes []int
	var offs []uint32
	var markers []bool
	emit := func(b []byte, m bool, off uint32) {
		sizes = append(sizes, len(b))
		offs = append(offs, off)
		markers = append(markers, m)
	}
	if err := p.Packetize([][]byte{au}, false, emit); err != nil {
		t.Fatal(err)
	}
	if len(sizes) != 3 || sizes[0] != 100 || sizes[2] != 50 || offs[1] != 100 || offs[2] != 200 ||
		!markers[0] || markers[1] {
		t.Fatalf("sizes %v offsets %v markers %v", sizes, offs, markers)
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
	p := (&Format{}).NewPacketizer(0)
	au := [][]byte{make([]byte, 3000)}
	emit := func([]byte, bool, uint32) {}
	_ = p.Packetize(au, false, emit)
	if n := testing.AllocsPerRun(100, func() { _ = p.Packetize(au, false, emit) }); n != 0 {
		t.Fatalf("%v allocs per Packetize", n)
	}
}

func BenchmarkPacketize(b *testing.B) {
	p := (&Format{}).NewPacketizer(0)
	au := [][]byte{make([]byte, 160)}
	emit := func([]byte, bool, uint32) {}
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Packetize(au, false, emit)
	}
}
