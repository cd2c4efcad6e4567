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
	"unsafe"

	"rtspcam/hwenc"
)

// VideoDecoder is a libavcodec video decoder whose pictures come out as
// full-range 4:2:0 image.YCbCr, converted by libswscale.
type VideoDecoder struct {
	codec hwenc.Codec
	ctx   *C.AVCodecContext
	frame *C.AVFrame
	pkt   *C.AVPacket
	sws   *C.struct_SwsContext
	buf   *C.uint8_t // padded input, reused
	cap   C.int
	in    []byte // the Annex-B stream of one access unit, reused
	pic   *image.YCbCr
}

var _ hwenc.VideoDecoder = (*VideoDecoder)(nil)

// NewVideoDecoder opens a decoder for H.264, H.265, MPEG-4 or MJPEG.
func NewVideoDecoder(c hwenc.Codec) (*VideoDecoder, error) {
	id, ok := codecID(c)
	if !ok || c == hwenc.AAC || c == hwenc.Opus {
		return nil, fmt.Errorf("ffmpeg: decode %s: %w", c, hwenc.ErrUnsupported)
	}
	d := &VideoDecoder{codec: c}
	if code := C.ff_decoder_open(&d.ctx, id, nil, 0, 0, 0); code < 0 {
		return nil, avError("open decoder", code)
	}
	d.frame = C.av_frame_alloc()
	d.pkt = C.av_packet_alloc()
	if d.frame == nil || d.pkt == nil {
		d.Close()
		return nil, errors.New("ffmpeg: out of memory")
	}
	return d, nil
}

// Decode decodes one access unit (see hwenc.VideoDecoder). A picture of
// a new size replaces the old one (one allocation per size change).
func (d *VideoDecoder) Decode(au [][]byte) (*image.YCbCr, error) {
	if d.ctx == nil {
		return nil, errors.New("ffmpeg: decoder closed")
	}
	var data []byte
	switch d.codec {
	case hwenc.H264, hwenc.H265:
		d.in = appendAnnexB(d.in[:0], au)
		data = d.in
	default:
		if len(au) != 1 {
			d.in = d.in[:0]
			for _, s := range au {
				d.in = append(d.in, s...)
			}
			data = d.in
		} else {
			data = au[0]
		}
	}
	if len(data) == 0 {
		return nil, nil
	}
	if code := C.ff_send_bytes(d.ctx, d.pkt, &d.buf, &d.cap,
		(*C.uint8_t)(unsafe.Pointer(&data[0])), C.int(len(data))); code < 0 && code != C.FF_EAGAIN {
		return nil, avError("decode", code)
	}
	var pic *image.YCbCr
	for {
		code := C.avcodec_receive_frame(d.ctx, d.frame)
		if code == C.FF_EAGAIN || code == C.FF_EOF {
			break
		}
		if code < 0 {
			return nil, avError("decode", code)
		}
		w, h := int(d.frame.width), int(d.frame.height)
		if d.pic == nil || d.pic.Rect.Dx() != w || d.pic.Rect.Dy() != h {
			d.pic = image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		}
		p := d.pic
		code = C.ff_frame_to_planes(&d.sws, d.frame, C.AV_PIX_FMT_YUVJ420P, C.int(w), C.int(h),
			(*C.uint8_t)(unsafe.Pointer(&p.Y[0])), C.int(p.YStride),
			(*C.uint8_t)(unsafe.Pointer(&p.Cb[0])), C.int(p.CStride),
			(*C.uint8_t)(unsafe.Pointer(&p.Cr[0])), C.int(p.CStride))
		C.av_frame_unref(d.frame)
		if code < 0 {
			return nil, avError("convert", code)
		}
		pic = p
	}
	return pic, nil
}

// Close frees the decoder's C objects; it is safe to call twice.
func (d *VideoDecoder) Close() error {
	if d.ctx != nil {
		C.avcodec_free_context(&d.ctx)
	}
	if d.frame != nil {
		C.av_frame_free(&d.frame)
	}
	if d.pkt != nil {
		C.av_packet_free(&d.pkt)
	}
	if d.sws != nil {
		C.sws_freeContext(d.sws)
		d.sws = nil
	}
	if d.buf != nil {
		C.av_free(unsafe.Pointer(d.buf))
		d.buf, d.cap = nil, 0
	}
	return nil
}
