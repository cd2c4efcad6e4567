// Package soft holds the pure-Go encoders and decoders: MJPEG through the
// standard library's image/jpeg, and the ADPCM speech codecs G.722 and
// G.726. They are the encoders of last resort on boards without a hardware
// block and what the built-in test pattern uses; they need no cgo.
package soft

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
)

// MaxJPEGSide is the largest width or height RFC 2435 can describe (its
// header stores size/8 in one byte).
const MaxJPEGSide = 2040

// ErrFrameSize reports a picture whose size differs from the encoder's.
var ErrFrameSize = errors.New("soft: frame size does not match the encoder")

// MJPEGEncoder turns YCbCr pictures into baseline JPEG files: 4:2:0
// sampling, the standard Huffman tables and the IJG quality-scaled
// quantization tables, which is what an RFC 2435 packetizer expects. It
// keeps its output buffer between calls. It is not safe for concurrent use.
type MJPEGEncoder struct {
	width, height int
	opts          jpeg.Options
	buf           bytes.Buffer
}

// flushingBuffer gives bytes.Buffer the Flush method image/jpeg looks for;
// without it, jpeg.Encode wraps the destination in a fresh 4 KiB
// bufio.Writer on every call.
type flushingBuffer struct{ *bytes.Buffer }

// Flush has nothing to flush: the bytes are already in the buffer.
func (flushingBuffer) Flush() error { return nil }

// NewMJPEGEncoder returns an encoder for width x height pictures (even
// sizes up to MaxJPEGSide) at quality 1–100 (0 means 75).
func NewMJPEGEncoder(width, height, quality int) (*MJPEGEncoder, error) {
	if width <= 0 || height <= 0 || width%2 != 0 || height%2 != 0 {
		return nil, fmt.Errorf("soft: mjpeg: size %dx%d must be positive and even", width, height)
	}
	if width > MaxJPEGSide || height > MaxJPEGSide {
		return nil, fmt.Errorf("soft: mjpeg: size %dx%d exceeds %d (RFC 2435)", width, height, MaxJPEGSide)
	}
	if quality == 0 {
		quality = 75
	}
	if quality < 1 || quality > 100 {
		return nil, fmt.Errorf("soft: mjpeg: quality %d out of 1..100", quality)
	}
	e := &MJPEGEncoder{width: width, height: height, opts: jpeg.Options{Quality: quality}}
	// A first guess at a frame's size; the buffer grows to fit and stays.
	e.buf.Grow(width * height / 4)
	return e, nil
}

// Encode appends the JPEG file (SOI … EOI) of img to dst and returns the
// extended slice. img must be exactly the encoder's size; any YCbCr
// subsampling is accepted, the output is always 4:2:0.
func (e *MJPEGEncoder) Encode(dst []byte, img *image.YCbCr) ([]byte, error) {
	if img == nil {
		return dst, errors.New("soft: mjpeg: nil image")
	}
	if b := img.Bounds(); b.Dx() != e.width || b.Dy() != e.height {
		return dst, fmt.Errorf("soft: mjpeg: got %dx%d, want %dx%d: %w",
			b.Dx(), b.Dy(), e.width, e.height, ErrFrameSize)
	}
	e.buf.Reset()
	if err := jpeg.Encode(flushingBuffer{&e.buf}, img, &e.opts); err != nil {
		return dst, fmt.Errorf("soft: mjpeg: %w", err)
	}
	return append(dst, e.buf.Bytes()...), nil
}
