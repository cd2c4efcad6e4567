package g711

import (
	"errors"
	"testing"

	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
)

var formatCases = []struct {
	pt     uint8
	rtpmap string
	want   Format
	outPT  uint8
	outMap string
}{
	{0, "PCMU/8000", Format{MuLaw: true, SampleRate: 8000, Channels: 1}, 0, "PCMU/8000"},
	{8, "PCMA/8000/1", Format{SampleRate: 8000, Channels: 1, PT: 8}, 8, "PCMA/8000"},
	{0, "", Format{MuLaw: true, SampleRate: 8000, Channels: 1}, 0, "PCMU/8000"},
	{97, "pcmu/16000/2", Format{MuLaw: true, SampleRate: 16000, Channels: 2, PT: 97}, 97, "PCMU/16000/2"},
	{100, "PCMA/44100", Format{SampleRate: 44100, Channels: 1, PT: 100}, 100, "PCMA/44100/1"},
}

func TestUnmarshal(t *testing.T) {
	for _, c := range formatCases {
		f, err := Unmarshal(c.pt, c.rtpmap, nil)
		if err != nil {
			t.Fatalf("%q: %v", c.rtpmap, err)
		}
		if f.MuLaw != c.want.MuLaw || f.SampleRate != c.want.SampleRate || f.Channels != c.want.Channels {
			t.Errorf("%q: got %+v, want %+v", c.rtpmap, *f, c.want)
		}
		if f.PayloadType() != c.outPT || f.RTPMap() != c.outMap || f.FMTP() != "" ||
			f.ClockRate() != f.SampleRate || f.MediaType() != payload.Audio {
			t.Errorf("%q: PT %d rtpmap %q clock %d", c.rtpmap, f.PayloadType(), f.RTPMap(), f.ClockRate())
		}
		// What we announce parses back to the same format.
		g, err := Unmarshal(f.PayloadType(), f.RTPMap(), nil)
		if err != nil || g.MuLaw != f.MuLaw || g.rate() != f.rate() || g.channels() != f.channels() {
			t.Errorf("%q: round trip %+v, %v", c.rtpmap, g, err)
		}
	}
	for _, bad := range []string{"G722/8000", "PCMU", "PCMU/0", "PCMU/x", "PCMU/8000/0", "PCMU/8000/99", "PCMU/8000/1/1", "PCMU/999999"} {
		if _, err := Unmarshal(96, bad, nil); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if _, err := Unmarshal(96, "", nil); err == nil {
		t.Error("dynamic PT without rtpmap: no error")
	}
}

func TestZeroFormat(t *testing.T) {
	f := &Format{MuLaw: true}
	if f.PayloadType() != 0 || f.ClockRate() != 8000 || f.RTPMap() != "PCMU/8000" {
		t.Fatalf("zero format: %d %d %q", f.PayloadType(), f.ClockRate(), f.RTPMap())
	}
	if (&Format{SampleRate: 16000}).PayloadType() != 96 {
		t.Fatal("dynamic PT default is not 96")
	}
}

func FuzzUnmarshal(f *testing.F) {
	for _, c := range formatCases {
		f.Add(c.pt, c.rtpmap)
	}
	f.Add(uint8(8), "")
	f.Add(uint8(96), "PCMA/8000/-1")
	f.Fuzz(func(t *testing.T, pt uint8, rtpmap string) {
		fm, err := Unmarshal(pt, rtpmap, nil)
		if err != nil {
			return
		}
		if fm.ClockRate() <= 0 || fm.ClockRate() > MaxSampleRate || fm.channels() > MaxChannels {
			t.Fatalf("%q: out of limits: %+v", rtpmap, *fm)
		}
		if _, err := Unmarshal(fm.PayloadType(), fm.RTPMap(), nil); err != nil {
			t.Fatalf("%q: announced %q does not parse: %v", rtpmap, fm.RTPMap(), err)
		}
	})
}

func TestPacketizeSplits(t *testing.T) {
	f := &Format{MuLaw: true, SampleRate: 16000, Channels: 2}
	p := f.NewPacketizer(101) // 50 stereo frames per packet
	au := make([]byte, 240)
	for i := range au {
		au[i] = byte(i)
	}
	type pk struct {
		n      int
		marker bool
		off    uint32
	}
	var got []pk
	var joined []byte
	emit := func(b []byte, m bool, off uint32) {
		got = append(got, pk{len(b), m, off})
		joined = append(joined, b...)
	}
	if err := p.Packetize([][]byte{au}, false, emit); err != nil {
		t.Fatal(err)
	}
	want := []pk{{100, true, 0}, {100, false, 50}, {40, false, 100}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if string(joined) != string(au) {
		t.Fatal("payloads do not join to the AU")
	}
	if err := p.Packetize([][]byte{au[:3]}, false, emit); err == nil {
		t.Fatal("half a stereo frame: no error")
	}
}

func TestDepacketize(t *testing.T) {
	d := (&Format{Channels: 2, SampleRate: 8000}).NewDepacketizer()
	au, err := d.Depacketize(&rtp.Packet{Payload: []byte{1, 2, 3, 4}})
	if err != nil || len(au) != 1 || string(au[0]) != "\x01\x02\x03\x04" {
		t.Fatalf("got %v, %v", au, err)
	}
	for _, bad := range [][]byte{nil, {1, 2, 3}} {
		if _, err := d.Depacketize(&rtp.Packet{Payload: bad}); !errors.Is(err, payload.ErrMalformed) {
			t.Errorf("%x: got %v", bad, err)
		}
	}
}

func FuzzDepacketize(f *testing.F) {
	f.Add(uint8(1), []byte{0xff, 0x7f})
	f.Add(uint8(2), []byte{1, 2, 3})
	f.Add(uint8(2), []byte{})
	f.Fuzz(func(t *testing.T, ch uint8, b []byte) {
		channels := int(ch%MaxChannels) + 1
		d := (&Format{Channels: channels, SampleRate: 8000}).NewDepacketizer()
		au, err := d.Depacketize(&rtp.Packet{Payload: b})
		if err != nil {
			return
		}
		if len(au) != 1 || len(au[0]) != len(b) || len(b)%channels != 0 || len(b) == 0 {
			t.Fatalf("bad AU for %d bytes, %d channels", len(b), channels)
		}
	})
}

func TestPacketizeAllocs(t *testing.T) {
	p := (&Format{MuLaw: true}).NewPacketizer(0)
	au := [][]byte{make([]byte, 3000)}
	emit := func([]byte, bool, uint32) {}
	_ = p.Packetize(au, false, emit)
	if n := testing.AllocsPerRun(100, func() { _ = p.Packetize(au, false, emit) }); n != 0 {
		t.Fatalf("%v allocs per Packetize", n)
	}
}

func BenchmarkPacketize(b *testing.B) {
	p := (&Format{MuLaw: true}).NewPacketizer(0)
	au := [][]byte{make([]byte, 160)}
	emit := func([]byte, bool, uint32) {}
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Packetize(au, false, emit)
	}
}
