package soft

import (
	"math"
	"testing"
)

// Decision levels from ITU-T G.711 tables 1 and 2 (µ-law in 14-bit units,
// A-law in 13-bit units): the first input of each segment must take the
// segment's first code, the input just below it the previous segment's
// last code.
func TestSegmentBoundaries(t *testing.T) {
	// µ-law: segment k starts at 2^(k+5)-33 in 14-bit units (k >= 1).
	for k := 1; k < 8; k++ {
		x := int16((1<<(k+5) - 33) << 2)
		c := EncodeMuLaw(nil, []int16{x, x - 4})
		if want := uint8(0x80 | (7-k)<<4 | 0x0f); c[0] != want {
			t.Errorf("µ-law %d: got %#02x, want %#02x", x, c[0], want)
		}
		if want := uint8(0x80 | (8-k)<<4); c[1] != want {
			t.Errorf("µ-law %d: got %#02x, want %#02x", x-4, c[1], want)
		}
	}
	// A-law: segment k starts at 2^(k+4) in 13-bit units (k >= 1).
	for k := 1; k < 8; k++ {
		x := int16(1 << (k + 4) << 3)
		c := EncodeALaw(nil, []int16{x, x - 8})
		if want := uint8(0x80|k<<4) ^ 0x55; c[0] != want {
			t.Errorf("A-law %d: got %#02x, want %#02x", x, c[0], want)
		}
		if want := uint8(0x80|(k-1)<<4|0x0f) ^ 0x55; c[1] != want {
			t.Errorf("A-law %d: got %#02x, want %#02x", x-8, c[1], want)
		}
	}
}

func TestRoundTripAndMonotonic(t *testing.T) {
	pcm, _ := allSamples()
	for _, c := range laws {
		t.Run(c.name, func(t *testing.T) {
			codes := make([]byte, 256)
			for i := range codes {
				codes[i] = byte(i)
			}
			lin := c.dec(nil, codes)
			back := c.enc(nil, lin)
			for i := range codes {
				// µ-law has two zeros (0x7f and 0xff); both decode to 0.
				if back[i] != codes[i] && lin[i] != 0 {
					t.Errorf("code %#02x → %d → %#02x", i, lin[i], back[i])
				}
			}
			enc := c.enc(nil, pcm)
			dec := c.dec(nil, enc)
			prev := math.MinInt
			for x := -32768; x < 32768; x++ {
				v := int(dec[uint16(int16(x))])
				if v < prev {
					t.Fatalf("not monotonic at %d", x)
				}
				prev = v
			}
		})
	}
}

func TestCodecAppends(t *testing.T) {
	dst := []byte{1, 2}
	dst = EncodeMuLaw(dst, []int16{0, 0})
	if len(dst) != 4 || dst[0] != 1 || dst[2] != 0xff {
		t.Fatalf("EncodeMuLaw append: %x", dst)
	}
	pcm := DecodeALaw([]int16{7}, []byte{0xd5})
	if len(pcm) != 2 || pcm[0] != 7 || pcm[1] != 8 {
		t.Fatalf("DecodeALaw append: %v", pcm)
	}
}

func TestCodecAllocs(t *testing.T) {
	pcm := make([]int16, 160)
	enc := make([]byte, 0, 160)
	dec := make([]int16, 0, 160)
	n := testing.AllocsPerRun(100, func() {
		enc = EncodeMuLaw(enc[:0], pcm)
		dec = DecodeMuLaw(dec[:0], enc)
		enc = EncodeALaw(enc[:0], pcm)
		dec = DecodeALaw(dec[:0], enc)
	})
	if n != 0 {
		t.Fatalf("%v allocs per run", n)
	}
}

func BenchmarkEncodeMuLaw(b *testing.B) {
	pcm := make([]int16, 160)
	for i := range pcm {
		pcm[i] = int16(10000 * math.Sin(float64(i)/5))
	}
	dst := make([]byte, 0, 160)
	b.ReportAllocs()
	b.SetBytes(int64(len(pcm)))
	for b.Loop() {
		dst = EncodeMuLaw(dst[:0], pcm)
	}
}

func BenchmarkDecodeALaw(b *testing.B) {
	src := make([]byte, 160)
	dst := make([]int16, 0, 160)
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		dst = DecodeALaw(dst[:0], src)
	}
}

// FuzzG711Decode: any octets decode to one sample each, in either law, and
// re-encoding a decoded sample gives the code back (each code's value is
// its own reconstruction level; A-law and µ-law's two zeros aside).
func FuzzG711Decode(f *testing.F) {
	f.Add([]byte{0x00, 0x7f, 0x80, 0xff, 0xd5, 0x55})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		mu := DecodeMuLaw(nil, data)
		a := DecodeALaw(nil, data)
		if len(mu) != len(data) || len(a) != len(data) {
			t.Fatalf("%d octets gave %d and %d samples", len(data), len(mu), len(a))
		}
		reMu := EncodeMuLaw(nil, mu)
		reA := EncodeALaw(nil, a)
		for i, c := range data {
			if reMu[i] != c && !(c == 0x7f && reMu[i] == 0xff) {
				t.Fatalf("µ-law %#x → %d → %#x", c, mu[i], reMu[i])
			}
			if reA[i] != c {
				t.Fatalf("A-law %#x → %d → %#x", c, a[i], reA[i])
			}
		}
	})
}
