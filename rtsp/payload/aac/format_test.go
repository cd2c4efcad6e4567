package aac

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
)

const hbrFMTP = "streamtype=5; profile-level-id=1; mode=AAC-hbr; sizelength=13; indexlength=3; indexdeltalength=3; config=1210"

func TestFormatFromConfig(t *testing.T) {
	f, err := FormatFromConfig([]byte{0x12, 0x10}) // AAC-LC, 44100 Hz, stereo
	if err != nil {
		t.Fatal(err)
	}
	if f.SampleRate != 44100 || f.Channels != 2 || f.ClockRate() != 44100 || f.PayloadType() != 96 ||
		f.MediaType() != payload.Audio {
		t.Fatalf("%+v", *f)
	}
	if got := f.RTPMap(); got != "MPEG4-GENERIC/44100/2" {
		t.Errorf("rtpmap %q", got)
	}
	if got := f.FMTP(); got != hbrFMTP {
		t.Errorf("fmtp %q", got)
	}
	if _, err := FormatFromConfig([]byte{0xff}); err == nil {
		t.Error("garbage config: no error")
	}
}

// parseFMTP splits an a=fmtp value as the SDP layer does.
func parseFMTP(s string) map[string]string {
	m := map[string]string{}
	for _, kv := range bytes.Split([]byte(s), []byte(";")) {
		k, v, _ := bytes.Cut(bytes.TrimSpace(kv), []byte("="))
		m[string(bytes.ToLower(k))] = string(v)
	}
	return m
}

func TestUnmarshal(t *testing.T) {
	f, err := Unmarshal(97, "MPEG4-GENERIC/44100/2", parseFMTP(hbrFMTP))
	if err != nil {
		t.Fatal(err)
	}
	if f.SampleRate != 44100 || f.Channels != 2 || f.SizeLength != 13 || f.IndexLength != 3 ||
		f.IndexDeltaLength != 3 || hex.EncodeToString(f.Config) != "1210" || f.PayloadType() != 97 {
		t.Fatalf("%+v", *f)
	}
	// AAC-lbr: 6-bit sizes, 2-bit indices.
	lbr, err := Unmarshal(97, "mpeg4-generic/8000", map[string]string{"mode": "AAC-lbr", "sizelength": "6",
		"indexlength": "2", "indexdeltalength": "2", "config": "1588"})
	if err != nil || lbr.SizeLength != 6 || lbr.Channels != 1 {
		t.Fatalf("AAC-lbr: %+v, %v", lbr, err)
	}
	for _, c := range []struct {
		rtpmap string
		fmtp   string
	}{
		{"MPEG4-GENERIC/44100/2", "mode=AAC-hbr; sizelength=13; indexlength=3; indexdeltalength=3"}, // no config
		{"MPEG4-GENERIC/44100/2", "mode=AAC-hbr; indexlength=3; indexdeltalength=3; config=1210"},   // no sizelength
		{"MPEG4-GENERIC/44100/2", "mode=CELP-vbr; sizelength=13; config=1210"},                      // mode
		{"MPEG4-GENERIC/44100/2", "mode=AAC-hbr; sizelength=13; ctsdeltalength=16; config=1210"},    // CTS
		{"MPEG4-GENERIC/44100/2", "mode=AAC-hbr; sizelength=33; config=1210"},                       // size field
		{"MPEG4-GENERIC/44100/2", "mode=AAC-hbr; sizelength=13; config=zz"},                         // hex
		{"MPEG4-GENERIC/0/2", hbrFMTP}, {"MPEG4-GENERIC/44100/0", hbrFMTP}, {"MP4A-LATM/44100/2", hbrFMTP},
		{"MPEG4-GENERIC", hbrFMTP},
	} {
		if _, err := Unmarshal(97, c.rtpmap, parseFMTP(c.fmtp)); err == nil {
			t.Errorf("%q %q: no error", c.rtpmap, c.fmtp)
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add("MPEG4-GENERIC/44100/2", hbrFMTP)
	f.Add("mpeg4-generic/8000", "mode=AAC-lbr; sizelength=6; indexlength=2; indexdeltalength=2; config=1588")
	f.Add("MPEG4-GENERIC/48000/2", "sizelength=16; indexlength=8; config=1190")
	f.Fuzz(func(t *testing.T, rtpmap, fmtp string) {
		fm, err := Unmarshal(97, rtpmap, parseFMTP(fmtp))
		if err != nil {
			return
		}
		if fm.SizeLength < 1 || fm.SizeLength > 16 || fm.IndexLength > 8 || fm.IndexDeltaLength > 8 ||
			fm.SampleRate <= 0 || fm.SampleRate > MaxSampleRate || fm.Channels <= 0 || fm.Channels > MaxChannels {
			t.Fatalf("out of limits: %+v", *fm)
		}
		if _, err := Unmarshal(fm.PayloadType(), fm.RTPMap(), parseFMTP(fm.FMTP())); err != nil {
			t.Fatalf("announced %q %q does not parse: %v", fm.RTPMap(), fm.FMTP(), err)
		}
	})
}

type sent struct {
	payload []byte
	marker  bool
	off     uint32
}

func collect(t testing.TB, p payload.Packetizer, au [][]byte) []sent {
	t.Helper()
	var out []sent
	if err := p.Packetize(au, false, func(b []byte, m bool, off uint32) {
		out = append(out, sent{append([]byte(nil), b...), m, off})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func frame(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i)
	}
	return b
}

func TestPacketizeSeveralFrames(t *testing.T) {
	f, _ := FormatFromConfig([]byte{0x12, 0x10})
	p := f.NewPacketizer(100)
	// 40+40 fit with 2+4 header bytes; the third starts a new packet.
	out := collect(t, p, [][]byte{frame(40, 1), frame(40, 2), frame(40, 3)})
	if len(out) != 2 || out[0].off != 0 || out[1].off != 2048 || !out[0].marker || !out[1].marker {
		t.Fatalf("%d packets: %+v", len(out), out)
	}
	want := append([]byte{0, 32, 0x01, 0x40, 0x01, 0x40}, append(frame(40, 1), frame(40, 2)...)...)
	if !bytes.Equal(out[0].payload, want) {
		t.Fatalf("payload %x\nwant    %x", out[0].payload[:8], want[:8])
	}
	d := f.NewDepacketizer()
	au, err := d.Depacketize(&rtp.Packet{Payload: out[0].payload})
	if err != nil || len(au) != 2 || !bytes.Equal(au[1], frame(40, 2)) {
		t.Fatalf("depacketized %d frames, %v", len(au), err)
	}
}

func TestFragments(t *testing.T) {
	f, _ := FormatFromConfig([]byte{0x12, 0x10})
	big := frame(250, 7)
	out := collect(t, f.NewPacketizer(100), [][]byte{big})
	if len(out) != 3 || out[0].marker || out[1].marker || !out[2].marker {
		t.Fatalf("%+v", out)
	}
	d := f.NewDepacketizer()
	var au [][]byte
	for i, s := range out {
		if s.off != 0 {
			t.Fatalf("fragment offset %d", s.off)
		}
		var err error
		au, err = d.Depacketize(&rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(10 + i), Timestamp: 5,
			Marker: s.marker}, Payload: s.payload})
		if err != nil || (i < 2) != (au == nil) {
			t.Fatalf("fragment %d: %v, %v", i, au, err)
		}
	}
	if len(au) != 1 || !bytes.Equal(au[0], big) {
		t.Fatal("joined frame differs")
	}
	// A lost middle fragment drops the frame with an error, then the
	// depacketizer goes on.
	_, _ = d.Depacketize(&rtp.Packet{Header: rtp.Header{SequenceNumber: 20, Timestamp: 6}, Payload: out[0].payload})
	if _, err := d.Depacketize(&rtp.Packet{Header: rtp.Header{SequenceNumber: 22, Timestamp: 6, Marker: true},
		Payload: out[2].payload}); err == nil {
		t.Fatal("lost fragment: no error")
	}
	whole := collect(t, f.NewPacketizer(0), [][]byte{frame(10, 0)})
	if au, err := d.Depacketize(&rtp.Packet{Header: rtp.Header{SequenceNumber: 23, Marker: true},
		Payload: whole[0].payload}); err != nil || len(au) != 1 {
		t.Fatalf("after a loss: %v, %v", au, err)
	}
}

func TestDepacketizeMalformed(t *testing.T) {
	d := (&Format{}).NewDepacketizer()
	for _, b := range [][]byte{
		nil, {0}, {0, 0}, // no headers
		{0, 16, 0},             // header cut
		{0, 17, 0, 0, 0},       // not whole headers
		{0, 16, 0, 0, 1, 2},    // zero-size AU
		{0, 32, 0, 8, 0, 8, 1}, // second AU missing data
	} {
		if _, err := d.Depacketize(&rtp.Packet{Payload: b}); !errors.Is(err, payload.ErrMalformed) {
			t.Errorf("%x: got %v", b, err)
		}
	}
}

func FuzzDepacketize(f *testing.F) {
	fm, _ := FormatFromConfig([]byte{0x12, 0x10})
	for _, s := range [][]sent{
		collect(f, fm.NewPacketizer(100), [][]byte{frame(40, 1), frame(40, 2)}),
		collect(f, fm.NewPacketizer(100), [][]byte{frame(250, 1)}),
	} {
		for _, p := range s {
			f.Add(p.payload, p.marker, uint8(13))
		}
	}
	f.Add([]byte{0, 32, 0, 8, 0, 8, 1}, true, uint8(6))
	f.Fuzz(func(t *testing.T, b []byte, marker bool, sizeLen uint8) {
		g := &Format{SizeLength: int(sizeLen%16) + 1, IndexLength: 3, IndexDeltaLength: 3}
		d := g.NewDepacketizer()
		for i := range 3 { // the same payload three times: starts, continues and ends fragments
			au, err := d.Depacketize(&rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(i), Marker: marker}, Payload: b})
			if err != nil {
				continue
			}
			if len(au) > MaxFramesPerPacket {
				t.Fatalf("%d frames", len(au))
			}
			for _, fr := range au {
				if len(fr) == 0 || len(fr) > payload.MaxAccessUnitSize || len(fr) >= 1<<g.SizeLength {
					t.Fatalf("%d-byte frame", len(fr))
				}
			}
		}
	})
}

func TestPacketizeAllocs(t *testing.T) {
	f, _ := FormatFromConfig([]byte{0x12, 0x10})
	p := f.NewPacketizer(0)
	au := [][]byte{frame(300, 0), frame(300, 1), frame(3000, 2)}
	emit := func([]byte, bool, uint32) {}
	_ = p.Packetize(au, false, emit)
	if n := testing.AllocsPerRun(100, func() { _ = p.Packetize(au, false, emit) }); n != 0 {
		t.Fatalf("%v allocs per Packetize", n)
	}
}

func TestDepacketizeAllocs(t *testing.T) {
	f, _ := FormatFromConfig([]byte{0x12, 0x10})
	out := collect(t, f.NewPacketizer(0), [][]byte{frame(300, 0), frame(300, 1)})
	d := f.NewDepacketizer()
	pkt := &rtp.Packet{Header: rtp.Header{Marker: true}, Payload: out[0].payload}
	_, _ = d.Depacketize(pkt)
	if n := testing.AllocsPerRun(100, func() { _, _ = d.Depacketize(pkt) }); n != 0 {
		t.Fatalf("%v allocs per Depacketize", n)
	}
}

func BenchmarkPacketize(b *testing.B) {
	f, _ := FormatFromConfig([]byte{0x12, 0x10})
	p := f.NewPacketizer(0)
	au := [][]byte{frame(371, 0)}
	emit := func([]byte, bool, uint32) {}
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Packetize(au, false, emit)
	}
}

func BenchmarkDepacketize(b *testing.B) {
	f, _ := FormatFromConfig([]byte{0x12, 0x10})
	p := f.NewPacketizer(0)
	var pl []byte
	_ = p.Packetize([][]byte{frame(371, 0)}, false, func(x []byte, _ bool, _ uint32) { pl = append(pl[:0], x...) })
	d := f.NewDepacketizer()
	pkt := &rtp.Packet{Header: rtp.Header{Marker: true}, Payload: pl}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = d.Depacketize(pkt)
	}
}
