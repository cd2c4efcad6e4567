package m2m

import (
	"bytes"
	"fmt"
	"image"
	"time"

	"rtspcam/drivers/v4l2"
	"rtspcam/hwenc"
)

// Backend offers the board's mem2mem H.264 encoders to hwenc.Selector,
// ahead of FFmpeg and the pure-Go encoders.
type Backend struct {
	Root string // /dev when empty
}

// Name is how the selection is logged.
func (Backend) Name() string { return "v4l2-m2m" }

// NewVideoEncoder returns an H.264 encoder on the first mem2mem device
// that makes H.264. The device is set up at the first picture, whose
// layout (NV12, YUYV or I420 as *hwenc.Raw; 4:2:0 *image.YCbCr) picks the
// raw queue's format.
func (b Backend) NewVideoEncoder(p hwenc.VideoParams) (hwenc.VideoEncoder, error) {
	if p.Codec != hwenc.H264 {
		return nil, fmt.Errorf("m2m: %s: %w", p.Codec, hwenc.ErrUnsupported)
	}
	devs, err := Find(b.Root)
	if err != nil {
		return nil, fmt.Errorf("m2m: %v: %w", err, hwenc.ErrUnsupported)
	}
	for _, d := range devs {
		if d.Encodes(v4l2.PixH264) {
			return &videoEncoder{dev: d, p: p}, nil
		}
	}
	return nil, fmt.Errorf("m2m: no H.264 mem2mem device: %w", hwenc.ErrUnsupported)
}

// NewVideoDecoder is not offered: decoding goes to FFmpeg.
func (Backend) NewVideoDecoder(c hwenc.Codec) (hwenc.VideoDecoder, error) {
	return nil, fmt.Errorf("m2m: decode: %w", hwenc.ErrUnsupported)
}

// NewAudioEncoder is not offered.
func (Backend) NewAudioEncoder(hwenc.AudioParams) (hwenc.AudioEncoder, error) {
	return nil, fmt.Errorf("m2m: audio: %w", hwenc.ErrUnsupported)
}

// NewAudioDecoder is not offered.
func (Backend) NewAudioDecoder(hwenc.AudioParams) (hwenc.AudioDecoder, error) {
	return nil, fmt.Errorf("m2m: audio: %w", hwenc.ErrUnsupported)
}

// videoEncoder adapts Encoder to hwenc.VideoEncoder.
type videoEncoder struct {
	dev    Device
	p      hwenc.VideoParams
	enc    *Encoder
	in     v4l2.PixelFormat
	stage  []byte // a YCbCr picture laid out as I420 for the device
	out    []byte
	nalus  [][]byte
	header [][]byte
}

var rawFormats = map[hwenc.PixelFormat]v4l2.PixelFormat{hwenc.NV12: v4l2.PixNV12, hwenc.YUYV: v4l2.PixYUYV, hwenc.I420: v4l2.PixYU12}

// Encode sends one picture through the device and returns its NAL units
// (no start codes), sub-slices of a reused buffer.
func (e *videoEncoder) Encode(img image.Image, pts time.Duration, forceKey bool) ([][]byte, bool, error) {
	var src []byte
	var pix v4l2.PixelFormat
	stride := 0
	switch im := img.(type) {
	case *hwenc.Raw:
		var ok bool
		if pix, ok = rawFormats[im.Format]; !ok {
			return nil, false, fmt.Errorf("m2m: raw layout %d: %w", im.Format, hwenc.ErrUnsupported)
		}
		src, stride = im.Data, im.Stride
	case *image.YCbCr:
		if im.SubsampleRatio != image.YCbCrSubsampleRatio420 {
			return nil, false, fmt.Errorf("m2m: YCbCr %v: %w", im.SubsampleRatio, hwenc.ErrUnsupported)
		}
		pix, stride = v4l2.PixYU12, e.p.Width
		e.stage = stageI420(e.stage, im, e.p.Width, e.p.Height)
		src = e.stage
	default:
		return nil, false, fmt.Errorf("m2m: %T: %w", img, hwenc.ErrUnsupported)
	}
	if b := img.Bounds(); b.Dx() != e.p.Width || b.Dy() != e.p.Height {
		return nil, false, fmt.Errorf("m2m: picture %v, encoder %dx%d: %w", b, e.p.Width, e.p.Height, hwenc.ErrUnsupported)
	}
	if e.enc == nil {
		if err := e.open(pix, stride); err != nil {
			return nil, false, err
		}
	} else if pix != e.in {
		return nil, false, fmt.Errorf("m2m: layout changed from %s to %s: %w", e.in, pix, hwenc.ErrUnsupported)
	}
	if forceKey {
		e.enc.ForceKeyFrame()
	}
	pk, err := e.enc.Encode(src, pts, e.out[:0])
	e.out = pk.Data
	if err != nil {
		return nil, false, err
	}
	e.nalus = v4l2.SplitAnnexB(e.nalus[:0], pk.Data)
	key := pk.Key || v4l2.HasIDR(e.nalus)
	if key {
		e.learnHeader()
	}
	return e.nalus, key, nil
}

func (e *videoEncoder) open(pix v4l2.PixelFormat, stride int) error {
	if !e.dev.Accepts(pix) {
		return fmt.Errorf("m2m: %s takes no %s: %w", e.dev.Path, pix, hwenc.ErrUnsupported)
	}
	enc, err := Open(e.dev, Config{Input: pix, Coded: v4l2.PixH264, Width: e.p.Width, Height: e.p.Height,
		FPS: e.p.FPS, Bitrate: e.p.Bitrate * 1000, GOP: e.p.KeyInterval(), Profile: "high"})
	if err != nil {
		return err
	}
	if s, _ := enc.InputFormat(); stride != 0 && s != stride {
		enc.Close()
		return fmt.Errorf("m2m: device wants %d bytes per line, pictures have %d: %w", s, stride, hwenc.ErrUnsupported)
	}
	e.enc, e.in = enc, pix
	e.out = make([]byte, 0, e.p.Width*e.p.Height/2)
	e.nalus = make([][]byte, 0, v4l2.MaxNALUs)
	return nil
}

// learnHeader keeps the SPS and PPS of a keyframe for the SDP; it copies
// only when they change.
func (e *videoEncoder) learnHeader() {
	var sps, pps []byte
	for _, n := range e.nalus {
		switch n[0] & 0x1f {
		case 7:
			sps = n
		case 8:
			pps = n
		}
	}
	if sps == nil || pps == nil {
		return
	}
	if len(e.header) == 2 && bytes.Equal(e.header[0], sps) && bytes.Equal(e.header[1], pps) {
		return
	}
	e.header = [][]byte{bytes.Clone(sps), bytes.Clone(pps)}
}

// stageI420 lays a 4:2:0 picture out as I420 (Y, Cb, Cr planes, tight).
func stageI420(dst []byte, im *image.YCbCr, w, h int) []byte {
	cw, ch := (w+1)/2, (h+1)/2
	n := w*h + 2*cw*ch
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	dst = dst[:n]
	for y := 0; y < h && y < im.Rect.Dy(); y++ {
		copy(dst[y*w:y*w+w], im.Y[y*im.YStride:])
	}
	cb, cr := dst[w*h:w*h+cw*ch], dst[w*h+cw*ch:]
	for y := 0; y < ch && y < (im.Rect.Dy()+1)/2; y++ {
		copy(cb[y*cw:y*cw+cw], im.Cb[y*im.CStride:])
		copy(cr[y*cw:y*cw+cw], im.Cr[y*im.CStride:])
	}
	return dst
}

// Params is what the encoder produces.
func (e *videoEncoder) Params() hwenc.VideoParams { return e.p }

// Header is the SPS and PPS once a keyframe has been made, else nil.
func (e *videoEncoder) Header() [][]byte { return e.header }

// Close drains and releases the device.
func (e *videoEncoder) Close() error {
	if e.enc == nil {
		return nil
	}
	err := e.enc.Close()
	e.enc = nil
	return err
}
