package soft

import (
	"errors"
	"fmt"
	"math"
)

// Sample-rate limits NewResampler accepts. The product's outputs span
// 8000…48000 Hz; capture devices may run up to 192 kHz.
const (
	MinSampleRate = 4000
	MaxSampleRate = 192000
)

// maxFilter bounds the polyphase table (up × taps coefficients): every
// pair of the usual rates (8000…192000, the 11025 family included) fits
// far below it, while coprime oddities like 44101 → 8000 would need
// megabytes.
const maxFilter = 1 << 18

// ErrSampleRate reports a sample rate or channel count NewResampler cannot
// serve.
var ErrSampleRate = errors.New("soft: resampler: unsupported rate or channel count")

// Resampler converts interleaved 16-bit PCM from one sample rate to
// another with a polyphase windowed-sinc (Blackman) low-pass filter: the
// ratio is reduced to up/down, the prototype filter at up×inRate is split
// into up phases, and each output sample is one dot product of a phase
// with the last taps input samples. The cutoff sits at 92 % of the lower
// Nyquist frequency, so downsampling does not alias. The filter delays the
// signal by taps/2 input samples. It is not safe for concurrent use.
type Resampler struct {
	inRate, outRate, ch int
	up, down            int
	taps                int
	coef                []float32 // up phases × taps, each phase reversed for a forward dot product
	buf                 [][]float32
	t                   int // next output's position in 1/up input samples, relative to this block
	pass                bool
}

// NewResampler returns a resampler from inRate to outRate Hz for channels
// interleaved channels (1…8).
func NewResampler(inRate, outRate, channels int) (*Resampler, error) {
	if inRate < MinSampleRate || inRate > MaxSampleRate || outRate < MinSampleRate || outRate > MaxSampleRate ||
		channels < 1 || channels > 8 {
		return nil, fmt.Errorf("%w: %d Hz → %d Hz, %d channels", ErrSampleRate, inRate, outRate, channels)
	}
	r := &Resampler{inRate: inRate, outRate: outRate, ch: channels}
	if inRate == outRate {
		r.pass = true
		return r, nil
	}
	g := gcd(inRate, outRate)
	r.up, r.down = outRate/g, inRate/g
	ratio := math.Min(1, float64(r.up)/float64(r.down))
	// Twenty-four zero crossings each side of the centre, stretched when the
	// cutoff drops below the input's Nyquist frequency.
	r.taps = 2 * int(math.Ceil(24/ratio))
	if r.up*r.taps > maxFilter {
		return nil, fmt.Errorf("%w: %d Hz → %d Hz needs %d phases", ErrSampleRate, inRate, outRate, r.up)
	}
	fc := 0.46 * ratio // cutoff in cycles per input sample
	n := r.up * r.taps
	centre := float64(n-1) / 2
	proto := make([]float64, n)
	for j := range proto {
		x := (float64(j) - centre) / float64(r.up) // in input samples
		s := 2 * fc
		if x != 0 {
			s = math.Sin(2*math.Pi*fc*x) / (math.Pi * x)
		}
		w := 0.42 - 0.5*math.Cos(2*math.Pi*float64(j)/float64(n-1)) + 0.08*math.Cos(4*math.Pi*float64(j)/float64(n-1))
		proto[j] = s * w
	}
	r.coef = make([]float32, n)
	for p := 0; p < r.up; p++ {
		// Normalize each phase to unity gain at DC so a constant stays
		// constant whatever the phase.
		var sum float64
		for k := 0; k < r.taps; k++ {
			sum += proto[p+k*r.up]
		}
		for k := 0; k < r.taps; k++ {
			r.coef[p*r.taps+r.taps-1-k] = float32(proto[p+k*r.up] / sum)
		}
	}
	r.buf = make([][]float32, channels)
	for c := range r.buf {
		r.buf[c] = make([]float32, r.taps-1, r.taps-1+inRate/10)
	}
	return r, nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Taps is the filter length in input samples (0 when the rates match).
func (r *Resampler) Taps() int { return r.taps }

// OutLen is the most output frames Resample produces for inFrames input
// frames.
func (r *Resampler) OutLen(inFrames int) int {
	if r.pass {
		return inFrames
	}
	return (inFrames*r.up)/r.down + 1
}

// Reset forgets the history, as at construction.
func (r *Resampler) Reset() {
	r.t = 0
	for c := range r.buf {
		clear(r.buf[c])
		r.buf[c] = r.buf[c][:r.taps-1]
	}
}

// Resample appends the resampled frames of src (interleaved, a whole
// number of frames) to dst and returns it. It allocates only while its
// buffers grow to the largest block seen and when dst lacks capacity.
func (r *Resampler) Resample(dst, src []int16) []int16 {
	if r.pass {
		return append(dst, src...)
	}
	frames := len(src) / r.ch
	h := r.taps - 1
	for c := range r.buf {
		b := r.buf[c][:h]
		for i := 0; i < frames; i++ {
			b = append(b, float32(src[i*r.ch+c]))
		}
		r.buf[c] = b
	}
	limit := frames * r.up
	n := 0
	if limit > r.t {
		n = (limit - r.t + r.down - 1) / r.down
	}
	dst = growInt16(dst, n*r.ch)
	out := dst[len(dst)-n*r.ch:]
	o := 0
	t := r.t
	for ; t < limit; t += r.down {
		i, p := t/r.up, t%r.up
		cp := r.coef[p*r.taps : (p+1)*r.taps]
		for c := 0; c < r.ch; c++ {
			x := r.buf[c][i : i+r.taps]
			var acc float32
			for k, v := range cp {
				acc += v * x[k]
			}
			out[o] = sat16f(acc)
			o++
		}
	}
	r.t = t - limit
	for c := range r.buf {
		b := r.buf[c]
		copy(b, b[len(b)-h:])
		r.buf[c] = b[:h]
	}
	return dst
}

// sat16f rounds v to the nearest 16-bit sample, saturating.
func sat16f(v float32) int16 {
	switch {
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	case v >= 0:
		return int16(v + 0.5)
	default:
		return int16(v - 0.5)
	}
}
