package soft

// µ-law tables. G.711 µ-law quantizes a 14-bit signed sample; the tables
// are built once from the ITU-T G.191 reference algorithm (muLawCompress,
// muLawExpand) so the hot loops are a shift and a load per sample.
var (
	muLawEncodeTable [1 << 14]uint8 // indexed by the top 14 bits of the sample
	muLawDecodeTable [256]int16
)

func init() {
	for i := range muLawEncodeTable {
		muLawEncodeTable[i] = muLawCompress(int16(uint16(i) << 2))
	}
	for i := range muLawDecodeTable {
		muLawDecodeTable[i] = muLawExpand(uint8(i))
	}
}

// muLawCompress encodes one 16-bit sample as G.191's ulaw_compress does:
// the magnitude of the 14-bit sample (one's complement for negatives)
// plus a bias of 33 makes the segments powers of two; the code is the
// segment and the four bits below its leading one, inverted.
func muLawCompress(x int16) uint8 {
	var mag int32
	if x < 0 {
		mag = int32(^x>>2) + 33
	} else {
		mag = int32(x>>2) + 33
	}
	if mag > 0x1fff {
		mag = 0x1fff
	}
	seg := int32(1)
	for i := mag >> 6; i != 0; i >>= 1 {
		seg++
	}
	code := uint8((8-seg)<<4 | (15 - (mag>>seg)&0x0f))
	if x >= 0 {
		code |= 0x80
	}
	return code
}

// muLawExpand decodes one code to the middle of its quantization interval,
// scaled to 16 bits (G.191's ulaw_expand).
func muLawExpand(code uint8) int16 {
	v := ^code
	exp := int32(v>>4) & 7
	mant := int32(v & 0x0f)
	mag := ((mant<<3)+0x84)<<exp - 0x84
	if code&0x80 == 0 {
		return int16(-mag)
	}
	return int16(mag)
}

// EncodeMuLaw appends the G.711 µ-law codes of pcm to dst and returns it.
// It allocates only when dst lacks capacity.
func EncodeMuLaw(dst []byte, pcm []int16) []byte {
	n := len(dst)
	dst = grow(dst, len(pcm))
	out := dst[n : n+len(pcm)]
	for i, s := range pcm {
		out[i] = muLawEncodeTable[uint16(s)>>2]
	}
	return dst
}

// DecodeMuLaw appends the 16-bit samples of the µ-law codes b to dst and
// returns it. It allocates only when dst lacks capacity.
func DecodeMuLaw(dst []int16, b []byte) []int16 {
	n := len(dst)
	dst = growInt16(dst, len(b))
	out := dst[n : n+len(b)]
	for i, c := range b {
		out[i] = muLawDecodeTable[c]
	}
	return dst
}

func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), len(b)+n)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

func growInt16(b []int16, n int) []int16 {
	if cap(b)-len(b) < n {
		nb := make([]int16, len(b), len(b)+n)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}
