package source

import (
	"errors"
	"fmt"
	"time"

	"rtspcam/firmware/source/file"
	"rtspcam/hwenc"
	"rtspcam/hwenc/soft"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/aac"
	"rtspcam/rtsp/payload/g711"
	"rtspcam/rtsp/payload/g722"
	"rtspcam/rtsp/payload/g726"
	"rtspcam/rtsp/payload/opus"
)

// ErrNoAudioTranscode reports a file whose audio cannot be decoded in this
// build (G.711 decodes in pure Go; AAC and Opus need the FFmpeg decoder).
var ErrNoAudioTranscode = errors.New("source: no decoder for the file's audio in this build")

// AudioTarget is what a file's audio should become: a soft codec
// (Soft.Codec set: G.711, G.722, G.726) or a compressed one (Coded.Codec
// set: AAC, Opus, through an hwenc encoder). Zero rates and channel
// counts keep the file's.
type AudioTarget struct {
	Soft  soft.AudioEncoderConfig
	Coded hwenc.AudioParams
}

// audioTranscoder is a file.Demuxer whose audio track comes out decoded
// (G.711 in pure Go, AAC or Opus through an hwenc decoder) and encoded
// again (a soft.AudioEncoder, or an hwenc AAC/Opus encoder behind channel
// mixing and resampling); the other tracks pass through.
type audioTranscoder struct {
	file.Demuxer
	track   int
	inCh    int
	inRate  int
	decode  func(dst []int16, b []byte) ([]int16, error)
	closeIn func()
	target  AudioTarget // as asked, input filled in
	sel     *hwenc.Selector
	enc     *soft.AudioEncoder // soft output
	coded   hwenc.AudioEncoder // AAC/Opus output
	rs      *soft.Resampler    // in front of coded
	outRate int
	outCh   int
	emitted int64 // coded: output sample frames so far
	mix     []int16
	res     []int16
	tracks  []payload.Format
	pcm     []int16
	queue   []queued // frames encoded, not yet returned
	free    [][]byte // their buffers, for reuse
	started bool
	base    time.Duration // PTS of output sample 0 since the last reset
	au      [1][]byte
	// EncName and DecName are the hwenc backends used ("" for the soft
	// codecs), for the log.
	EncName, DecName string
}

type queued struct {
	buf   []byte
	start int64
}

// TranscodeAudio wraps d so its first audio track, G.711, comes out as
// want (the Codec, Rate, Channels, Bitrate and FrameDuration of it; the
// input is the track's). It returns d itself when the track already is
// what is asked, and ErrNoAudioTranscode when the file's audio is not
// G.711.
func TranscodeAudio(d file.Demuxer, want soft.AudioEncoderConfig) (file.Demuxer, error) {
	return TranscodeAudioWith(d, AudioTarget{Soft: want}, nil)
}

// TranscodeAudioWith wraps d so its first audio track comes out as want.
// sel gives the AAC and Opus decoders and encoders (nil: none). It
// returns d itself when the track already is what is asked (untouched),
// ErrNoAudioTranscode (wrapping hwenc.ErrUnsupported) when no decoder for
// the file's audio is at hand, an error wrapping hwenc.ErrUnsupported
// when no encoder for want is.
func TranscodeAudioWith(d file.Demuxer, want AudioTarget, sel *hwenc.Selector) (file.Demuxer, error) {
	tracks := d.Tracks()
	for i, f := range tracks {
		if f.MediaType() != payload.Audio {
			continue
		}
		t := &audioTranscoder{Demuxer: d, track: i, sel: sel}
		var inCodec hwenc.Codec
		var mulaw bool
		switch f := f.(type) {
		case *g711.Format:
			t.inRate, t.inCh, mulaw = f.ClockRate(), max(1, f.Channels), f.MuLaw
		case *aac.Format:
			inCodec, t.inRate, t.inCh = hwenc.AAC, f.SampleRate, f.Channels
		case *opus.Format:
			inCodec, t.inRate, t.inCh = hwenc.Opus, 48000, max(1, f.Channels)
		default:
			return nil, fmt.Errorf("%w: %s", ErrNoAudioTranscode, f.RTPMap())
		}
		if t.untouched(want, inCodec, mulaw) {
			return d, nil
		}
		if err := t.openDecoder(f, inCodec, mulaw); err != nil {
			return nil, err
		}
		out, err := t.openEncoder(want, inCodec)
		if err != nil {
			t.closeIn()
			return nil, err
		}
		t.tracks = append([]payload.Format(nil), tracks...)
		t.tracks[i] = out
		return t, nil
	}
	return d, nil
}

// untouched tells whether the track (G.711 of law mulaw when inCodec is
// empty) already is what want asks.
func (t *audioTranscoder) untouched(want AudioTarget, inCodec hwenc.Codec, mulaw bool) bool {
	same := func(rate, ch int) bool {
		return (rate == 0 || rate == t.inRate) && (ch == 0 || ch == t.inCh)
	}
	if want.Soft.Codec != 0 {
		c := want.Soft.Codec
		return inCodec == "" && (c == soft.CodecPCMU || c == soft.CodecPCMA) && (c == soft.CodecPCMU) == mulaw &&
			same(want.Soft.Rate, want.Soft.Channels)
	}
	return inCodec == want.Coded.Codec && want.Coded.Bitrate == 0 && same(want.Coded.SampleRate, want.Coded.Channels)
}

// openDecoder sets t.decode for the track's coding.
func (t *audioTranscoder) openDecoder(f payload.Format, inCodec hwenc.Codec, mulaw bool) error {
	if inCodec == "" {
		t.closeIn = func() {}
		if mulaw {
			t.decode = func(dst []int16, b []byte) ([]int16, error) { return soft.DecodeMuLaw(dst, b), nil }
		} else {
			t.decode = func(dst []int16, b []byte) ([]int16, error) { return soft.DecodeALaw(dst, b), nil }
		}
		return nil
	}
	if t.sel == nil {
		return fmt.Errorf("%w: %s (%w)", ErrNoAudioTranscode, inCodec, hwenc.ErrUnsupported)
	}
	p := hwenc.AudioParams{Codec: inCodec, SampleRate: t.inRate, Channels: t.inCh}
	if a, ok := f.(*aac.Format); ok {
		p.Config = a.Config
	}
	dec, name, err := t.sel.AudioDecoder(p)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNoAudioTranscode, err)
	}
	t.DecName = name
	t.closeIn = func() { dec.Close() }
	t.decode = func(dst []int16, b []byte) ([]int16, error) {
		pcm, err := dec.Decode(b)
		return append(dst, pcm...), err
	}
	return nil
}

// openEncoder opens the encoder for want and returns the track's new
// format.
func (t *audioTranscoder) openEncoder(want AudioTarget, inCodec hwenc.Codec) (payload.Format, error) {
	if want.Soft.Codec != 0 {
		if c := want.Soft.Codec; inCodec != "" && (c == soft.CodecPCMU || c == soft.CodecPCMA) {
			// From AAC or Opus, G.711 is what NVRs expect of it unless
			// asked otherwise: 8000 Hz mono (static payload types 0, 8).
			if want.Soft.Rate == 0 {
				want.Soft.Rate = 8000
			}
			if want.Soft.Channels == 0 {
				want.Soft.Channels = 1
			}
		}
		want.Soft.InRate, want.Soft.InChannels = t.inRate, t.inCh
		enc, err := soft.NewAudioEncoder(want.Soft)
		if err != nil {
			return nil, err
		}
		t.target, t.enc = want, enc
		cfg := enc.Config()
		t.outRate = cfg.Rate
		switch cfg.Codec {
		case soft.CodecPCMU, soft.CodecPCMA:
			return &g711.Format{MuLaw: cfg.Codec == soft.CodecPCMU, SampleRate: cfg.Rate, Channels: cfg.Channels}, nil
		case soft.CodecG722:
			return &g722.Format{}, nil
		default:
			return &g726.Format{Bitrate: cfg.Bitrate}, nil
		}
	}
	p := want.Coded
	if p.SampleRate == 0 {
		p.SampleRate = t.inRate
	}
	if p.Channels == 0 {
		p.Channels = min(t.inCh, 2)
	}
	if p.Codec == hwenc.Opus {
		p.SampleRate = 48000
	}
	if t.sel == nil {
		return nil, fmt.Errorf("source: encode %s: %w", p.Codec, hwenc.ErrUnsupported)
	}
	enc, name, err := t.sel.AudioEncoder(p)
	if err != nil {
		return nil, err
	}
	rs, err := soft.NewResampler(t.inRate, p.SampleRate, p.Channels)
	if err != nil {
		enc.Close()
		return nil, err
	}
	want.Coded = p
	t.target, t.coded, t.rs, t.EncName = want, enc, rs, name
	t.outRate, t.outCh = p.SampleRate, p.Channels
	if p.Codec == hwenc.Opus {
		return &opus.Format{Channels: p.Channels}, nil
	}
	return aac.FormatFromConfig(enc.Config())
}

// Tracks has the audio track's new format.
func (t *audioTranscoder) Tracks() []payload.Format { return t.tracks }

// ReadSample returns the next sample, re-encoding the audio track's.
func (t *audioTranscoder) ReadSample() (file.Sample, error) {
	for {
		if len(t.queue) > 0 {
			q := t.queue[0]
			copy(t.queue, t.queue[1:])
			t.queue = t.queue[:len(t.queue)-1]
			t.free = append(t.free, q.buf)
			pts := t.base + time.Duration(q.start)*time.Second/time.Duration(t.outRate)
			t.au[0] = q.buf
			return file.Sample{Track: t.track, PTS: pts, DTS: pts, Key: true, AU: t.au[:]}, nil
		}
		s, err := t.Demuxer.ReadSample()
		if err != nil || s.Track != t.track {
			return s, err
		}
		if !t.started {
			t.started, t.base = true, s.PTS
		}
		for _, b := range s.AU {
			t.pcm, err = t.decode(t.pcm[:0], b)
			if err != nil {
				continue // a damaged frame costs that frame
			}
			t.pcm = t.pcm[:len(t.pcm)/t.inCh*t.inCh]
			if err := t.encode(t.pcm); err != nil {
				return file.Sample{}, err
			}
		}
	}
}

// encode hands PCM of the input's rate and channels to the encoder.
func (t *audioTranscoder) encode(pcm []int16) error {
	if t.enc != nil {
		return t.enc.Write(pcm, t.push)
	}
	in := pcm
	if t.inCh != t.outCh {
		t.mix = soft.MixChannels(t.mix[:0], pcm, t.inCh, t.outCh)
		in = t.mix
	}
	t.res = t.rs.Resample(t.res[:0], in)
	pkts, err := t.coded.Encode(t.res)
	if err != nil {
		return fmt.Errorf("source: encode %s: %w", t.target.Coded.Codec, err)
	}
	for _, p := range pkts {
		t.push(p, t.emitted)
		t.emitted += int64(t.coded.FrameSize())
	}
	return nil
}

// push queues a copy of an encoded frame (the encoder reuses its buffer).
func (t *audioTranscoder) push(frame []byte, start int64) error {
	var buf []byte
	if n := len(t.free); n > 0 {
		buf, t.free = t.free[n-1][:0], t.free[:n-1]
	}
	t.queue = append(t.queue, queued{buf: append(buf, frame...), start: start})
	return nil
}

// Seek restarts the encoder at the new position.
func (t *audioTranscoder) Seek(at time.Duration) (time.Duration, error) {
	pos, err := t.Demuxer.Seek(at)
	if t.enc != nil {
		enc, eerr := soft.NewAudioEncoder(t.target.Soft)
		if eerr != nil {
			return pos, eerr
		}
		t.enc = enc
	} else {
		enc, _, eerr := t.sel.AudioEncoder(t.target.Coded)
		if eerr != nil {
			return pos, eerr
		}
		t.coded.Close()
		t.coded, t.emitted = enc, 0
		t.rs.Reset()
	}
	t.started = false
	for _, q := range t.queue {
		t.free = append(t.free, q.buf)
	}
	t.queue = t.queue[:0]
	return pos, err
}

// Close frees the codecs and the file.
func (t *audioTranscoder) Close() error {
	t.closeIn()
	if t.coded != nil {
		t.coded.Close()
	}
	return t.Demuxer.Close()
}
