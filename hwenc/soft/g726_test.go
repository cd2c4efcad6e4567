package soft

import (
	"errors"
	"fmt"
	"testing"
)

const g726SampleRate = 8000

// g726Cases are the bit rates with the SNR each must reach through our
// encoder and FFmpeg's decoder (and the reverse), on a 1 kHz tone at half
// scale and on speech-like noise.
var g726Cases = []struct {
	bitrate          int
	toneMin, speechM float64
}{
	{16000, 15, 6},
	{24000, 20, 10},
	{32000, 28, 15},
	{40000, 35, 20},
}

// g726Signal is one second of 1 kHz tone followed by one second of
// speech-like noise, so one FFmpeg run checks both.
func g726Signal() []int16 {
	return append(tone(g726SampleRate, g726SampleRate, 1000, 0.5), speechLike(g726SampleRate, g726SampleRate, 3400, 7)...)
}

func g726Encode(t testing.TB, bitrate int, pcm []int16) []byte {
	enc, err := NewG726Encoder(bitrate)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for i := 0; i < len(pcm); i += 160 {
		if out, err = enc.Encode(out, pcm[i:min(i+160, len(pcm))]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func g726Decode(t testing.TB, bitrate int, code []byte) []int16 {
	dec, err := NewG726Decoder(bitrate)
	if err != nil {
		t.Fatal(err)
	}
	return dec.Decode(nil, code)
}

// halves returns the SNR of the tone half and of the speech half.
func halves(ref, out []int16) (toneSNR, speechSNR float64) {
	h := len(ref) / 2
	if len(out) < len(ref) {
		return 0, 0
	}
	toneSNR, _ = snr(ref[:h], out[:h], 0)
	speechSNR, _ = snr(ref[h:], out[h:], 0)
	return
}

func TestG726RoundTrip(t *testing.T) {
	pcm := g726Signal()
	for _, c := range g726Cases {
		code := g726Encode(t, c.bitrate, pcm)
		if want := len(pcm) * (c.bitrate / 8000) / 8; len(code) != want {
			t.Fatalf("%d: %d octets, want %d", c.bitrate, len(code), want)
		}
		out := g726Decode(t, c.bitrate, code)
		ts, ss := halves(pcm, out)
		t.Logf("G.726-%d ours→ours: tone %.1f dB, speech %.1f dB", c.bitrate/1000, ts, ss)
		if ts < c.toneMin || ss < c.speechM {
			t.Errorf("G.726-%d: tone %.1f dB (min %.0f), speech %.1f dB (min %.0f)", c.bitrate/1000, ts, c.toneMin, ss, c.speechM)
		}
	}
}

// TestG726AgainstFFmpeg: FFmpeg decodes our streams (RFC 3551 packing is
// FFmpeg's g726le) to the stated SNR, our decoder does as well on FFmpeg's
// streams, and on one stream both decoders agree closely. FFmpeg rounds
// the scale-factor mix and adaptation differently from the
// recommendation's fixed-point blocks, so the outputs are close, not
// sample-exact. At 40 kbit/s FFmpeg also leaks the zero predictor by 2^-8
// where G.726 says 2^-9: we keep the recommendation, and compare with
// FFmpeg using a decoder and encoder switched to FFmpeg's leak, which shows
// that constant is the only real difference.
func TestG726AgainstFFmpeg(t *testing.T) {
	pcm := g726Signal()
	for _, c := range g726Cases {
		t.Run(fmt.Sprint(c.bitrate), func(t *testing.T) {
			t.Parallel()
			bits := fmt.Sprint(c.bitrate / 8000)
			decArgs := []string{"-f", "g726le", "-code_size", bits, "-sample_rate", "8000", "-i", "-", "-f", "s16le", "-"}
			enc, _ := NewG726Encoder(c.bitrate)
			dec, _ := NewG726Decoder(c.bitrate)
			enc.st.leak, dec.st.leak = 8, 8 // FFmpeg's (only differs at 40)

			ours, err := enc.Encode(nil, pcm)
			if err != nil {
				t.Fatal(err)
			}
			ts, ss := halves(pcm, bytesPCM(ffmpeg(t, ours, decArgs...)))
			t.Logf("ours→FFmpeg: tone %.1f dB, speech %.1f dB", ts, ss)
			if ts < c.toneMin || ss < c.speechM {
				t.Errorf("ours→FFmpeg: tone %.1f dB (min %.0f), speech %.1f dB (min %.0f)", ts, c.toneMin, ss, c.speechM)
			}

			theirs := ffmpeg(t, pcmBytes(pcm), "-f", "s16le", "-ar", "8000", "-ac", "1", "-i", "-",
				"-c:a", "g726le", "-b:a", fmt.Sprint(c.bitrate), "-f", "g726le", "-")
			mine := dec.Decode(nil, theirs)
			ts, ss = halves(pcm, mine)
			t.Logf("FFmpeg→ours: tone %.1f dB, speech %.1f dB", ts, ss)
			if ts < c.toneMin || ss < c.speechM {
				t.Errorf("FFmpeg→ours: tone %.1f dB (min %.0f), speech %.1f dB (min %.0f)", ts, c.toneMin, ss, c.speechM)
			}
			ref := bytesPCM(ffmpeg(t, theirs, decArgs...))
			if len(ref) != len(mine) {
				t.Fatalf("FFmpeg decoded %d samples, ours %d", len(ref), len(mine))
			}
			ta, sa := halves(ref, mine)
			t.Logf("our decoder vs FFmpeg's on one stream: tone %.1f dB, speech %.1f dB", ta, sa)
			if ta < 20 || sa < 20 {
				t.Errorf("our decoder departs from FFmpeg's: agreement tone %.1f dB, speech %.1f dB (min 20)", ta, sa)
			}
		})
	}
}

func TestG726Rejects(t *testing.T) {
	if _, err := NewG726Encoder(64000); err == nil {
		t.Fatal("64000 accepted")
	}
	if _, err := NewG726Decoder(8000); err == nil {
		t.Fatal("8000 accepted")
	}
	enc, _ := NewG726Encoder(24000)
	if _, err := enc.Encode(nil, make([]int16, 12)); !errors.Is(err, ErrG726Align) {
		t.Fatalf("12 samples: %v", err)
	}
}

// TestG726Packing checks RFC 3551's order: the first codeword sits in the
// least significant bits of the first octet.
func TestG726Packing(t *testing.T) {
	for _, c := range g726Cases {
		dec, _ := NewG726Decoder(c.bitrate)
		b := dec.Bits()
		// A stream whose first codeword is the largest positive level and
		// the rest "zero" decodes to a positive first sample.
		code := make([]byte, b)
		code[0] = byte(1<<(b-1) - 1)
		out := dec.Decode(nil, code)
		if len(out) != 8 || out[0] <= 0 {
			t.Errorf("%d: first sample %v of %d", c.bitrate, out[:1], len(out))
		}
	}
}

func TestG726Allocs(t *testing.T) {
	pcm := speechLike(160, g726SampleRate, 3400, 8)
	for _, c := range g726Cases {
		enc, _ := NewG726Encoder(c.bitrate)
		dec, _ := NewG726Decoder(c.bitrate)
		code := make([]byte, 0, 100)
		out := make([]int16, 0, 160)
		if a := testing.AllocsPerRun(100, func() {
			code, _ = enc.Encode(code[:0], pcm)
			out = dec.Decode(out[:0], code)
		}); a != 0 {
			t.Errorf("%d: allocs per 20 ms frame = %v, want 0", c.bitrate, a)
		}
	}
}

// FuzzG726Decode: any octets at any rate decode without panic to exactly
// len*8/bits samples.
func FuzzG726Decode(f *testing.F) {
	f.Add(uint8(0), []byte{})
	f.Add(uint8(1), []byte{0xff, 0x00, 0x55})
	f.Add(uint8(2), g726Encode(f, 32000, tone(160, g726SampleRate, 1000, 0.9)))
	f.Add(uint8(3), g726Encode(f, 40000, speechLike(160, g726SampleRate, 3400, 9)))
	f.Add(uint8(0), g726Encode(f, 16000, speechLike(160, g726SampleRate, 3400, 9)))
	f.Fuzz(func(t *testing.T, r uint8, data []byte) {
		bitrate := 16000 + 8000*int(r%4)
		dec, err := NewG726Decoder(bitrate)
		if err != nil {
			t.Fatal(err)
		}
		out := dec.Decode(nil, data)
		if want := len(data) * 8 / dec.Bits(); len(out) != want {
			t.Fatalf("%d samples from %d octets at %d, want %d", len(out), len(data), bitrate, want)
		}
	})
}

func BenchmarkG726Encode1s(b *testing.B) {
	pcm := speechLike(g726SampleRate, g726SampleRate, 3400, 10)
	for _, c := range g726Cases {
		b.Run(fmt.Sprint(c.bitrate), func(b *testing.B) {
			enc, _ := NewG726Encoder(c.bitrate)
			code := make([]byte, 0, 100)
			b.ReportAllocs()
			for b.Loop() {
				for i := 0; i < len(pcm); i += 160 {
					code, _ = enc.Encode(code[:0], pcm[i:i+160])
				}
			}
		})
	}
}

func BenchmarkG726Decode1s(b *testing.B) {
	pcm := speechLike(g726SampleRate, g726SampleRate, 3400, 10)
	for _, c := range g726Cases {
		b.Run(fmt.Sprint(c.bitrate), func(b *testing.B) {
			code := g726Encode(b, c.bitrate, pcm)
			n := len(code) / 50
			dec, _ := NewG726Decoder(c.bitrate)
			out := make([]int16, 0, 160)
			b.ReportAllocs()
			for b.Loop() {
				for i := 0; i < len(code); i += n {
					out = dec.Decode(out[:0], code[i:i+n])
				}
			}
		})
	}
}

// FuzzG726Encode feeds arbitrary PCM at every rate: the encoder never
// panics and emits exactly bits*n/8 octets for n samples.
func FuzzG726Encode(f *testing.F) {
	f.Add(uint8(0), []byte{})
	f.Add(uint8(3), pcmBytes([]int16{32767, -32768, 32767, -32768, 0, 0, 32767, -32768}))
	f.Add(uint8(2), pcmBytes(tone(160, g726SampleRate, 3000, 1)))
	f.Fuzz(func(t *testing.T, r uint8, raw []byte) {
		pcm := bytesPCM(raw)
		pcm = pcm[:len(pcm)&^7]
		enc, err := NewG726Encoder(16000 + 8000*int(r%4))
		if err != nil {
			t.Fatal(err)
		}
		code, err := enc.Encode(nil, pcm)
		if err != nil || len(code) != len(pcm)*enc.Bits()/8 {
			t.Fatalf("%d octets for %d samples at %d bits: %v", len(code), len(pcm), enc.Bits(), err)
		}
	})
}
