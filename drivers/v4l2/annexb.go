package v4l2

// MaxNALUs bounds the NAL units taken from one frame; a camera sends a
// handful (SPS, PPS, SEI, slices), garbage could claim thousands.
const MaxNALUs = 64

// SplitAnnexB appends the NAL units of an Annex-B frame (start codes
// 00 00 01 or 00 00 00 01), as H.264 cameras and encoders hand them out,
// to dst as sub-slices of b, without copying. Bytes before the first
// start code are dropped; empty units are skipped; at most MaxNALUs are
// taken.
func SplitAnnexB(dst [][]byte, b []byte) [][]byte {
	start := -1
	zeros := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == 1 && zeros >= 2 {
			if start >= 0 {
				end := i - zeros // drop the start code's zeros (and trailing zeros)
				if end > start && len(dst) < MaxNALUs {
					dst = append(dst, b[start:end])
				}
			}
			start = i + 1
			zeros = 0
			continue
		}
		if c == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	if start >= 0 && start < len(b) && len(dst) < MaxNALUs {
		end := len(b)
		for end > start && b[end-1] == 0 {
			end--
		}
		if end > start {
			dst = append(dst, b[start:end])
		}
	}
	return dst
}

// HasIDR tells whether H.264 units hold an IDR slice (type 5).
func HasIDR(nalus [][]byte) bool {
	for _, n := range nalus {
		if len(n) > 0 && n[0]&0x1f == 5 {
			return true
		}
	}
	return false
}
