package soft

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os/exec"
	"testing"
)

// tone is a sine of freq Hz at amplitude amp (of full scale 32767).
func tone(n, rate int, freq, amp float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(math.Round(amp * 32767 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))))
	}
	return out
}

// speechLike is band-limited noise with a syllable-rate envelope: the
// sum of a few random sines between 200 Hz and maxHz, shaped by a 4 Hz
// on/off envelope.
func speechLike(n, rate int, maxHz float64, seed uint64) []int16 {
	r := rand.New(rand.NewPCG(seed, 1))
	type part struct{ f, ph, a float64 }
	parts := make([]part, 24)
	for i := range parts {
		parts[i] = part{200 + r.Float64()*(maxHz-200), r.Float64() * 2 * math.Pi, 0.3 + r.Float64()}
	}
	out := make([]int16, n)
	for i := range out {
		t := float64(i) / float64(rate)
		var v float64
		for _, p := range parts {
			v += p.a * math.Sin(2*math.Pi*p.f*t+p.ph)
		}
		env := 0.2 + 0.8*math.Abs(math.Sin(2*math.Pi*2*t))
		out[i] = int16(v / float64(len(parts)) * env * 0.9 * 32767 / 1.3)
	}
	return out
}

// snr compares out with ref over the middle of the signal (skipping the
// codec's start-up), trying delays up to maxDelay samples, and returns the
// best signal-to-noise ratio in dB and the delay.
func snr(ref, out []int16, maxDelay int) (float64, int) {
	best, bestD := math.Inf(-1), 0
	start := len(ref) / 10
	for d := 0; d <= maxDelay; d++ {
		var sig, noise float64
		for i := start; i < len(ref) && i+d < len(out); i++ {
			s := float64(ref[i])
			e := float64(out[i+d]) - s
			sig += s * s
			noise += e * e
		}
		v := 10 * math.Log10(sig/math.Max(noise, 1e-9))
		if v > best {
			best, bestD = v, d
		}
	}
	return best, bestD
}

func pcmBytes(s []int16) []byte {
	b := make([]byte, 2*len(s))
	for i, v := range s {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

func bytesPCM(b []byte) []int16 {
	s := make([]int16, len(b)/2)
	for i := range s {
		s[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return s
}

// ffmpeg runs ffmpeg with in on stdin and returns stdout. It fails the
// test (not skips) when ffmpeg is missing: FFmpeg is the oracle here.
func ffmpeg(t *testing.T, in []byte, args ...string) []byte {
	t.Helper()
	path, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Fatalf("ffmpeg is required as the reference codec: %v", err)
	}
	cmd := exec.Command(path, append([]string{"-hide_banner", "-loglevel", "error", "-nostdin"}, args...)...)
	cmd.Stdin = bytes.NewReader(in)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	// -nostdin stops ffmpeg reading commands from stdin, not media from "-".
	if err := cmd.Run(); err != nil {
		t.Fatalf("ffmpeg %v: %v: %s", args, err, errb.String())
	}
	return out.Bytes()
}
