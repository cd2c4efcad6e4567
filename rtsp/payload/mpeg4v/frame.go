package mpeg4v

import (
	"bytes"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4video"
)

var startCodePrefix = []byte{0, 0, 1}

// nextStartCode returns the position of the next start code prefix in b at
// or after from, with the start code value, or -1.
func nextStartCode(b []byte, from int) (int, mpeg4video.StartCode) {
	if from >= len(b) {
		return -1, 0
	}
	i := bytes.Index(b[from:], startCodePrefix)
	if i < 0 || from+i+3 >= len(b) {
		return -1, 0
	}
	return from + i, mpeg4video.StartCode(b[from+i+3])
}

func isVOL(c mpeg4video.StartCode) bool {
	return c >= mpeg4video.VideoObjectLayerStartCodeFirst && c <= mpeg4video.VideoObjectLayerStartCodeLast
}

// ConfigFromFrame returns the headers that start frame, from the visual
// object sequence (or the first video object / video object layer header)
// up to the first group of VOP or VOP header, when they include a video
// object layer header; otherwise nil. The result is a sub-slice of frame:
// copy it to keep it.
func ConfigFromFrame(frame []byte) []byte {
	start := -1
	vol := false
	for pos, code := nextStartCode(frame, 0); pos >= 0; pos, code = nextStartCode(frame, pos+4) {
		switch {
		case code == mpeg4video.GroupOfVOPStartCode || code == mpeg4video.VOPStartCode:
			if start < 0 || !vol {
				return nil
			}
			return frame[start:pos]
		case start < 0 && (code == mpeg4video.VisualObjectSequenceStartCode || code <= mpeg4video.VideoObjectStartCodeLast || isVOL(code)):
			start = pos
		}
		vol = vol || (start >= 0 && isVOL(code))
	}
	if start < 0 || !vol {
		return nil
	}
	return frame[start:]
}

// IsRandomAccess tells whether au holds an intra-coded VOP
// (vop_coding_type I).
func IsRandomAccess(au [][]byte) bool {
	for _, b := range au {
		for pos, code := nextStartCode(b, 0); pos >= 0; pos, code = nextStartCode(b, pos+4) {
			if code == mpeg4video.VOPStartCode && pos+4 < len(b) {
				return b[pos+4]>>6 == 0
			}
		}
	}
	return false
}
