package soft

import (
	"errors"
	"fmt"
	"time"
)

// AudioCodec names a soft audio codec.
type AudioCodec int

// The soft audio codecs.
const (
	CodecPCMU AudioCodec = iota + 1 // G.711 µ-law
	CodecPCMA                       // G.711 A-law
	CodecG722                       // G.722 at 64 kbit/s: 16 kHz mono
	CodecG726                       // G.726 at 16…40 kbit/s: 8 kHz mono
)

func (c AudioCodec) String() string {
	switch c {
	case CodecPCMU:
		return "PCMU"
	case CodecPCMA:
		return "PCMA"
	case CodecG722:
		return "G722"
	case CodecG726:
		return "G726"
	}
	return fmt.Sprintf("AudioCodec(%d)", int(c))
}

// DefaultFrameDuration is the audio carried by one encoded frame (and one
// RTP packet) unless asked otherwise.
const DefaultFrameDuration = 20 * time.Millisecond

// ErrAudioConfig reports an AudioEncoderConfig the codec cannot honour.
var ErrAudioConfig = errors.New("soft: audio encoder: unsupported configuration")

// AudioEncoderConfig says what PCM goes in and what comes out.
type AudioEncoderConfig struct {
	Codec AudioCodec
	// InRate and InChannels describe the interleaved PCM given to Write.
	InRate, InChannels int
	// Rate and Channels are the output's; G.722 is always 16000 Hz mono
	// and G.726 8000 Hz mono, whatever is asked. Zero keeps the input's
	// (G.711).
	Rate, Channels int
	// Bitrate is G.726's, in bit/s (16000, 24000, 32000, 40000; default
	// 32000).
	Bitrate int
	// FrameDuration is the audio per encoded frame (default 20 ms).
	FrameDuration time.Duration
}

// AudioEncoder turns PCM as it arrives in any rate and channel count into
// frames of a soft codec: it mixes the channels, resamples, cuts frames of
// FrameDuration and encodes them. Once its buffers have grown to the
// largest input it allocates nothing. It is not safe for concurrent use.
type AudioEncoder struct {
	cfg     AudioEncoderConfig
	rs      *Resampler
	g722    *G722Encoder
	g726    *G726Encoder
	mix     []int16
	res     []int16
	pend    []int16 // one frame, filled up to len
	frameN  int     // samples (all channels) per frame
	out     []byte
	emitted int64 // output frames emitted so far
}

// NewAudioEncoder checks cfg, fills in its defaults and returns an encoder.
func NewAudioEncoder(cfg AudioEncoderConfig) (*AudioEncoder, error) {
	if cfg.InRate <= 0 || cfg.InChannels <= 0 || cfg.InChannels > 8 {
		return nil, fmt.Errorf("%w: input %d Hz × %d channels", ErrAudioConfig, cfg.InRate, cfg.InChannels)
	}
	if cfg.Rate == 0 {
		cfg.Rate = cfg.InRate
	}
	if cfg.Channels == 0 {
		cfg.Channels = cfg.InChannels
	}
	if cfg.FrameDuration == 0 {
		cfg.FrameDuration = DefaultFrameDuration
	}
	e := &AudioEncoder{}
	switch cfg.Codec {
	case CodecPCMU, CodecPCMA:
		if cfg.Channels > 8 {
			return nil, fmt.Errorf("%w: %d channels", ErrAudioConfig, cfg.Channels)
		}
	case CodecG722:
		cfg.Rate, cfg.Channels = 16000, 1
		e.g722 = NewG722Encoder()
	case CodecG726:
		cfg.Rate, cfg.Channels = 8000, 1
		if cfg.Bitrate == 0 {
			cfg.Bitrate = 32000
		}
		var err error
		if e.g726, err = NewG726Encoder(cfg.Bitrate); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: codec %v", ErrAudioConfig, cfg.Codec)
	}
	frames := int(time.Duration(cfg.Rate) * cfg.FrameDuration / time.Second)
	if frames <= 0 || time.Duration(frames)*time.Second != time.Duration(cfg.Rate)*cfg.FrameDuration ||
		cfg.FrameDuration > 200*time.Millisecond {
		return nil, fmt.Errorf("%w: %v frames at %d Hz", ErrAudioConfig, cfg.FrameDuration, cfg.Rate)
	}
	if (cfg.Codec == CodecG726 && frames%8 != 0) || (cfg.Codec == CodecG722 && frames%2 != 0) {
		return nil, fmt.Errorf("%w: %v frames do not fill whole %v octets", ErrAudioConfig, cfg.FrameDuration, cfg.Codec)
	}
	rs, err := NewResampler(cfg.InRate, cfg.Rate, cfg.Channels)
	if err != nil {
		return nil, err
	}
	e.cfg, e.rs = cfg, rs
	e.frameN = frames * cfg.Channels
	e.pend = make([]int16, 0, e.frameN)
	e.out = make([]byte, 0, e.frameN)
	return e, nil
}

// Config is the configuration in force, defaults filled in.
func (e *AudioEncoder) Config() AudioEncoderConfig { return e.cfg }

// FrameSamples is the number of sample frames (per channel) in one encoded
// frame.
func (e *AudioEncoder) FrameSamples() int { return e.frameN / e.cfg.Channels }

// Emitted is the number of output sample frames encoded so far.
func (e *AudioEncoder) Emitted() int64 { return e.emitted }

// Write takes interleaved PCM of InRate × InChannels and calls emit for
// every whole frame it completes, with the encoded bytes (valid only
// during the call) and the index, in output sample frames since the
// start, of the frame's first sample.
func (e *AudioEncoder) Write(pcm []int16, emit func(frame []byte, start int64) error) error {
	in := pcm
	if e.cfg.InChannels != e.cfg.Channels {
		e.mix = MixChannels(e.mix[:0], pcm, e.cfg.InChannels, e.cfg.Channels)
		in = e.mix
	}
	e.res = e.rs.Resample(e.res[:0], in)
	in = e.res
	for len(in) > 0 {
		k := min(len(in), e.frameN-len(e.pend))
		e.pend = append(e.pend, in[:k]...)
		in = in[k:]
		if len(e.pend) < e.frameN {
			break
		}
		out, err := e.encode(e.out[:0], e.pend)
		if err != nil {
			return err
		}
		e.pend = e.pend[:0]
		start := e.emitted
		e.emitted += int64(e.FrameSamples())
		if err := emit(out, start); err != nil {
			return err
		}
	}
	return nil
}

func (e *AudioEncoder) encode(dst []byte, pcm []int16) ([]byte, error) {
	switch e.cfg.Codec {
	case CodecPCMU:
		return EncodeMuLaw(dst, pcm), nil
	case CodecPCMA:
		return EncodeALaw(dst, pcm), nil
	case CodecG722:
		return e.g722.Encode(dst, pcm)
	default:
		return e.g726.Encode(dst, pcm)
	}
}
