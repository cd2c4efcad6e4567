package soft

import "errors"

// G.722 (ITU-T G.722, 64 kbit/s mode 1): 16 kHz 16-bit PCM is split by a
// 24-tap quadrature mirror filter into a lower (0–4 kHz) and an upper
// (4–8 kHz) sub-band at 8 kHz each; the lower band is coded with 6-bit
// ADPCM, the upper with 2-bit ADPCM, and each pair of input samples becomes
// one octet: upper-band code in the two high bits, lower-band code in the
// six low bits (the octet order RFC 3551 sends).

// ErrOddSamples reports a G.722 input of an odd number of samples: the
// codec consumes input samples in pairs.
var ErrOddSamples = errors.New("soft: g722: odd number of samples")

// g722QMF are the transmit and receive QMF coefficients h0 … h23 (scaled
// by 2^13; the filter is symmetric).
var g722QMF = [24]int32{
	3, -11, -11, 53, 12, -156, 32, 362, -210, -805, 951, 3876,
	3876, 951, -805, -210, 362, 32, -156, 12, 53, -11, -11, 3,
}

// Lower sub-band quantizer: decision levels of the 6-bit quantizer for
// magnitude intervals 1 … 29 (scaled by DETL/2^12), and the codes assigned
// to each interval for a negative and a positive difference.
var (
	g722Q6 = [31]int32{
		0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650,
		714, 786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980,
		2195, 2557, 2919, 0,
	}
	g722CodeNeg = [31]uint8{
		0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
		16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4,
	}
	g722CodePos = [31]uint8{
		0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45,
		44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32,
	}
)

// Inverse quantizers: 6-bit (the decoder's lower-band output in mode 1),
// 4-bit (the lower band's prediction and adaptation path, the code's four
// high bits) and 2-bit (upper band). Values are scaled by DET/2^15.
var (
	g722QM6 = [64]int32{
		-136, -136, -136, -136, -24808, -21904, -19008, -16704,
		-14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856,
		-7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576,
		-3168, -2776, -2400, -2032, -1688, -1360, -1040, -728,
		24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192,
		10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456,
		4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032,
		1688, 1360, 1040, 728, 432, 136, -432, -136,
	}
	g722QM4 = [16]int32{
		0, -20456, -12896, -8968, -6288, -4240, -2584, -1200,
		20456, 12896, 8968, 6288, 4240, 2584, 1200, 0,
	}
	g722QM2 = [4]int32{-7408, -1616, 7408, 1616}
)

// Log scale-factor adaptation: the multiplier (in the log domain) chosen by
// the magnitude of the last code, for each band.
var (
	g722MagLow  = [16]uint8{0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0}
	g722WL      = [8]int32{-60, -30, 58, 172, 334, 538, 1198, 3042}
	g722MagHigh = [4]uint8{2, 1, 2, 1}
	g722WH      = [3]int32{0, -214, 798}
)

// g722Pow2 is 2^(i/32) scaled by 2^11: the mantissa of the inverse log
// used to turn a log scale factor into a linear step size.
var g722Pow2 = [32]int32{
	2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599,
	2656, 2714, 2774, 2834, 2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371,
	3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
}

func sat16(x int32) int32 {
	if x > 32767 {
		return 32767
	}
	if x < -32768 {
		return -32768
	}
	return x
}

func clamp32(x, lo, hi int32) int32 {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}

// g722Band is one sub-band's ADPCM state: scale factor and the adaptive
// pole-zero predictor (2 poles on the reconstructed signal, 6 zeros on the
// quantized difference), identical in encoder and decoder.
type g722Band struct {
	s  int32    // predicted signal
	sz int32    // zero-section part of the prediction
	r  [3]int32 // reconstructed signal, r[1] last
	p  [3]int32 // partially reconstructed signal (d + sz), p[1] last
	a  [3]int32 // pole coefficients a[1], a[2]
	b  [7]int32 // zero coefficients b[1] … b[6]
	d  [7]int32 // quantized differences, d[1] last
	nb int32    // log scale factor
	de int32    // linear scale factor (step size)
}

func (b *g722Band) reset(det int32) {
	*b = g722Band{de: det}
}

// scale turns the log scale factor into the step size; shift is 8 for the
// lower band and 10 for the upper.
func g722Scale(nb, shift int32) int32 {
	m := g722Pow2[(nb>>6)&31]
	if e := shift - nb>>11; e >= 0 {
		m >>= e
	} else {
		m <<= -e
	}
	return m << 2
}

// adapt runs the predictor update for the quantized difference d: the
// reconstructed and partial signals, the sign-sign updates of the pole and
// zero coefficients, the delay line and the next prediction.
func (b *g722Band) adapt(d int32) {
	r0 := sat16(b.s + d)
	p0 := sat16(b.sz + d)

	// Second pole coefficient, then the first, bounded so the pole pair
	// stays stable.
	sg0, sg1, sg2 := p0>>15, b.p[1]>>15, b.p[2]>>15
	wd := sat16(b.a[1] << 2)
	if sg0 == sg1 {
		wd = -wd
	}
	if wd > 32767 {
		wd = 32767
	}
	a2 := wd >> 7
	if sg0 == sg2 {
		a2 += 128
	} else {
		a2 -= 128
	}
	a2 += (b.a[2] * 32512) >> 15
	a2 = clamp32(a2, -12288, 12288)

	a1 := (b.a[1] * 32640) >> 15
	if sg0 == sg1 {
		a1 += 192
	} else {
		a1 -= 192
	}
	a1 = sat16(a1)
	lim := sat16(15360 - a2)
	a1 = clamp32(a1, -lim, lim)

	// Zero coefficients: leak, plus a step toward the sign correlation of
	// the new difference with each past one (no step when d is zero).
	var step int32
	if d != 0 {
		step = 128
	}
	sgd := d >> 15
	for i := 6; i >= 1; i-- {
		c := (b.b[i] * 32640) >> 15
		if b.d[i]>>15 == sgd {
			c += step
		} else {
			c -= step
		}
		b.b[i] = sat16(c)
	}

	// Delay lines.
	for i := 6; i >= 2; i-- {
		b.d[i] = b.d[i-1]
	}
	b.d[1] = d
	b.r[2], b.r[1] = b.r[1], r0
	b.p[2], b.p[1] = b.p[1], p0
	b.a[1], b.a[2] = a1, a2

	// Next prediction: pole section on r, zero section on d.
	sp := sat16((b.a[1]*sat16(b.r[1]+b.r[1]))>>15 + (b.a[2]*sat16(b.r[2]+b.r[2]))>>15)
	var sz int32
	for i := 6; i >= 1; i-- {
		sz += (b.b[i] * sat16(b.d[i]+b.d[i])) >> 15
	}
	b.sz = sat16(sz)
	b.s = sat16(sp + b.sz)
}

// lowAdapt updates the lower band after code c (6 bits).
func (b *g722Band) lowAdapt(c uint8) {
	i := c >> 2
	d := (b.de * g722QM4[i]) >> 15
	b.nb = clamp32((b.nb*127)>>7+g722WL[g722MagLow[i]], 0, 18432)
	b.de = g722Scale(b.nb, 8)
	b.adapt(d)
}

// highAdapt updates the upper band after code c (2 bits).
func (b *g722Band) highAdapt(c uint8) {
	d := (b.de * g722QM2[c]) >> 15
	b.nb = clamp32((b.nb*127)>>7+g722WH[g722MagHigh[c]], 0, 22528)
	b.de = g722Scale(b.nb, 10)
	b.adapt(d)
}

// G722Encoder codes 16 kHz 16-bit mono PCM at 64 kbit/s. It is not safe
// for concurrent use; the zero value is not ready, use NewG722Encoder.
type G722Encoder struct {
	x    [24]int32 // input history, x[23] newest
	low  g722Band
	high g722Band
}

// NewG722Encoder returns an encoder in the reset state.
func NewG722Encoder() *G722Encoder {
	e := &G722Encoder{}
	e.Reset()
	return e
}

// Reset returns the encoder to its initial state.
func (e *G722Encoder) Reset() {
	e.x = [24]int32{}
	e.low.reset(32)
	e.high.reset(8)
}

// Encode appends one octet per two samples of pcm to dst and returns the
// extended slice. len(pcm) must be even (20 ms is 320 samples → 160
// octets).
func (e *G722Encoder) Encode(dst []byte, pcm []int16) ([]byte, error) {
	if len(pcm)%2 != 0 {
		return dst, ErrOddSamples
	}
	for k := 0; k+1 < len(pcm); k += 2 {
		copy(e.x[:22], e.x[2:])
		e.x[22], e.x[23] = int32(pcm[k]), int32(pcm[k+1])
		// Transmit QMF: even taps on the newer sample's phase, odd taps on
		// the older's; sum and difference give the two bands.
		var xa, xb int32
		for i := 0; i < 12; i++ {
			xa += g722QMF[2*i] * e.x[23-2*i]
			xb += g722QMF[2*i+1] * e.x[22-2*i]
		}
		xl := (xa + xb) >> 14
		xh := (xa - xb) >> 14

		el := sat16(xl - e.low.s)
		m := el
		if m < 0 {
			m = -(m + 1)
		}
		i := 1
		for ; i < 30; i++ {
			if m < (g722Q6[i]*e.low.de)>>12 {
				break
			}
		}
		lc := g722CodePos[i]
		if el < 0 {
			lc = g722CodeNeg[i]
		}

		eh := sat16(xh - e.high.s)
		m = eh
		if m < 0 {
			m = -(m + 1)
		}
		var hc uint8
		big := m >= (564*e.high.de)>>12
		switch {
		case eh < 0 && big:
			hc = 0
		case eh < 0:
			hc = 1
		case big:
			hc = 2
		default:
			hc = 3
		}

		e.low.lowAdapt(lc)
		e.high.highAdapt(hc)
		dst = append(dst, hc<<6|lc)
	}
	return dst, nil
}

// G722Decoder decodes 64 kbit/s G.722 into 16 kHz 16-bit mono PCM. It is
// not safe for concurrent use; use NewG722Decoder.
type G722Decoder struct {
	xd   [12]int32 // low − high history, xd[11] newest
	xs   [12]int32 // low + high history
	low  g722Band
	high g722Band
}

// NewG722Decoder returns a decoder in the reset state.
func NewG722Decoder() *G722Decoder {
	d := &G722Decoder{}
	d.Reset()
	return d
}

// Reset returns the decoder to its initial state.
func (d *G722Decoder) Reset() {
	d.xd = [12]int32{}
	d.xs = [12]int32{}
	d.low.reset(32)
	d.high.reset(8)
}

// Decode appends two samples per octet of data to dst and returns the
// extended slice. Every octet is a valid code: it never fails.
func (d *G722Decoder) Decode(dst []int16, data []byte) []int16 {
	for _, c := range data {
		lc, hc := c&0x3f, c>>6
		rl := clamp32(d.low.s+(d.low.de*g722QM6[lc])>>15, -16384, 16383)
		rh := clamp32(d.high.s+(d.high.de*g722QM2[hc])>>15, -16384, 16383)
		d.low.lowAdapt(lc)
		d.high.highAdapt(hc)

		copy(d.xd[:11], d.xd[1:])
		copy(d.xs[:11], d.xs[1:])
		d.xd[11], d.xs[11] = rl-rh, rl+rh
		// Receive QMF: the even taps rebuild the first output sample from
		// the difference signal, the odd taps the second from the sum.
		var o1, o2 int32
		for i := 0; i < 12; i++ {
			o1 += g722QMF[2*i] * d.xd[11-i]
			o2 += g722QMF[2*i+1] * d.xs[11-i]
		}
		dst = append(dst, int16(sat16(o1>>11)), int16(sat16(o2>>11)))
	}
	return dst
}
