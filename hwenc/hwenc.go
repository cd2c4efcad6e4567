// Package hwenc is the contract between capture and the encoders: the
// VideoEncoder, VideoDecoder, AudioEncoder and AudioDecoder interfaces, the
// Backend that makes them (V4L2 mem2mem hardware, FFmpeg through cgo, the
// pure-Go soft codecs) and the Selector that picks the first backend able
// to serve a request. Backends live in sub-packages and plug in through
// Backend, so this package needs neither cgo nor a device.
package hwenc

import (
	"errors"
	"fmt"
	"image"
	"time"
)

// Codec names a video or audio coding.
type Codec string

// The codings the backends know.
const (
	H264  Codec = "H264"
	H265  Codec = "H265"
	MJPEG Codec = "MJPEG"
	MPEG4 Codec = "MPEG4" // MPEG-4 Part 2 visual
	AAC   Codec = "AAC"
	Opus  Codec = "OPUS"
)

// ErrUnsupported says a backend cannot do what was asked (codec, size,
// direction); the Selector then tries the next one.
var ErrUnsupported = errors.New("hwenc: not supported by this backend")

// ErrNotInBuild says a backend was left out of this build (no cgo, no
// build tag); it wraps ErrUnsupported.
var ErrNotInBuild = fmt.Errorf("%w: not in this build", ErrUnsupported)

// VideoParams is what a video encoder is asked to produce. Zero Bitrate
// lets the backend choose; zero GOP means one key frame per second.
type VideoParams struct {
	Codec         Codec
	Width, Height int
	FPS           float64
	Bitrate       int // kbit/s
	GOP           int // frames between key frames
	Threads       int // encoder threads; 0 means 1
}

// Validate reports a request no backend could meet.
func (p VideoParams) Validate() error {
	switch p.Codec {
	case H264, H265, MJPEG, MPEG4:
	default:
		return fmt.Errorf("hwenc: %q is not a video codec", p.Codec)
	}
	if p.Width <= 0 || p.Height <= 0 || p.Width%2 != 0 || p.Height%2 != 0 || p.Width > 8192 || p.Height > 8192 {
		return fmt.Errorf("hwenc: size %dx%d: want even sizes up to 8192", p.Width, p.Height)
	}
	if p.FPS <= 0 || p.FPS > 240 {
		return fmt.Errorf("hwenc: %g fps: want 0 < fps <= 240", p.FPS)
	}
	if p.Bitrate < 0 || p.GOP < 0 || p.Threads < 0 {
		return errors.New("hwenc: negative bitrate, GOP or threads")
	}
	return nil
}

// KeyInterval is GOP, or about one second of frames when GOP is 0.
func (p VideoParams) KeyInterval() int {
	if p.GOP > 0 {
		return p.GOP
	}
	return max(1, int(p.FPS+0.5))
}

// VideoEncoder turns raw pictures into access units.
//
// Encode accepts *image.YCbCr (any subsampling), *image.RGBA and *Raw; a
// picture of another size than the encoder's is scaled when the backend
// can, else ErrUnsupported. The access unit is, as rtsp/payload expects,
// the NAL units without start codes (H.264, H.265; a key frame carries its
// parameter sets), one VOP (MPEG-4, the VOL before key frames) or one
// JPEG file (MJPEG). au may be empty while the encoder fills its delay.
// The slices are the encoder's and valid until the next call.
type VideoEncoder interface {
	Encode(img image.Image, pts time.Duration, forceKey bool) (au [][]byte, key bool, err error)
	// Params is what the encoder produces.
	Params() VideoParams
	// Header is the out-of-band configuration for the SDP: SPS and PPS
	// (H.264), VPS, SPS and PPS (H.265), the VOS/VO/VOL headers
	// (MPEG-4); nil for MJPEG.
	Header() [][]byte
	Close() error
}

// VideoDecoder turns access units (as VideoEncoder emits them) back into
// pictures. The picture is the decoder's and valid until the next call;
// it is nil while the decoder waits for a key frame or fills its delay.
type VideoDecoder interface {
	Decode(au [][]byte) (*image.YCbCr, error)
	Close() error
}

// AudioParams is what an audio encoder produces, or a decoder reads.
type AudioParams struct {
	Codec      Codec
	SampleRate int
	Channels   int
	Bitrate    int    // kbit/s; 0 lets the backend choose
	Config     []byte // decoder only: AAC AudioSpecificConfig
}

// AudioEncoder turns interleaved signed 16-bit PCM into packets (raw AAC
// frames without ADTS; Opus packets). It keeps what does not fill a whole
// frame for the next call. The packets are the encoder's and valid until
// the next call.
type AudioEncoder interface {
	Encode(pcm []int16) (packets [][]byte, err error)
	// FrameSize is the number of samples per channel in one packet.
	FrameSize() int
	// Config is the AAC AudioSpecificConfig (nil for Opus).
	Config() []byte
	Close() error
}

// AudioDecoder turns one packet into interleaved signed 16-bit PCM, valid
// until the next call.
type AudioDecoder interface {
	Decode(packet []byte) ([]int16, error)
	Close() error
}

// Backend makes encoders and decoders; each method returns an error
// wrapping ErrUnsupported for what it cannot do.
type Backend interface {
	Name() string
	NewVideoEncoder(p VideoParams) (VideoEncoder, error)
	NewVideoDecoder(c Codec) (VideoDecoder, error)
	NewAudioEncoder(p AudioParams) (AudioEncoder, error)
	NewAudioDecoder(p AudioParams) (AudioDecoder, error)
}
