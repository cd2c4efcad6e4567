package soft

// A-law tables. G.711 A-law quantizes a 13-bit signed sample whose
// magnitude (one's complement for negatives) has 12 bits; the tables are
// built once from the ITU-T G.191 reference algorithm.
var (
	aLawEncodeTable [1 << 12]uint8 // indexed by the top 12 bits of the sample
	aLawDecodeTable [256]int16
)

func init() {
	for i := range aLawEncodeTable {
		aLawEncodeTable[i] = aLawCompress(int16(uint16(i) << 4))
	}
	for i := range aLawDecodeTable {
		aLawDecodeTable[i] = aLawExpand(uint8(i))
	}
}

// aLawCompress encodes one 16-bit sample as G.191's alaw_compress does:
// segment 0 is linear, each further segment halves the resolution; even
// bits are inverted (xor 0x55) on the line.
func aLawCompress(x int16) uint8 {
	var mag int32
	if x < 0 {
		mag = int32(^x >> 4)
	} else {
		mag = int32(x >> 4)
	}
	if mag > 15 {
		exp := int32(1)
		for mag > 16+15 {
			mag >>= 1
			exp++
		}
		mag -= 16
		mag += exp << 4
	}
	code := uint8(mag)
	if x >= 0 {
		code |= 0x80
	}
	return code ^ 0x55
}

// aLawExpand decodes one code to the middle of its quantization interval,
// scaled to 16 bits (G.191's alaw_expand).
func aLawExpand(code uint8) int16 {
	v := code ^ 0x55
	exp := int32(v>>4) & 7
	mant := int32(v & 0x0f)
	if exp > 0 {
		mant += 16
	}
	mag := mant<<4 + 8
	if exp > 1 {
		mag <<= exp - 1
	}
	if v&0x80 == 0 {
		return int16(-mag)
	}
	return int16(mag)
}

// EncodeALaw appends the G.711 A-law codes of pcm to dst and returns it.
// It allocates only when dst lacks capacity.
func EncodeALaw(dst []byte, pcm []int16) []byte {
	n := len(dst)
	dst = grow(dst, len(pcm))
	out := dst[n : n+len(pcm)]
	for i, s := range pcm {
		out[i] = aLawEncodeTable[uint16(s)>>4]
	}
	return dst
}

// DecodeALaw appends the 16-bit samples of the A-law codes b to dst and
// returns it. It allocates only when dst lacks capacity.
func DecodeALaw(dst []int16, b []byte) []int16 {
	n := len(dst)
	dst = growInt16(dst, len(b))
	out := dst[n : n+len(b)]
	for i, c := range b {
		out[i] = aLawDecodeTable[c]
	}
	return dst
}
