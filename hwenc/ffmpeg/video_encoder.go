//go:build ffmpeg && cgo

package ffmpeg

/*
#include "ffenc.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"math"
	"time"
	"unsafe"

	"rtspcam/hwenc"
)

// MaxNALUnits bounds the NAL units one access unit may hold.
const MaxNALUnits = 256

// VideoEncoder is a libavcodec video encoder with a libswscale front end
// that converts and scales whatever picture it is given to the encoder's
// size and pixel format.
type VideoEncoder struct {
	p      hwenc.VideoParams
	ctx    *C.AVCodecContext
	frame  *C.AVFrame
	pkt    *C.AVPacket
	sws    *C.struct_SwsContext
	header [][]byte // parameter sets, no start codes; MPEG-4: one slice
	hdrBuf []byte
	out    []byte   // the access unit's bytes, reused
	au     [][]byte // slices of out, reused
}

var _ hwenc.VideoEncoder = (*VideoEncoder)(nil)

// NewVideoEncoder opens the encoder for p. H.264 and H.265 are tuned for
// latency (ultrafast, zerolatency, no B-frames) so each frame comes out at
// once; a forced key frame is an IDR.
func NewVideoEncoder(p hwenc.VideoParams) (*VideoEncoder, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	name, ok := encoderName[p.Codec]
	if !ok {
		return nil, fmt.Errorf("ffmpeg: encode %s: %w", p.Codec, hwenc.ErrUnsupported)
	}
	num, den := fpsRational(p.FPS)
	threads := p.Threads
	if threads == 0 {
		threads = 1
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	e := &VideoEncoder{p: p}
	if code := C.ff_video_encoder_open(&e.ctx, cname, C.int(p.Width), C.int(p.Height),
		C.int(num), C.int(den), C.int64_t(p.Bitrate)*1000, C.int(p.KeyInterval()), C.int(threads)); code < 0 {
		return nil, avError("open "+name, code)
	}
	if code := C.ff_frame_video(&e.frame, C.int(e.ctx.pix_fmt), C.int(p.Width), C.int(p.Height)); code < 0 {
		e.Close()
		return nil, avError("frame", code)
	}
	if e.pkt = C.av_packet_alloc(); e.pkt == nil {
		e.Close()
		return nil, errors.New("ffmpeg: out of memory")
	}
	if err := e.readHeader(); err != nil {
		e.Close()
		return nil, err
	}
	e.out = make([]byte, 0, p.Width*p.Height/2)
	e.au = make([][]byte, 0, 16)
	return e, nil
}

// fpsRational writes fps as num/den (29.97 as 30000/1001 and the like).
func fpsRational(fps float64) (int, int) {
	if fps == math.Trunc(fps) {
		return int(fps), 1
	}
	return int(math.Round(fps * 1001)), 1001
}

// readHeader takes the parameter sets from the codec's extradata
// (GLOBAL_HEADER asks for them there and out of the frames).
func (e *VideoEncoder) readHeader() error {
	n := int(e.ctx.extradata_size)
	if n == 0 || e.ctx.extradata == nil {
		if e.p.Codec == hwenc.MJPEG {
			return nil
		}
		return fmt.Errorf("ffmpeg: %s: encoder gave no parameter sets", e.p.Codec)
	}
	e.hdrBuf = C.GoBytes(unsafe.Pointer(e.ctx.extradata), C.int(n))
	switch e.p.Codec {
	case hwenc.H264, hwenc.H265:
		e.header = splitAnnexB(e.header[:0], e.hdrBuf)
		if len(e.header) == 0 {
			return fmt.Errorf("ffmpeg: %s: no NAL units in the parameter sets", e.p.Codec)
		}
	default:
		e.header = [][]byte{e.hdrBuf}
	}
	return nil
}

// Params is what the encoder produces.
func (e *VideoEncoder) Params() hwenc.VideoParams { return e.p }

// Header is the parameter sets for the SDP (see hwenc.VideoEncoder).
func (e *VideoEncoder) Header() [][]byte { return e.header }

// Encode converts img into the encoder's frame and encodes it (see
// hwenc.VideoEncoder). pts is carried at 90 kHz.
func (e *VideoEncoder) Encode(img image.Image, pts time.Duration, forceKey bool) ([][]byte, bool, error) {
	if e.ctx == nil {
		return nil, false, errors.New("ffmpeg: encoder closed")
	}
	if err := e.fill(img); err != nil {
		return nil, false, err
	}
	key := 0
	if forceKey {
		key = 1
	}
	ts := C.int64_t(pts * 90000 / time.Second)
	if code := C.ff_send_video(e.ctx, e.frame, ts, C.int(key)); code < 0 {
		return nil, false, avError("encode", code)
	}
	return e.drain()
}

// fill puts img into e.frame through libswscale.
func (e *VideoEncoder) fill(img image.Image) error {
	var (
		fmt_       C.int
		w, h       int
		p0, p1, p2 *C.uint8_t
		s0, s1, s2 int
	)
	switch m := img.(type) {
	case *image.YCbCr:
		b := m.Rect
		w, h = b.Dx(), b.Dy()
		if w == 0 || h == 0 {
			return errors.New("ffmpeg: empty picture")
		}
		// image.YCbCr is full range (JFIF): the J formats tell
		// libswscale so, and it converts to the encoder's range.
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio420:
			fmt_ = C.AV_PIX_FMT_YUVJ420P
		case image.YCbCrSubsampleRatio422:
			fmt_ = C.AV_PIX_FMT_YUVJ422P
		case image.YCbCrSubsampleRatio444:
			fmt_ = C.AV_PIX_FMT_YUVJ444P
		case image.YCbCrSubsampleRatio440:
			fmt_ = C.AV_PIX_FMT_YUVJ440P
		default:
			return fmt.Errorf("ffmpeg: YCbCr subsampling %v: %w", m.SubsampleRatio, hwenc.ErrUnsupported)
		}
		yi, ci := m.YOffset(b.Min.X, b.Min.Y), m.COffset(b.Min.X, b.Min.Y)
		p0, s0 = (*C.uint8_t)(unsafe.Pointer(&m.Y[yi])), m.YStride
		p1, s1 = (*C.uint8_t)(unsafe.Pointer(&m.Cb[ci])), m.CStride
		p2, s2 = (*C.uint8_t)(unsafe.Pointer(&m.Cr[ci])), m.CStride
	case *image.RGBA:
		b := m.Rect
		w, h = b.Dx(), b.Dy()
		if w == 0 || h == 0 {
			return errors.New("ffmpeg: empty picture")
		}
		fmt_ = C.AV_PIX_FMT_RGBA
		p0, s0 = (*C.uint8_t)(unsafe.Pointer(&m.Pix[m.PixOffset(b.Min.X, b.Min.Y)])), m.Stride
	case *hwenc.Raw:
		w, h = m.Width, m.Height
		if w <= 0 || h <= 0 || m.Stride < w {
			return fmt.Errorf("ffmpeg: raw %dx%d stride %d", w, h, m.Stride)
		}
		ysize := m.Stride * h
		switch m.Format {
		case hwenc.NV12:
			if len(m.Data) < ysize+m.Stride*((h+1)/2) {
				return errors.New("ffmpeg: NV12 buffer too short")
			}
			fmt_ = C.AV_PIX_FMT_NV12
			p0, s0 = (*C.uint8_t)(unsafe.Pointer(&m.Data[0])), m.Stride
			p1, s1 = (*C.uint8_t)(unsafe.Pointer(&m.Data[ysize])), m.Stride
		case hwenc.YUYV:
			if m.Stride < 2*w || len(m.Data) < ysize {
				return errors.New("ffmpeg: YUYV buffer too short")
			}
			fmt_ = C.AV_PIX_FMT_YUYV422
			p0, s0 = (*C.uint8_t)(unsafe.Pointer(&m.Data[0])), m.Stride
		case hwenc.I420:
			cs := m.Stride / 2
			csize := cs * ((h + 1) / 2)
			if len(m.Data) < ysize+2*csize {
				return errors.New("ffmpeg: I420 buffer too short")
			}
			fmt_ = C.AV_PIX_FMT_YUV420P
			p0, s0 = (*C.uint8_t)(unsafe.Pointer(&m.Data[0])), m.Stride
			p1, s1 = (*C.uint8_t)(unsafe.Pointer(&m.Data[ysize])), cs
			p2, s2 = (*C.uint8_t)(unsafe.Pointer(&m.Data[ysize+csize])), cs
		default:
			return fmt.Errorf("ffmpeg: raw format %d: %w", m.Format, hwenc.ErrUnsupported)
		}
	default:
		return fmt.Errorf("ffmpeg: %T pictures: %w", img, hwenc.ErrUnsupported)
	}
	if code := C.ff_scale_to_frame(&e.sws, fmt_, C.int(w), C.int(h),
		p0, C.int(s0), p1, C.int(s1), p2, C.int(s2), e.frame); code < 0 {
		return avError("scale", code)
	}
	return nil
}

// drain collects the packets the encoder has ready into one access unit.
func (e *VideoEncoder) drain() ([][]byte, bool, error) {
	e.out = e.out[:0]
	e.au = e.au[:0]
	key := false
	got := false
	for {
		code := C.avcodec_receive_packet(e.ctx, e.pkt)
		if code == C.FF_EAGAIN || code == C.FF_EOF {
			break
		}
		if code < 0 {
			return nil, false, avError("encode", code)
		}
		if e.pkt.flags&C.AV_PKT_FLAG_KEY != 0 {
			key = true
		}
		got = true
		e.out = append(e.out, unsafe.Slice((*byte)(unsafe.Pointer(e.pkt.data)), int(e.pkt.size))...)
		C.av_packet_unref(e.pkt)
	}
	if !got {
		return nil, false, nil
	}
	switch e.p.Codec {
	case hwenc.H264, hwenc.H265:
		if key {
			e.au = append(e.au, e.header...)
		}
		e.au = splitAnnexB(e.au, e.out)
		if len(e.au) > MaxNALUnits {
			return nil, false, fmt.Errorf("ffmpeg: %d NAL units in one access unit", len(e.au))
		}
	case hwenc.MPEG4:
		if key && len(e.hdrBuf) > 0 {
			// One slice: the VOL headers, then the VOP.
			n := len(e.out)
			e.out = append(e.out, e.hdrBuf...)
			copy(e.out[len(e.hdrBuf):], e.out[:n])
			copy(e.out, e.hdrBuf)
		}
		e.au = append(e.au, e.out)
	default:
		e.au = append(e.au, e.out)
	}
	return e.au, key, nil
}

// Close frees the encoder's C objects; it is safe to call twice.
func (e *VideoEncoder) Close() error {
	if e.ctx != nil {
		C.avcodec_free_context(&e.ctx)
	}
	if e.frame != nil {
		C.av_frame_free(&e.frame)
	}
	if e.pkt != nil {
		C.av_packet_free(&e.pkt)
	}
	if e.sws != nil {
		C.sws_freeContext(e.sws)
		e.sws = nil
	}
	return nil
}
