package opus

import (
	"errors"
	"testing"

	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
)

func TestUnmarshal(t *testing.T) {
	for _, c := range []struct {
		rtpmap string
		fmtp   map[string]string
		ch     int
	}{
		{"opus/48000/2", map[string]string{"sprop-stereo": "1"}, 2},
		{"opus/48000/2", map[string]string{"sprop-stereo": "0", "stereo": "1"}, 1},
		{"OPUS/48000/2", nil, 1},
		{"opus/48000", nil, 1},
	} {
		f, err := Unmarshal(111, c.rtpmap, c.fmtp)
		if err != nil {
			t.Fatalf("%q: %v", c.rtpmap, err)
		}
		if f.Channels != c.ch || f.PayloadType() != 111 || f.RTPMap() != "opus/48000/2" ||
			f.ClockRate() != 48000 || f.MediaType() != payload.Audio {
			t.Errorf("%q %v: %+v", c.rtpmap, c.fmtp, *f)
		}
	}
	for _, c := range []struct {
		rtpmap string
		fmtp   map[string]string
	}{{"opus/44100/2", nil}, {"PCMU/8000", nil}, {"opus/48000/3", nil}, {"opus", nil},
		{"opus/48000/2", map[string]string{"sprop-stereo": "yes"}}} {
		if _, err := Unmarshal(96, c.rtpmap, c.fmtp); err == nil {
			t.Errorf("%q %v: no error", c.rtpmap, c.fmtp)
		}
	}
	if got := (&Format{Channels: 2}).FMTP(); got != "sprop-stereo=1; stereo=1" {
		t.Errorf("stereo FMTP %q", got)
	}
	if got := (&Format{Channels: 1}).FMTP(); got != "sprop-stereo=0" {
		t.Errorf("mono FMTP %q", got)
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add("opus/48000/2", "1")
	f.Add("opus/48000", "")
	f.Add("opus/48000/2", "2")
	f.Fuzz(func(t *testing.T, rtpmap, stereo string) {
		fm, err := Unmarshal(97, rtpmap, map[string]string{"sprop-stereo": stereo})
		if err != nil {
			return
		}
		if fm.Channels != 1 && fm.Channels != 2 {
			t.Fatalf("%d channels", fm.Channels)
		}
	})
}

func TestPacketize(t *testing.T) {
	p := (&Format{}).NewPacketizer(100)
	var n int
	var markers []bool
	emit := func(b []byte, m bool, off uint32) {
		n += len(b)
		markers = append(markers, m)
		if off != 0 {
			t.Fatalf("offset %d", off)
		}
	}
	for range 2 {
		if err := p.Packetize([][]byte{make([]byte, 100)}, false, emit); err != nil {
			t.Fatal(err)
		}
	}
	if n != 200 || len(markers) != 2 || !markers[0] || markers[1] {
		t.Fatalf("%d bytes, markers %v", n, markers)
	}
	if err := p.Packetize([][]byte{make([]byte, 101)}, false, emit); !errors.Is(err, payload.ErrTooLarge) {
		t.Fatalf("oversized packet: %v", err)
	}
	if err := p.Packetize([][]byte{{}}, false, emit); err == nil {
		t.Fatal("empty packet: no error")
	}
	if err := p.Packetize([][]byte{{1}, {2}}, false, emit); err == nil {
		t.Fatal("two Opus packets in one AU: no error")
	}
}

func TestDepacketize(t *testing.T) {
	d := (&Format{}).NewDepacketizer()
	au, err := d.Depacketize(&rtp.Packet{Payload: []byte{0xfc, 1, 2}})
	if err != nil || len(au) != 1 || len(au[0]) != 3 {
		t.Fatalf("got %v, %v", au, err)
	}
	if _, err := d.Depacketize(&rtp.Packet{}); !errors.Is(err, payload.ErrMalformed) {
		t.Fatalf("empty payload: %v", err)
	}
}

func FuzzDepacketize(f *testing.F) {
	f.Add([]byte{0xfc, 0xff, 0xfe})
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
	au := [][]byte{make([]byte, 200)}
	emit := func([]byte, bool, uint32) {}
	_ = p.Packetize(au, false, emit)
	if n := testing.AllocsPerRun(100, func() { _ = p.Packetize(au, false, emit) }); n != 0 {
		t.Fatalf("%v allocs per Packetize", n)
	}
}

func BenchmarkPacketize(b *testing.B) {
	p := (&Format{}).NewPacketizer(0)
	au := [][]byte{make([]byte, 200)}
	emit := func([]byte, bool, uint32) {}
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Packetize(au, false, emit)
	}
}
