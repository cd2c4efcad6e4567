package ffmpeg

// splitAnnexB appends to dst the NAL units of an Annex-B byte stream
// (start codes 00 00 01 or 00 00 00 01), as sub-slices of b without start
// codes. Bytes before the first start code are ignored.
func splitAnnexB(dst [][]byte, b []byte) [][]byte {
	start := -1
	i := 0
	for i+2 < len(b) {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				end := i
				for end > start && b[end-1] == 0 {
					end-- // a four-byte start code's leading zero, or trailing zeros
				}
				if end > start {
					dst = append(dst, b[start:end])
				}
			}
			i += 3
			start = i
			continue
		}
		i++
	}
	if start >= 0 && start < len(b) {
		dst = append(dst, b[start:])
	}
	return dst
}

// appendAnnexB writes the NAL units with four-byte start codes, for
// decoders that read a byte stream.
func appendAnnexB(dst []byte, nalus [][]byte) []byte {
	for _, n := range nalus {
		dst = append(dst, 0, 0, 0, 1)
		dst = append(dst, n...)
	}
	return dst
}
