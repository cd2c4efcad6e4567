//go:build ffmpeg && cgo

package ffmpeg

/*
#include "ffenc.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	"rtspcam/hwenc"
)

// AudioDecoder is FFmpeg's AAC or Opus decoder, giving interleaved s16.
type AudioDecoder struct {
	ctx   *C.AVCodecContext
	frame *C.AVFrame
	pkt   *C.AVPacket
	buf   *C.uint8_t
	cap   C.int
	pcm   []int16
}

var _ hwenc.AudioDecoder = (*AudioDecoder)(nil)

// NewAudioDecoder opens a decoder. AAC needs p.Config (the
// AudioSpecificConfig from the SDP); Opus needs the channel count.
func NewAudioDecoder(p hwenc.AudioParams) (*AudioDecoder, error) {
	id, ok := codecID(p.Codec)
	if !ok || (p.Codec != hwenc.AAC && p.Codec != hwenc.Opus) {
		return nil, fmt.Errorf("ffmpeg: decode %s: %w", p.Codec, hwenc.ErrUnsupported)
	}
	if p.Codec == hwenc.AAC && len(p.Config) == 0 {
		return nil, errors.New("ffmpeg: aac: no AudioSpecificConfig")
	}
	if p.Codec == hwenc.Opus {
		p.SampleRate = 48000
	}
	d := &AudioDecoder{}
	var extra *C.uint8_t
	if len(p.Config) > 0 {
		extra = (*C.uint8_t)(unsafe.Pointer(&p.Config[0]))
	}
	if code := C.ff_decoder_open(&d.ctx, id, extra, C.int(len(p.Config)), C.int(p.SampleRate), C.int(p.Channels)); code < 0 {
		return nil, avError("open decoder", code)
	}
	d.frame = C.av_frame_alloc()
	d.pkt = C.av_packet_alloc()
	if d.frame == nil || d.pkt == nil {
		d.Close()
		return nil, errors.New("ffmpeg: out of memory")
	}
	d.pcm = make([]int16, 0, 2*2048)
	return d, nil
}

// Decode decodes one packet (see hwenc.AudioDecoder).
func (d *AudioDecoder) Decode(packet []byte) ([]int16, error) {
	if d.ctx == nil {
		return nil, errors.New("ffmpeg: decoder closed")
	}
	if len(packet) == 0 {
		return nil, nil
	}
	if code := C.ff_send_bytes(d.ctx, d.pkt, &d.buf, &d.cap,
		(*C.uint8_t)(unsafe.Pointer(&packet[0])), C.int(len(packet))); code < 0 && code != C.FF_EAGAIN {
		return nil, avError("decode", code)
	}
	d.pcm = d.pcm[:0]
	for {
		code := C.avcodec_receive_frame(d.ctx, d.frame)
		if code == C.FF_EAGAIN || code == C.FF_EOF {
			break
		}
		if code < 0 {
			return nil, avError("decode", code)
		}
		n := int(d.frame.nb_samples) * int(C.ff_frame_channels(d.frame))
		at := len(d.pcm)
		if cap(d.pcm)-at < n {
			grown := make([]int16, at, 2*(at+n))
			copy(grown, d.pcm)
			d.pcm = grown
		}
		d.pcm = d.pcm[:at+n]
		if n > 0 {
			if code := C.ff_audio_to_s16(d.frame, (*C.int16_t)(unsafe.Pointer(&d.pcm[at]))); code < 0 {
				C.av_frame_unref(d.frame)
				return nil, avError("convert", code)
			}
		}
		C.av_frame_unref(d.frame)
	}
	return d.pcm, nil
}

// Close frees the decoder's C objects; it is safe to call twice.
func (d *AudioDecoder) Close() error {
	if d.ctx != nil {
		C.avcodec_free_context(&d.ctx)
	}
	if d.frame != nil {
		C.av_frame_free(&d.frame)
	}
	if d.pkt != nil {
		C.av_packet_free(&d.pkt)
	}
	if d.buf != nil {
		C.av_free(unsafe.Pointer(d.buf))
		d.buf, d.cap = nil, 0
	}
	return nil
}
