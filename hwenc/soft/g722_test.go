package soft

import (
	"errors"
	"testing"
)

const g722Rate = 16000

func g722Encode(t testing.TB, pcm []int16) []byte {
	enc := NewG722Encoder()
	var out []byte
	for i := 0; i < len(pcm); i += 320 {
		var err error
		out, err = enc.Encode(out, pcm[i:min(i+320, len(pcm))])
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestG722RoundTrip(t *testing.T) {
	for _, c := range []struct {
		name string
		pcm  []int16
		min  float64
	}{
		{"1kHz", tone(2*g722Rate, g722Rate, 1000, 0.5), 25},
		{"speech-like", speechLike(2*g722Rate, g722Rate, 6000, 1), 15},
	} {
		code := g722Encode(t, c.pcm)
		if len(code) != len(c.pcm)/2 {
			t.Fatalf("%s: %d octets for %d samples", c.name, len(code), len(c.pcm))
		}
		out := NewG722Decoder().Decode(nil, code)
		s, d := snr(c.pcm, out, 64)
		t.Logf("%s: ours→ours SNR %.1f dB at delay %d", c.name, s, d)
		if s < c.min {
			t.Errorf("%s: SNR %.1f dB < %.0f", c.name, s, c.min)
		}
	}
}

// TestG722AgainstFFmpeg decodes our stream with FFmpeg, and FFmpeg's
// stream with ours, and checks that our decoder matches FFmpeg's sample
// for sample.
func TestG722AgainstFFmpeg(t *testing.T) {
	for _, c := range []struct {
		name string
		pcm  []int16
		min  float64
	}{
		{"1kHz", tone(2*g722Rate, g722Rate, 1000, 0.5), 20},
		{"speech-like", speechLike(2*g722Rate, g722Rate, 6000, 2), 12},
	} {
		ours := g722Encode(t, c.pcm)
		dec := bytesPCM(ffmpeg(t, ours, "-f", "g722", "-i", "-", "-f", "s16le", "-ac", "1", "-ar", "16000", "-"))
		s, d := snr(c.pcm, dec, 64)
		t.Logf("%s: ours→FFmpeg SNR %.1f dB at delay %d", c.name, s, d)
		if s < c.min {
			t.Errorf("%s: ours→FFmpeg SNR %.1f dB < %.0f", c.name, s, c.min)
		}

		theirs := ffmpeg(t, pcmBytes(c.pcm), "-f", "s16le", "-ar", "16000", "-ac", "1", "-i", "-",
			"-c:a", "g722", "-f", "g722", "-")
		mine := NewG722Decoder().Decode(nil, theirs)
		s, d = snr(c.pcm, mine, 64)
		t.Logf("%s: FFmpeg→ours SNR %.1f dB at delay %d", c.name, s, d)
		if s < c.min {
			t.Errorf("%s: FFmpeg→ours SNR %.1f dB < %.0f", c.name, s, c.min)
		}
		ref := bytesPCM(ffmpeg(t, theirs, "-f", "g722", "-i", "-", "-f", "s16le", "-ac", "1", "-ar", "16000", "-"))
		diff := 0
		for i := range min(len(ref), len(mine)) {
			if ref[i] != mine[i] {
				diff++
			}
		}
		if len(ref) != len(mine) || diff != 0 {
			t.Errorf("%s: our decoder differs from FFmpeg's in %d of %d samples (lengths %d, %d)",
				c.name, diff, len(ref), len(mine), len(ref))
		}
	}
}

func TestG722OddInput(t *testing.T) {
	if _, err := NewG722Encoder().Encode(nil, make([]int16, 3)); !errors.Is(err, ErrOddSamples) {
		t.Fatalf("odd input: %v", err)
	}
}

func TestG722Allocs(t *testing.T) {
	pcm := speechLike(320, g722Rate, 6000, 3)
	enc, dec := NewG722Encoder(), NewG722Decoder()
	code := make([]byte, 0, 160)
	out := make([]int16, 0, 320)
	if a := testing.AllocsPerRun(100, func() {
		code, _ = enc.Encode(code[:0], pcm)
		out = dec.Decode(out[:0], code)
	}); a != 0 {
		t.Fatalf("allocs per 20 ms frame = %v, want 0", a)
	}
}

// FuzzG722Decode feeds arbitrary octets: the decoder never panics and
// returns exactly two samples per octet.
func FuzzG722Decode(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x00, 0xff, 0x80, 0x7f})
	f.Add(g722Encode(f, tone(640, g722Rate, 1000, 0.9)))
	f.Add(g722Encode(f, speechLike(640, g722Rate, 7000, 4)))
	f.Fuzz(func(t *testing.T, data []byte) {
		out := NewG722Decoder().Decode(nil, data)
		if len(out) != 2*len(data) {
			t.Fatalf("%d samples for %d octets", len(out), len(data))
		}
	})
}

func BenchmarkG722Encode1s(b *testing.B) {
	pcm := speechLike(g722Rate, g722Rate, 6000, 5)
	enc := NewG722Encoder()
	code := make([]byte, 0, len(pcm)/2)
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < len(pcm); i += 320 {
			code, _ = enc.Encode(code[:0], pcm[i:i+320])
		}
	}
}

func BenchmarkG722Decode1s(b *testing.B) {
	code := g722Encode(b, speechLike(g722Rate, g722Rate, 6000, 5))
	dec := NewG722Decoder()
	out := make([]int16, 0, 320)
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < len(code); i += 160 {
			out = dec.Decode(out[:0], code[i:i+160])
		}
	}
}

// FuzzG722Encode feeds arbitrary PCM (any even count): the encoder never
// panics, emits one octet per sample pair, and its output decodes.
func FuzzG722Encode(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0xff, 0x7f, 0x00, 0x80, 0xff, 0x7f, 0x00, 0x80})
	f.Add(pcmBytes(tone(64, g722Rate, 7000, 1)))
	f.Fuzz(func(t *testing.T, raw []byte) {
		pcm := bytesPCM(raw)
		pcm = pcm[:len(pcm)&^1]
		code, err := NewG722Encoder().Encode(nil, pcm)
		if err != nil || len(code) != len(pcm)/2 {
			t.Fatalf("%d octets for %d samples: %v", len(code), len(pcm), err)
		}
		if out := NewG722Decoder().Decode(nil, code); len(out) != len(pcm) {
			t.Fatalf("%d samples back from %d", len(out), len(pcm))
		}
	})
}
