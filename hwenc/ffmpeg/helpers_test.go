//go:build ffmpeg && cgo

package ffmpeg

import (
	"bytes"
	"image"
	"math"
	"os/exec"
	"testing"
)

// needTool fails the test when a peer tool is missing: CI installs them.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not installed (scripts/deps.sh installs it): %v", name, err)
	}
	return p
}

// movingPicture paints frame n of a moving gradient with a bright square,
// so encoders see motion and decoders can be compared by PSNR.
func movingPicture(img *image.YCbCr, n int) {
	b := img.Rect
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			v := uint8((x + y + 4*n) & 0xff)
			if x > 40+n*4%200 && x < 120+n*4%200 && y > 40 && y < 120 {
				v = 235
			}
			img.Y[y*img.YStride+x] = v
		}
	}
	for y := 0; y < (b.Dy()+1)/2; y++ {
		for x := 0; x < (b.Dx()+1)/2; x++ {
			img.Cb[y*img.CStride+x] = uint8(64 + (x+n)%128)
			img.Cr[y*img.CStride+x] = uint8(192 - (y+n)%128)
		}
	}
}

// lumaPSNR compares the Y planes of two same-size pictures.
func lumaPSNR(a, b *image.YCbCr) float64 {
	var se float64
	w, h := a.Rect.Dx(), a.Rect.Dy()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			d := float64(a.Y[y*a.YStride+x]) - float64(b.Y[y*b.YStride+x])
			se += d * d
		}
	}
	mse := se / float64(w*h)
	if mse == 0 {
		return 99
	}
	return 10 * math.Log10(255*255/mse)
}

// run starts a tool and returns its stdout; stderr goes into the failure.
func run(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(needTool(t, name), args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, errb.String())
	}
	if errb.Len() > 0 && name == "ffmpeg" {
		t.Fatalf("ffmpeg reported errors decoding: %s", errb.String())
	}
	return out.Bytes()
}

// tone is interleaved s16 of two sines (440 Hz and 1250 Hz, different per
// channel) at rate for secs seconds.
func tone(rate, ch int, secs float64) []int16 {
	n := int(float64(rate) * secs)
	pcm := make([]int16, n*ch)
	for i := 0; i < n; i++ {
		ts := float64(i) / float64(rate)
		for c := 0; c < ch; c++ {
			v := 0.3*math.Sin(2*math.Pi*440*ts+float64(c)) + 0.2*math.Sin(2*math.Pi*1250*ts)
			pcm[i*ch+c] = int16(v * 32767)
		}
	}
	return pcm
}

// snr aligns got to want (the codec's delay, searched up to maxLag
// samples per channel) and returns the signal-to-noise ratio in dB over
// the middle of the signal.
func snr(want, got []int16, ch, maxLag int) (float64, int) {
	n := len(want) / ch
	lo, hi := n/4, 3*n/4
	best, bestLag := math.Inf(-1), 0
	for lag := 0; lag <= maxLag; lag++ {
		if (hi+lag)*ch > len(got) {
			break
		}
		var sig, noise float64
		for i := lo; i < hi; i++ {
			for c := 0; c < ch; c++ {
				s := float64(want[i*ch+c])
				d := s - float64(got[(i+lag)*ch+c])
				sig += s * s
				noise += d * d
			}
		}
		v := 10 * math.Log10(sig/math.Max(noise, 1))
		if v > best {
			best, bestLag = v, lag
		}
	}
	return best, bestLag
}
