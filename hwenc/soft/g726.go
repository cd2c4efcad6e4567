package soft

import (
	"errors"
	"fmt"
	"math/bits"
)

// G.726 (ITU-T G.726): ADPCM of 8 kHz speech at 16, 24, 32 or 40 kbit/s
// (2 to 5 bits per sample). Input and output here are 16-bit linear PCM;
// the codec itself works on 14 bits. Codewords are packed as RFC 3551
// sends them: the first codeword in the least significant bits of the
// first octet (FFmpeg calls this "g726le").

// ErrG726Align reports an input whose codewords would not fill whole
// octets: the sample count must be a multiple of 8.
var ErrG726Align = errors.New("soft: g726: sample count not a multiple of 8")

// g726Rate holds the tables of one bit rate, indexed by codeword (the
// upper half mirrors the lower: the sign bit is the top bit).
type g726Rate struct {
	bits  uint
	quant []int32 // decision levels of log2|d| − y (7 fractional bits)
	dqln  []int32 // log2 of the reconstructed magnitude − y
	w     []int32 // scale-factor multiplier W(I), scaled by 2^9
	f     []int32 // transition-speed function F(I), scaled by 2^9
}

var g726Rates = [4]g726Rate{
	{ // 16 kbit/s
		bits:  2,
		quant: []int32{261},
		dqln:  []int32{116, 365, 365, 116},
		w:     []int32{-704, 14048, 14048, -704},
		f:     []int32{0, 0xe00, 0xe00, 0},
	},
	{ // 24 kbit/s
		bits:  3,
		quant: []int32{8, 218, 331},
		dqln:  []int32{-2048, 135, 273, 373, 373, 273, 135, -2048},
		w:     []int32{-128, 960, 4384, 18624, 18624, 4384, 960, -128},
		f:     []int32{0, 0x200, 0x400, 0xe00, 0xe00, 0x400, 0x200, 0},
	},
	{ // 32 kbit/s
		bits:  4,
		quant: []int32{-124, 80, 178, 246, 300, 349, 400},
		dqln:  []int32{-2048, 4, 135, 213, 273, 323, 373, 425, 425, 373, 323, 273, 213, 135, 4, -2048},
		w: []int32{-12 << 5, 18 << 5, 41 << 5, 64 << 5, 112 << 5, 198 << 5, 355 << 5, 1122 << 5,
			1122 << 5, 355 << 5, 198 << 5, 112 << 5, 64 << 5, 41 << 5, 18 << 5, -12 << 5},
		f: []int32{0, 0, 0, 0x200, 0x200, 0x200, 0x600, 0xe00, 0xe00, 0x600, 0x200, 0x200, 0x200, 0, 0, 0},
	},
	{ // 40 kbit/s
		bits:  5,
		quant: []int32{-122, -16, 68, 139, 198, 250, 298, 339, 378, 413, 445, 475, 502, 528, 553},
		dqln: []int32{-2048, -66, 28, 104, 169, 224, 274, 318, 358, 395, 429, 459, 488, 514, 539, 566,
			566, 539, 514, 488, 459, 429, 395, 358, 318, 274, 224, 169, 104, 28, -66, -2048},
		w: []int32{448, 448, 768, 1248, 1280, 1312, 1856, 3200, 4512, 5728, 7008, 8960, 11456, 14080, 16928, 22272,
			22272, 16928, 14080, 11456, 8960, 7008, 5728, 4512, 3200, 1856, 1312, 1280, 1248, 768, 448, 448},
		f: []int32{0, 0, 0, 0, 0, 0x200, 0x200, 0x200, 0x200, 0x200, 0x400, 0x600, 0x800, 0xa00, 0xc00, 0xc00,
			0xc00, 0xc00, 0xa00, 0x800, 0x600, 0x400, 0x200, 0x200, 0x200, 0x200, 0x200, 0, 0, 0, 0, 0},
	},
}

func g726RateFor(bitrate int) (*g726Rate, error) {
	switch bitrate {
	case 16000, 24000, 32000, 40000:
		return &g726Rates[bitrate/8000-2], nil
	}
	return nil, fmt.Errorf("soft: g726: bit rate %d not one of 16000, 24000, 32000, 40000", bitrate)
}

// g726State is what encoder and decoder both track: the two scale factors
// and their mix, the tone/transition detectors, and the pole-zero
// predictor whose history is kept in the recommendation's 11-bit floating
// format (sign, 4-bit exponent, 6-bit mantissa; negative values stored
// minus 0x400).
type g726State struct {
	rate *g726Rate
	yl   int32 // slow scale factor (2^15 units of y)
	yu   int32 // fast scale factor
	dms  int32 // short-term mean of F(I)
	dml  int32 // long-term mean of F(I)
	ap   int32 // speed-control parameter
	a    [2]int32
	b    [6]int32
	pk   [2]bool  // signs of the last partial signals (true: negative)
	dq   [6]int32 // quantized differences, floating format
	sr   [2]int32 // reconstructed signal, floating format
	td   bool     // tone detected
	// leak is the zero-coefficient leak shift: 2^-8, and 2^-9 at 40
	// kbit/s as the recommendation's UPB block says (FFmpeg uses 2^-8 at
	// every rate; tests switch to that to compare with it).
	leak uint
}

func (s *g726State) reset(r *g726Rate) {
	*s = g726State{rate: r, yl: 34816, yu: 544, leak: 8}
	if r.bits == 5 {
		s.leak = 9
	}
	for i := range s.dq {
		s.dq[i] = 32
	}
	s.sr = [2]int32{32, 32}
}

// fmult multiplies predictor coefficient an by the floating-format value
// srn, as the recommendation's FMULT block does.
func fmult(an, srn int32) int32 {
	mag := an
	if an <= 0 {
		mag = -an & 0x1fff
	}
	exp := int32(bits.Len32(uint32(mag))) - 6
	mant := int32(32)
	if mag != 0 {
		if exp >= 0 {
			mant = mag >> exp
		} else {
			mant = mag << -exp
		}
	}
	wexp := exp + (srn>>6)&0xf - 13
	wmant := (mant*(srn&0x3f) + 0x30) >> 4
	var r int32
	if wexp >= 0 {
		r = (wmant << wexp) & 0x7fff
	} else {
		r = wmant >> -wexp
	}
	if (an ^ srn) < 0 {
		return -r
	}
	return r
}

// predict returns the zero-section estimate sez and the full estimate se
// (both 15-bit, halved from the filter sums as the recommendation does).
func (s *g726State) predict() (sez, se int32) {
	var z int32
	for i := range s.b {
		z += fmult(s.b[i]>>2, s.dq[i])
	}
	p := z + fmult(s.a[1]>>2, s.sr[1]) + fmult(s.a[0]>>2, s.sr[0])
	return z >> 1, p >> 1
}

// step mixes the fast and slow scale factors by the speed control.
func (s *g726State) step() int32 {
	if s.ap >= 256 {
		return s.yu
	}
	y := s.yl >> 6
	dif := s.yu - y
	al := s.ap >> 2
	if dif > 0 {
		y += (dif * al) >> 6
	} else if dif < 0 {
		y += (dif*al + 0x3f) >> 6
	}
	return y
}

// reconstruct returns the quantized difference for codeword i in
// sign-magnitude form (negative values have 0x8000 subtracted).
func (s *g726State) reconstruct(i uint8, y int32) int32 {
	neg := i>>(s.rate.bits-1) != 0
	dql := s.rate.dqln[i] + y>>2
	if dql < 0 {
		if neg {
			return -0x8000
		}
		return 0
	}
	dex := (dql >> 7) & 15
	dqt := 128 + dql&127
	dq := (dqt << 7) >> (14 - dex)
	if neg {
		return dq - 0x8000
	}
	return dq
}

// float11 converts a magnitude with its sign to the floating format.
func float11(mag int32, neg bool) int32 {
	var v int32 = 32
	if mag != 0 {
		exp := int32(bits.Len32(uint32(mag)))
		v = exp<<6 + (mag<<6)>>exp
	}
	if neg {
		return v - 0x400
	}
	return v
}

// decodeStep runs one sample through the common path given codeword i and
// the estimates, updates the state and returns the reconstructed signal.
func (s *g726State) update(i uint8, y, sez, se int32) int32 {
	r := s.rate
	dq := s.reconstruct(i, y)
	var sr int32
	if dq < 0 {
		sr = se - dq&0x3fff
	} else {
		sr = se + dq
	}
	dqsez := sr + sez - se
	wi, fi := r.w[i], r.f[i]

	pk0 := dqsez < 0
	mag := dq & 0x7fff

	// Transition detector: a large step while a tone was detected.
	ylint := s.yl >> 15
	ylfrac := (s.yl >> 10) & 0x1f
	thr := (32 + ylfrac) << ylint
	if ylint > 9 {
		thr = 31 << 10
	}
	dqthr := (thr + thr>>1) >> 1
	tr := s.td && mag > dqthr

	// Scale factors.
	yu := y + (wi-y)>>5
	yu = clamp32(yu, 544, 5120)
	s.yu = yu
	s.yl += yu + (-s.yl)>>6

	// Predictor coefficients.
	var a2p int32
	if tr {
		s.a = [2]int32{}
		s.b = [6]int32{}
	} else {
		pks1 := pk0 != s.pk[0]
		a2p = s.a[1] - s.a[1]>>7
		if dqsez != 0 {
			fa1 := s.a[0]
			if !pks1 {
				fa1 = -fa1
			}
			switch {
			case fa1 < -8191:
				a2p -= 0x100
			case fa1 > 8191:
				a2p += 0xff
			default:
				a2p += fa1 >> 5
			}
			if pk0 != s.pk[1] {
				switch {
				case a2p <= -12160:
					a2p = -12288
				case a2p >= 12416:
					a2p = 12288
				default:
					a2p -= 0x80
				}
			} else {
				switch {
				case a2p <= -12416:
					a2p = -12288
				case a2p >= 12160:
					a2p = 12288
				default:
					a2p += 0x80
				}
			}
		}
		s.a[1] = a2p

		s.a[0] -= s.a[0] >> 8
		if dqsez != 0 {
			if !pks1 {
				s.a[0] += 192
			} else {
				s.a[0] -= 192
			}
		}
		lim := 15360 - a2p
		s.a[0] = clamp32(s.a[0], -lim, lim)

		for k := range s.b {
			s.b[k] -= s.b[k] >> s.leak
			if mag != 0 {
				if (dq ^ s.dq[k]) >= 0 {
					s.b[k] += 128
				} else {
					s.b[k] -= 128
				}
			}
			// The recommendation keeps coefficients in 16 bits.
			s.b[k] = int32(int16(s.b[k]))
		}
	}

	copy(s.dq[1:], s.dq[:5])
	s.dq[0] = float11(mag, dq < 0)

	s.sr[1] = s.sr[0]
	switch {
	case sr == 0:
		s.sr[0] = 32
	case sr > 0:
		s.sr[0] = float11(sr, false)
	case sr > -32768:
		s.sr[0] = float11(-sr, true)
	default:
		s.sr[0] = 32 - 0x400
	}
	s.pk[1], s.pk[0] = s.pk[0], pk0

	// Tone detector, then the adaptation-speed control.
	s.td = !tr && a2p < -11776
	s.dms += (fi - s.dms) >> 5
	s.dml += (fi<<2 - s.dml) >> 7
	switch {
	case tr:
		s.ap = 256
	case y < 1536, s.td, abs32(s.dms<<2-s.dml) >= s.dml>>3:
		s.ap += (0x200 - s.ap) >> 4
	default:
		s.ap += (-s.ap) >> 4
	}
	return sr
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// G726Encoder codes 8 kHz 16-bit mono PCM as G.726. It is not safe for
// concurrent use; use NewG726Encoder.
type G726Encoder struct {
	st g726State
}

// NewG726Encoder returns an encoder for bitrate 16000, 24000, 32000 or
// 40000 bit/s.
func NewG726Encoder(bitrate int) (*G726Encoder, error) {
	r, err := g726RateFor(bitrate)
	if err != nil {
		return nil, err
	}
	e := &G726Encoder{}
	e.st.reset(r)
	return e, nil
}

// Bits is the codeword size: 2, 3, 4 or 5.
func (e *G726Encoder) Bits() int { return int(e.st.rate.bits) }

// Reset returns the encoder to its initial state.
func (e *G726Encoder) Reset() { e.st.reset(e.st.rate) }

// Encode appends the packed codewords of pcm to dst and returns the
// extended slice. len(pcm) must be a multiple of 8 so the codewords fill
// whole octets (20 ms is 160 samples: 40, 60, 80 or 100 octets).
func (e *G726Encoder) Encode(dst []byte, pcm []int16) ([]byte, error) {
	if len(pcm)%8 != 0 {
		return dst, ErrG726Align
	}
	s := &e.st
	r := s.rate
	var acc uint32
	var n uint
	for _, v := range pcm {
		sl := int32(v) >> 2
		sez, se := s.predict()
		d := sl - se
		y := s.step()

		// Log of |d| with 7 fractional bits, normalized by the step size,
		// placed among the decision levels.
		dqm := abs32(d)
		exp := int32(bits.Len32(uint32(dqm >> 1)))
		mant := ((dqm << 7) >> exp) & 0x7f
		dln := exp<<7 + mant - y>>2
		var k uint8
		for int(k) < len(r.quant) && dln >= r.quant[k] {
			k++
		}
		top := uint8(1)<<r.bits - 1
		var i uint8
		switch {
		case d < 0:
			i = top - k
		case k == 0 && r.bits == 2:
			// Two bits have no zero level: the smallest positive one.
			i = 0
		case k == 0:
			i = top // the "negative zero" codeword
		default:
			i = k
		}
		s.update(i, y, sez, se)

		acc |= uint32(i) << n
		n += r.bits
		for n >= 8 {
			dst = append(dst, byte(acc))
			acc >>= 8
			n -= 8
		}
	}
	return dst, nil
}

// G726Decoder decodes G.726 into 8 kHz 16-bit mono PCM. It is not safe for
// concurrent use; use NewG726Decoder.
type G726Decoder struct {
	st g726State
}

// NewG726Decoder returns a decoder for bitrate 16000, 24000, 32000 or
// 40000 bit/s.
func NewG726Decoder(bitrate int) (*G726Decoder, error) {
	r, err := g726RateFor(bitrate)
	if err != nil {
		return nil, err
	}
	d := &G726Decoder{}
	d.st.reset(r)
	return d, nil
}

// Bits is the codeword size: 2, 3, 4 or 5.
func (d *G726Decoder) Bits() int { return int(d.st.rate.bits) }

// Reset returns the decoder to its initial state.
func (d *G726Decoder) Reset() { d.st.reset(d.st.rate) }

// Decode appends one sample per codeword in data to dst and returns the
// extended slice: len(data)*8/Bits() samples; bits left over after the
// last whole codeword are ignored. Every codeword is valid: it never fails.
func (d *G726Decoder) Decode(dst []int16, data []byte) []int16 {
	s := &d.st
	b := s.rate.bits
	mask := uint32(1)<<b - 1
	var acc uint32
	var n uint
	for _, c := range data {
		acc |= uint32(c) << n
		n += 8
		for n >= b {
			i := uint8(acc & mask)
			acc >>= b
			n -= b
			sez, se := s.predict()
			y := s.step()
			sr := s.update(i, y, sez, se)
			dst = append(dst, int16(sat16(sr<<2)))
		}
	}
	return dst
}
