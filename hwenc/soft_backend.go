package hwenc

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"time"

	"rtspcam/hwenc/soft"
)

// Soft is the pure-Go backend of last resort: MJPEG through image/jpeg,
// both ways. It needs no cgo and no device; it does not scale, so the
// picture must have the encoder's size.
type Soft struct {
	// Quality is the JPEG quality, 1–100; 0 means 75.
	Quality int
}

var _ Backend = Soft{}

// Name is "soft".
func (Soft) Name() string { return "soft" }

// NewVideoEncoder makes an MJPEG encoder; other codecs are unsupported.
func (s Soft) NewVideoEncoder(p VideoParams) (VideoEncoder, error) {
	if p.Codec != MJPEG {
		return nil, fmt.Errorf("soft: %s: %w", p.Codec, ErrUnsupported)
	}
	e, err := soft.NewMJPEGEncoder(p.Width, p.Height, s.Quality)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	return &softMJPEG{enc: e, p: p}, nil
}

// NewVideoDecoder makes an MJPEG decoder; other codecs are unsupported.
func (Soft) NewVideoDecoder(c Codec) (VideoDecoder, error) {
	if c != MJPEG {
		return nil, fmt.Errorf("soft: decode %s: %w", c, ErrUnsupported)
	}
	return &softJPEGDecoder{}, nil
}

// NewAudioEncoder: the soft G.7xx codecs sit in hwenc/soft directly; AAC
// and Opus need FFmpeg.
func (Soft) NewAudioEncoder(p AudioParams) (AudioEncoder, error) {
	return nil, fmt.Errorf("soft: encode %s: %w", p.Codec, ErrUnsupported)
}

// NewAudioDecoder: see NewAudioEncoder.
func (Soft) NewAudioDecoder(p AudioParams) (AudioDecoder, error) {
	return nil, fmt.Errorf("soft: decode %s: %w", p.Codec, ErrUnsupported)
}

// softMJPEG adapts soft.MJPEGEncoder to VideoEncoder.
type softMJPEG struct {
	enc *soft.MJPEGEncoder
	p   VideoParams
	buf []byte
	au  [1][]byte
}

func (e *softMJPEG) Encode(img image.Image, _ time.Duration, _ bool) ([][]byte, bool, error) {
	y, ok := img.(*image.YCbCr)
	if !ok {
		return nil, false, fmt.Errorf("soft: mjpeg: %T pictures: %w", img, ErrUnsupported)
	}
	var err error
	if e.buf, err = e.enc.Encode(e.buf[:0], y); err != nil {
		return nil, false, err
	}
	e.au[0] = e.buf
	return e.au[:], true, nil
}

func (e *softMJPEG) Params() VideoParams { return e.p }
func (e *softMJPEG) Header() [][]byte    { return nil }
func (e *softMJPEG) Close() error        { return nil }

// softJPEGDecoder decodes with image/jpeg; it allocates a picture per
// frame, which is acceptable for the fallback path only.
type softJPEGDecoder struct{ r bytes.Reader }

func (d *softJPEGDecoder) Decode(au [][]byte) (*image.YCbCr, error) {
	if len(au) != 1 {
		return nil, fmt.Errorf("soft: mjpeg: %d slices in an access unit, want 1", len(au))
	}
	d.r.Reset(au[0])
	img, err := jpeg.Decode(&d.r)
	if err != nil {
		return nil, fmt.Errorf("soft: mjpeg: %w", err)
	}
	y, ok := img.(*image.YCbCr)
	if !ok {
		return nil, fmt.Errorf("soft: mjpeg: grey or CMYK JPEG: %w", ErrUnsupported)
	}
	return y, nil
}

func (d *softJPEGDecoder) Close() error { return nil }
