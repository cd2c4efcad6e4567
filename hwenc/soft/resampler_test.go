package soft

import (
	"fmt"
	"math"
	"testing"

	"rtspcam/drivers/audio/audiotest"
)

// sineSNR fits a sine of freq to pcm (skipping edge samples) and returns
// signal-to-residual in dB.
func sineSNR(pcm []int16, rate int, freq float64, skip int) float64 {
	x := pcm[skip : len(pcm)-skip]
	var ss, sc float64
	for i, v := range x {
		ph := 2 * math.Pi * freq * float64(i) / float64(rate)
		ss += float64(v) * math.Sin(ph)
		sc += float64(v) * math.Cos(ph)
	}
	a, b := 2*ss/float64(len(x)), 2*sc/float64(len(x))
	var sig, noise float64
	for i, v := range x {
		ph := 2 * math.Pi * freq * float64(i) / float64(rate)
		f := a*math.Sin(ph) + b*math.Cos(ph)
		sig += f * f
		e := float64(v) - f
		noise += e * e
	}
	return 10 * math.Log10(sig/math.Max(noise, 1e-9))
}

func resampleChunks(t testing.TB, in, out, ch int, pcm []int16, chunk int) []int16 {
	r, err := NewResampler(in, out, ch)
	if err != nil {
		t.Fatal(err)
	}
	var dst []int16
	for i := 0; i < len(pcm); i += chunk * ch {
		dst = r.Resample(dst, pcm[i:min(len(pcm), i+chunk*ch)])
	}
	return dst
}

func TestResamplerTone(t *testing.T) {
	t.Parallel()
	rates := []int{8000, 11025, 16000, 22050, 32000, 44100, 48000}
	for _, in := range rates {
		for _, out := range rates {
			t.Run(fmt.Sprintf("%d-%d", in, out), func(t *testing.T) {
				const f = 1000.0
				pcm := tone(in, in, f, 0.5) // one second
				got := resampleChunks(t, in, out, 1, pcm, in/50)
				if d := len(got) - out; d < -1 || d > 1 {
					t.Fatalf("%d samples out of 1 s, want %d", len(got), out)
				}
				if a := audiotest.Level(got[out/10:], out, f); math.Abs(a-0.5) > 0.01 {
					t.Errorf("1 kHz amplitude %.4f, want 0.5", a)
				}
				if snr := sineSNR(got, out, f, out/20); snr < 60 {
					t.Errorf("SNR %.1f dB against an ideal 1 kHz sine, want ≥ 60", snr)
				}
			})
		}
	}
}

func TestResamplerRejectsAlias(t *testing.T) {
	t.Parallel()
	// 5 kHz at 48 kHz lies above 8 kHz's Nyquist; folded it would land
	// on 3 kHz.
	pcm := tone(48000, 48000, 5000, 0.5)
	got := resampleChunks(t, 48000, 8000, 1, pcm, 960)
	if a := audiotest.Level(got[800:], 8000, 3000); a > 0.5*0.001 {
		t.Errorf("alias at 3 kHz has amplitude %.5f, want < 0.1 %% of the input (−60 dB)", a)
	}
	// And 3.4 kHz, inside the telephone band, passes.
	pcm = tone(48000, 48000, 3400, 0.5)
	got = resampleChunks(t, 48000, 8000, 1, pcm, 960)
	if a := audiotest.Level(got[800:], 8000, 3400); a < 0.45 {
		t.Errorf("3.4 kHz amplitude %.4f, want ≥ 0.45", a)
	}
}

func TestResamplerChunking(t *testing.T) {
	t.Parallel()
	pcm := speechLike(2*44100, 44100, 6000, 3)
	st := make([]int16, 2*len(pcm))
	st = MixChannels(st[:0], pcm, 1, 2)
	whole := resampleChunks(t, 44100, 16000, 2, st, len(pcm))
	for _, chunk := range []int{1, 7, 441, 882, 1000} {
		got := resampleChunks(t, 44100, 16000, 2, st, chunk)
		if len(got) != len(whole) {
			t.Fatalf("chunk %d: %d samples, whole: %d", chunk, len(got), len(whole))
		}
		for i := range got {
			if got[i] != whole[i] {
				t.Fatalf("chunk %d: sample %d is %d, whole gives %d", chunk, i, got[i], whole[i])
			}
		}
	}
	for i := 0; i < len(whole); i += 2 {
		if whole[i] != whole[i+1] {
			t.Fatalf("frame %d: channels differ (%d, %d) for a mono input", i/2, whole[i], whole[i+1])
		}
	}
}

func TestResamplerRejects(t *testing.T) {
	for _, c := range [][3]int{{44101, 8000, 1}, {0, 8000, 1}, {8000, 400000, 1}, {8000, 16000, 0}, {8000, 16000, 9}} {
		if _, err := NewResampler(c[0], c[1], c[2]); err == nil {
			t.Errorf("NewResampler%v accepted", c)
		}
	}
}

func TestMixChannels(t *testing.T) {
	st := MixChannels(nil, []int16{100, -200, 32767}, 1, 2)
	if fmt.Sprint(st) != "[100 100 -200 -200 32767 32767]" {
		t.Fatalf("mono→stereo %v", st)
	}
	mono := MixChannels(nil, []int16{100, 300, -32768, -32768, 32767, 32767}, 2, 1)
	if fmt.Sprint(mono) != "[200 -32768 32767]" {
		t.Fatalf("stereo→mono %v", mono)
	}
	six := MixChannels(nil, []int16{1, 2, 3, 4, 5, 6}, 6, 2)
	if fmt.Sprint(six) != "[1 2]" {
		t.Fatalf("6→2 %v", six)
	}
	if got := MixChannels([]int16{9}, []int16{1, 2, 3}, 2, 1); fmt.Sprint(got) != "[9 1]" {
		t.Fatalf("partial frame: %v", got)
	}
}

func TestResamplerAllocs(t *testing.T) {
	r, err := NewResampler(48000, 8000, 2)
	if err != nil {
		t.Fatal(err)
	}
	in := make([]int16, 960*2) // 20 ms
	out := make([]int16, 0, r.OutLen(960)*2)
	mix := make([]int16, 0, r.OutLen(960))
	r.Resample(out[:0], in)
	n := testing.AllocsPerRun(100, func() {
		o := r.Resample(out[:0], in)
		mix = MixChannels(mix[:0], o, 2, 1)
	})
	if n != 0 {
		t.Fatalf("%.1f allocations per 20 ms frame", n)
	}
}

func FuzzResample(f *testing.F) {
	f.Add(uint16(8000), uint16(48000), uint8(1), []byte{1, 2, 3, 4})
	f.Add(uint16(44100), uint16(8000), uint8(2), make([]byte, 1000))
	f.Fuzz(func(t *testing.T, in, out uint16, ch uint8, data []byte) {
		r, err := NewResampler(int(in), int(out), int(ch))
		if err != nil {
			return
		}
		pcm := bytesPCM(data)
		got := r.Resample(nil, pcm)
		frames := len(pcm) / int(ch)
		if len(got) > r.OutLen(frames)*int(ch) || len(got)%int(ch) != 0 {
			t.Fatalf("%d samples out for %d frames in (OutLen %d)", len(got), frames, r.OutLen(frames))
		}
	})
}

func benchResample(b *testing.B, in, out, ch int) {
	r, err := NewResampler(in, out, ch)
	if err != nil {
		b.Fatal(err)
	}
	src := tone(in/50*ch, in, 440, 0.5)
	dst := make([]int16, 0, r.OutLen(in/50)*ch)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		// one second of audio per op, in 20 ms frames
		for range 50 {
			dst = r.Resample(dst[:0], src)
		}
	}
}

func BenchmarkResample1s48kTo8kStereo(b *testing.B) { benchResample(b, 48000, 8000, 2) }
func BenchmarkResample1s44k1To8kMono(b *testing.B)  { benchResample(b, 44100, 8000, 1) }
func BenchmarkResample1s8kTo48kStereo(b *testing.B) { benchResample(b, 8000, 48000, 2) }
func BenchmarkResample1s48kTo16kMono(b *testing.B)  { benchResample(b, 48000, 16000, 1) }
func BenchmarkMixChannels1s48kStereoToMono(b *testing.B) {
	src := make([]int16, 960*2)
	dst := make([]int16, 0, 960)
	b.ReportAllocs()
	for range b.N {
		for range 50 {
			dst = MixChannels(dst[:0], src, 2, 1)
		}
	}
}
