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

// AudioEncoder is FFmpeg's AAC encoder or libopus, fed interleaved s16.
type AudioEncoder struct {
	p      hwenc.AudioParams
	ctx    *C.AVCodecContext
	frame  *C.AVFrame
	pkt    *C.AVPacket
	size   int     // samples per channel per frame
	fifo   []int16 // samples waiting for a whole frame
	pts    int64
	out    []byte
	ends   []int
	pkts   [][]byte
	config []byte
}

var _ hwenc.AudioEncoder = (*AudioEncoder)(nil)

// NewAudioEncoder opens an AAC-LC (any rate 8000–96000) or Opus (48000,
// 20 ms frames) encoder for 1 or 2 channels. Bitrate 0 means 64 kbit/s
// per channel for AAC and 32 per channel for Opus.
func NewAudioEncoder(p hwenc.AudioParams) (*AudioEncoder, error) {
	var name string
	switch p.Codec {
	case hwenc.AAC:
		name = "aac"
		if p.Bitrate == 0 {
			p.Bitrate = 64 * p.Channels
		}
	case hwenc.Opus:
		name = "libopus"
		if p.SampleRate != 48000 {
			return nil, fmt.Errorf("ffmpeg: opus at %d Hz: want 48000 (RTP Opus runs at 48 kHz)", p.SampleRate)
		}
		if p.Bitrate == 0 {
			p.Bitrate = 32 * p.Channels
		}
	default:
		return nil, fmt.Errorf("ffmpeg: encode %s: %w", p.Codec, hwenc.ErrUnsupported)
	}
	if p.Channels < 1 || p.Channels > 2 || p.SampleRate < 8000 || p.SampleRate > 96000 {
		return nil, fmt.Errorf("ffmpeg: %s: %d channels at %d Hz: want 1–2 channels, 8000–96000 Hz", p.Codec, p.Channels, p.SampleRate)
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	e := &AudioEncoder{p: p}
	if code := C.ff_audio_encoder_open(&e.ctx, cname, C.int(p.SampleRate), C.int(p.Channels),
		C.int64_t(p.Bitrate)*1000); code < 0 {
		return nil, avError("open "+name, code)
	}
	if code := C.ff_frame_audio(&e.frame, e.ctx); code < 0 {
		e.Close()
		return nil, avError("frame", code)
	}
	if e.pkt = C.av_packet_alloc(); e.pkt == nil {
		e.Close()
		return nil, errors.New("ffmpeg: out of memory")
	}
	e.size = int(e.frame.nb_samples)
	if p.Codec == hwenc.AAC && e.ctx.extradata_size > 0 {
		e.config = C.GoBytes(unsafe.Pointer(e.ctx.extradata), e.ctx.extradata_size)
	}
	e.fifo = make([]int16, 0, 4*e.size*p.Channels)
	e.out = make([]byte, 0, 4096)
	e.ends = make([]int, 0, 8)
	e.pkts = make([][]byte, 0, 8)
	return e, nil
}

// FrameSize is the samples per channel in one packet (AAC 1024, Opus 960).
func (e *AudioEncoder) FrameSize() int { return e.size }

// Config is the AudioSpecificConfig of AAC; nil for Opus.
func (e *AudioEncoder) Config() []byte { return e.config }

// Encode adds pcm (interleaved, Channels per sample) and returns the
// packets of every whole frame now complete (see hwenc.AudioEncoder).
// The encoder's priming delay makes the first call or two return none.
func (e *AudioEncoder) Encode(pcm []int16) ([][]byte, error) {
	if e.ctx == nil {
		return nil, errors.New("ffmpeg: encoder closed")
	}
	ch := e.p.Channels
	if len(pcm)%ch != 0 {
		return nil, fmt.Errorf("ffmpeg: %d samples do not split into %d channels", len(pcm), ch)
	}
	e.out, e.ends, e.pkts = e.out[:0], e.ends[:0], e.pkts[:0]
	per := e.size * ch
	for len(pcm) > 0 || len(e.fifo) >= per {
		var whole []int16
		switch {
		case len(e.fifo) == 0 && len(pcm) >= per:
			whole, pcm = pcm[:per], pcm[per:]
		default:
			n := min(per-len(e.fifo), len(pcm))
			e.fifo = append(e.fifo, pcm[:n]...)
			pcm = pcm[n:]
			if len(e.fifo) < per {
				continue
			}
			whole = e.fifo
		}
		if code := C.ff_audio_fill(e.frame, (*C.int16_t)(unsafe.Pointer(&whole[0])), C.int(e.size)); code < 0 {
			return nil, avError("fill", code)
		}
		e.fifo = e.fifo[:0]
		e.frame.pts = C.int64_t(e.pts)
		e.pts += int64(e.size)
		if code := C.avcodec_send_frame(e.ctx, e.frame); code < 0 {
			return nil, avError("encode", code)
		}
		if err := e.drain(); err != nil {
			return nil, err
		}
	}
	start := 0
	for _, end := range e.ends {
		e.pkts = append(e.pkts, e.out[start:end])
		start = end
	}
	return e.pkts, nil
}

func (e *AudioEncoder) drain() error {
	for {
		code := C.avcodec_receive_packet(e.ctx, e.pkt)
		if code == C.FF_EAGAIN || code == C.FF_EOF {
			return nil
		}
		if code < 0 {
			return avError("encode", code)
		}
		e.out = append(e.out, unsafe.Slice((*byte)(unsafe.Pointer(e.pkt.data)), int(e.pkt.size))...)
		e.ends = append(e.ends, len(e.out))
		C.av_packet_unref(e.pkt)
	}
}

// Close frees the encoder's C objects; it is safe to call twice.
func (e *AudioEncoder) Close() error {
	if e.ctx != nil {
		C.avcodec_free_context(&e.ctx)
	}
	if e.frame != nil {
		C.av_frame_free(&e.frame)
	}
	if e.pkt != nil {
		C.av_packet_free(&e.pkt)
	}
	return nil
}
