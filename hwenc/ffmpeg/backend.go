//go:build ffmpeg && cgo

package ffmpeg

/*
#cgo pkg-config: libavcodec libavutil libswscale
#cgo LDFLAGS: -lm
#include <malloc.h>
#include "ffenc.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	"rtspcam/hwenc"
)

// Available tells whether this build has the FFmpeg backend.
const Available = true

func init() {
	// Library packages do not print: errors come back as return codes.
	C.ff_quiet()
}

// avError wraps a libav error code with what was being done.
func avError(what string, code C.int) error {
	var buf [128]byte
	C.av_strerror(code, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
	n := 0
	for n < len(buf) && buf[n] != 0 {
		n++
	}
	if code == C.AVERROR_ENCODER_NOT_FOUND || code == C.AVERROR_DECODER_NOT_FOUND {
		return fmt.Errorf("ffmpeg: %s: %s: %w", what, buf[:n], hwenc.ErrUnsupported)
	}
	return fmt.Errorf("ffmpeg: %s: %s", what, buf[:n])
}

// encoderName is the libavcodec encoder used for each video codec.
var encoderName = map[hwenc.Codec]string{
	hwenc.H264:  "libx264",
	hwenc.H265:  "libx265",
	hwenc.MJPEG: "mjpeg",
	hwenc.MPEG4: "mpeg4",
}

// codecID maps a codec to its libavcodec id, for decoders.
func codecID(c hwenc.Codec) (C.int, bool) {
	switch c {
	case hwenc.H264:
		return C.AV_CODEC_ID_H264, true
	case hwenc.H265:
		return C.AV_CODEC_ID_HEVC, true
	case hwenc.MJPEG:
		return C.AV_CODEC_ID_MJPEG, true
	case hwenc.MPEG4:
		return C.AV_CODEC_ID_MPEG4, true
	case hwenc.AAC:
		return C.AV_CODEC_ID_AAC, true
	case hwenc.Opus:
		return C.AV_CODEC_ID_OPUS, true
	}
	return 0, false
}

// NewVideoEncoder opens an encoder for p.
func (Backend) NewVideoEncoder(p hwenc.VideoParams) (hwenc.VideoEncoder, error) {
	return NewVideoEncoder(p)
}

// NewVideoDecoder opens a decoder for c.
func (Backend) NewVideoDecoder(c hwenc.Codec) (hwenc.VideoDecoder, error) {
	return NewVideoDecoder(c)
}

// NewAudioEncoder opens an AAC or Opus encoder.
func (Backend) NewAudioEncoder(p hwenc.AudioParams) (hwenc.AudioEncoder, error) {
	return NewAudioEncoder(p)
}

// NewAudioDecoder opens an AAC or Opus decoder.
func (Backend) NewAudioDecoder(p hwenc.AudioParams) (hwenc.AudioDecoder, error) {
	return NewAudioDecoder(p)
}

// cHeapInUse is the bytes the C heap has handed out and not had back
// (malloc'ed plus mmap'ed blocks), for leak tests: unlike RSS it does not
// move with malloc's caching.
func cHeapInUse() int {
	m := C.mallinfo2()
	return int(m.uordblks + m.hblkhd)
}
