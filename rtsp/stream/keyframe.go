package stream

import (
	"strings"

	"rtspcam/rtsp/payload"
)

// keyKind says how a relayed packet of a format is recognised as the start
// of a random-access access unit, where a new reader may begin.
type keyKind uint8

const (
	keyAlways keyKind = iota // audio and formats without inter prediction
	keyH264
	keyH265
	keyJPEG
	keyMP4V
)

func keyKindOf(f payload.Format) keyKind {
	if f.MediaType() != payload.Video {
		return keyAlways
	}
	enc, _, _ := strings.Cut(strings.ToUpper(f.RTPMap()), "/")
	switch enc {
	case "H264":
		return keyH264
	case "H265":
		return keyH265
	case "JPEG":
		return keyJPEG
	case "MP4V-ES":
		return keyMP4V
	}
	return keyAlways
}

// isKeyStart reports whether an RTP payload of the given kind begins or
// carries the start of a random-access point: an H.264 IDR slice or SPS,
// an H.265 IRAP picture or parameter set, the first fragment of a JPEG
// frame, an MPEG-4 visual object sequence or intra VOP. Audio is always a
// random-access point.
func isKeyStart(k keyKind, pl []byte) bool {
	switch k {
	case keyH264:
		return h264Key(pl)
	case keyH265:
		return h265Key(pl)
	case keyJPEG:
		// RFC 2435: fragment offset 0 starts a frame; every frame is intra.
		return len(pl) >= 8 && pl[1] == 0 && pl[2] == 0 && pl[3] == 0
	case keyMP4V:
		return mp4vKey(pl)
	}
	return true
}

func h264KeyType(t byte) bool { return t == 5 || t == 7 }

func h264Key(pl []byte) bool {
	if len(pl) < 1 {
		return false
	}
	switch t := pl[0] & 0x1f; t {
	case 24: // STAP-A: 16-bit sizes, each NAL unit after
		b := pl[1:]
		for len(b) >= 3 {
			n := int(b[0])<<8 | int(b[1])
			if n == 0 || n > len(b)-2 {
				return false
			}
			if h264KeyType(b[2] & 0x1f) {
				return true
			}
			b = b[2+n:]
		}
		return false
	case 28: // FU-A: the start fragment names the type
		return len(pl) >= 2 && pl[1]&0x80 != 0 && h264KeyType(pl[1]&0x1f)
	default:
		return h264KeyType(t)
	}
}

// h265KeyType: IRAP pictures (BLA, IDR, CRA: 16–21) and VPS/SPS (32, 33).
func h265KeyType(t byte) bool { return (t >= 16 && t <= 21) || t == 32 || t == 33 }

func h265Key(pl []byte) bool {
	if len(pl) < 2 {
		return false
	}
	switch t := (pl[0] >> 1) & 0x3f; t {
	case 48: // aggregation packet: 16-bit sizes, each NAL unit after
		b := pl[2:]
		for len(b) >= 4 {
			n := int(b[0])<<8 | int(b[1])
			if n < 2 || n > len(b)-2 {
				return false
			}
			if h265KeyType((b[2] >> 1) & 0x3f) {
				return true
			}
			b = b[2+n:]
		}
		return false
	case 49: // fragmentation unit: FU header after the 2-byte NAL header
		return len(pl) >= 3 && pl[2]&0x80 != 0 && h265KeyType(pl[2]&0x3f)
	default:
		return h265KeyType(t)
	}
}

// mp4vKey: a payload that opens with a visual object sequence, VOL or GOV
// header, or with an intra-coded VOP (vop_coding_type 0).
func mp4vKey(pl []byte) bool {
	if len(pl) < 4 || pl[0] != 0 || pl[1] != 0 || pl[2] != 1 {
		return false
	}
	switch c := pl[3]; {
	case c == 0xb0, c == 0xb3, c <= 0x2f:
		return true
	case c == 0xb6:
		return len(pl) >= 5 && pl[4]>>6 == 0
	}
	return false
}
