package source

import (
	"errors"
	"fmt"
	"time"

	"rtspcam/firmware/source/file"
	"rtspcam/hwenc/soft"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/g711"
	"rtspcam/rtsp/payload/g722"
	"rtspcam/rtsp/payload/g726"
)

// ErrNoAudioTranscode reports a file whose audio cannot be re-encoded in
// pure Go (only G.711 decodes here; AAC needs the FFmpeg decoder).
var ErrNoAudioTranscode = errors.New("source: no pure-Go decoder for the file's audio")

// audioTranscoder is a file.Demuxer whose G.711 audio track comes out
// re-encoded by a soft.AudioEncoder (another law, G.722, G.726, another
// rate or channel count); the other tracks pass through.
type audioTranscoder struct {
	file.Demuxer
	track   int
	mulaw   bool
	inCh    int
	want    soft.AudioEncoderConfig // as asked, input filled in
	enc     *soft.AudioEncoder
	tracks  []payload.Format
	pcm     []int16
	queue   []queued // frames encoded, not yet returned
	free    [][]byte // their buffers, for reuse
	started bool
	base    time.Duration // PTS of output sample 0 since the last reset
	au      [1][]byte
}

type queued struct {
	buf   []byte
	start int64
}

// TranscodeAudio wraps d so its first G.711 audio track comes out as want
// (the Codec, Rate, Channels, Bitrate and FrameDuration of it; the input
// is the track's). It returns d itself when the track already is what is
// asked, and ErrNoAudioTranscode when the file's audio is not G.711.
func TranscodeAudio(d file.Demuxer, want soft.AudioEncoderConfig) (file.Demuxer, error) {
	tracks := d.Tracks()
	for i, f := range tracks {
		if f.MediaType() != payload.Audio {
			continue
		}
		g, ok := f.(*g711.Format)
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrNoAudioTranscode, f.RTPMap())
		}
		t := &audioTranscoder{Demuxer: d, track: i, mulaw: g.MuLaw}
		want.InRate = f.ClockRate()
		want.InChannels = 1
		if g.Channels > 0 {
			want.InChannels = g.Channels
		}
		t.inCh = want.InChannels
		enc, err := soft.NewAudioEncoder(want)
		if err != nil {
			return nil, err
		}
		cfg := enc.Config()
		if (cfg.Codec == soft.CodecPCMU) == g.MuLaw && (cfg.Codec == soft.CodecPCMU || cfg.Codec == soft.CodecPCMA) &&
			cfg.Rate == want.InRate && cfg.Channels == want.InChannels {
			return d, nil // already what is asked: untouched
		}
		t.want, t.enc = want, enc
		var out payload.Format
		switch cfg.Codec {
		case soft.CodecPCMU, soft.CodecPCMA:
			out = &g711.Format{MuLaw: cfg.Codec == soft.CodecPCMU, SampleRate: cfg.Rate, Channels: cfg.Channels}
		case soft.CodecG722:
			out = &g722.Format{}
		case soft.CodecG726:
			out = &g726.Format{Bitrate: cfg.Bitrate}
		}
		t.tracks = append([]payload.Format(nil), tracks...)
		t.tracks[i] = out
		return t, nil
	}
	return d, nil
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
			pts := t.base + time.Duration(q.start)*time.Second/time.Duration(t.enc.Config().Rate)
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
			if t.mulaw {
				t.pcm = soft.DecodeMuLaw(t.pcm[:0], b)
			} else {
				t.pcm = soft.DecodeALaw(t.pcm[:0], b)
			}
			t.pcm = t.pcm[:len(t.pcm)/t.inCh*t.inCh]
			if err := t.enc.Write(t.pcm, t.push); err != nil {
				return file.Sample{}, err
			}
		}
	}
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
	enc, eerr := soft.NewAudioEncoder(t.want)
	if eerr != nil {
		return pos, eerr
	}
	t.enc, t.started = enc, false
	for _, q := range t.queue {
		t.free = append(t.free, q.buf)
	}
	t.queue = t.queue[:0]
	return pos, err
}
