package soft

// MixChannels converts interleaved 16-bit PCM of inCh channels to outCh
// channels, appends it to dst and returns it. Down to mono it averages
// every channel; up from mono it copies the one channel to all; between
// two multichannel layouts it keeps the channels both have and fills the
// rest with the average of the input. It allocates only when dst lacks
// capacity.
func MixChannels(dst, src []int16, inCh, outCh int) []int16 {
	if inCh <= 0 || outCh <= 0 {
		return dst
	}
	frames := len(src) / inCh
	if inCh == outCh {
		return append(dst, src[:frames*inCh]...)
	}
	dst = growInt16(dst, frames*outCh)
	out := dst[len(dst)-frames*outCh:]
	switch {
	case inCh == 2 && outCh == 1:
		for i := range frames {
			out[i] = int16((int32(src[2*i]) + int32(src[2*i+1])) >> 1)
		}
	case inCh == 1 && outCh == 2:
		for i, v := range src[:frames] {
			out[2*i], out[2*i+1] = v, v
		}
	default:
		for i := range frames {
			f := src[i*inCh : (i+1)*inCh]
			var sum int32
			for _, v := range f {
				sum += int32(v)
			}
			avg := int16(sum / int32(inCh))
			o := out[i*outCh : (i+1)*outCh]
			for c := range o {
				if c < inCh && outCh > 1 {
					o[c] = f[c]
				} else {
					o[c] = avg
				}
			}
		}
	}
	return dst
}
