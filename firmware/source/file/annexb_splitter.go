package file

import (
	"bytes"
	"fmt"

	"rtspcam/rtsp/payload"
)

// MaxNALUnitsPerAU bounds the NAL units splitNALs returns for one access
// unit.
const MaxNALUnitsPerAU = 1024

var startCode = []byte{0, 0, 1}

// splitNALs appends to dst[:0] the NAL units of an Annex-B byte string:
// the bytes between start codes, without the codes and without trailing
// zero bytes. Bytes before the first start code are ignored, and access
// unit delimiters are dropped. The slices alias b.
func splitNALs(b []byte, dst [][]byte, h265 bool) ([][]byte, error) {
	dst = dst[:0]
	i := bytes.Index(b, startCode)
	if i < 0 {
		return dst, nil
	}
	b = b[i+3:]
	for len(b) > 0 {
		end := bytes.Index(b, startCode)
		next := len(b)
		if end < 0 {
			end = len(b)
		} else {
			next = end + 3
		}
		nal := b[:end]
		for len(nal) > 0 && nal[len(nal)-1] == 0 {
			nal = nal[:len(nal)-1]
		}
		if len(nal) > 0 && !isDelimiter(nal, h265) {
			if len(dst) == MaxNALUnitsPerAU {
				return dst[:0], fmt.Errorf("more than %d NAL units: %w", MaxNALUnitsPerAU, payload.ErrTooLarge)
			}
			dst = append(dst, nal)
		}
		b = b[next:]
	}
	return dst, nil
}

// auBoundary follows NAL unit headers in decoding order and tells where a
// new access unit begins (ITU-T H.264 7.4.1.2.3, H.265 7.4.2.4.4): at a
// parameter set, delimiter or prefix SEI after the picture's slices, or at
// a slice that is the first of a new picture.
type auBoundary struct {
	h265    bool
	haveVCL bool // the current AU holds a slice
	key     bool // the current AU holds an IDR/IRAP slice
}

// nal consumes the first bytes of a NAL unit (header and at least one
// byte more when present) and reports whether it starts a new access unit.
// When it does, key tells whether the AU that just ended was a random
// access point.
func (a *auBoundary) nal(hdr []byte) (starts bool, prevKey bool) {
	if len(hdr) == 0 {
		return false, false
	}
	vcl, first, irap, leading := a.classify(hdr)
	if vcl {
		if a.haveVCL && first {
			prevKey = a.key
			a.key = irap
			return true, prevKey
		}
		a.haveVCL = true
		a.key = a.key || irap
		return false, false
	}
	if a.haveVCL && leading {
		prevKey = a.key
		a.haveVCL, a.key = false, false
		return true, prevKey
	}
	return false, false
}

// classify tells whether hdr is a slice (and whether it is the first of
// its picture and a random access point) or a NAL unit that may only lead
// an access unit.
func (a *auBoundary) classify(hdr []byte) (vcl, first, irap, leading bool) {
	if a.h265 {
		typ := (hdr[0] >> 1) & 0x3F
		switch {
		case typ <= 31:
			if len(hdr) < 3 {
				return true, true, typ >= 16 && typ <= 23, false
			}
			return true, hdr[2]&0x80 != 0, typ >= 16 && typ <= 23, false
		case typ >= 32 && typ <= 35, typ == 39, typ >= 41 && typ <= 44, typ >= 48 && typ <= 55:
			return false, false, false, true
		}
		return false, false, false, false
	}
	typ := hdr[0] & 0x1F
	switch {
	case typ == 1 || typ == 5:
		if len(hdr) < 2 {
			return true, true, typ == 5, false
		}
		// first_mb_in_slice is ue(v): 0 is coded as a single 1 bit
		return true, hdr[1]&0x80 != 0, typ == 5, false
	case typ >= 6 && typ <= 9, typ >= 14 && typ <= 18:
		return false, false, false, true
	}
	return false, false, false, false
}
