// Package mic is a live audio source: it captures PCM from a sound-system
// device and hands 20 ms frames of a soft codec to a stream, the capture
// clock driving the RTP timestamps and the sender reports' NTP mapping.
package mic

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"rtspcam/drivers/audio"
	"rtspcam/firmware/source"
	"rtspcam/hwenc"
	"rtspcam/hwenc/soft"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/aac"
	"rtspcam/rtsp/payload/g711"
	"rtspcam/rtsp/payload/g722"
	"rtspcam/rtsp/payload/g726"
	"rtspcam/rtsp/payload/opus"
)

// Options say what to capture and how to encode it.
type Options struct {
	// Device is the system's name of the source ("" for its default).
	Device string
	// Capture is the format asked of the sound system: the device's own
	// is best, the encoder converting from it.
	Capture audio.Format
	// Encoder is the codec, output rate and channels, G.726 bitrate and
	// frame duration; InRate and InChannels are taken from Capture.
	// Ignored when Compressed is set.
	Encoder soft.AudioEncoderConfig
	// Compressed, when set, encodes with a hwenc backend (AAC, Opus).
	Compressed *Compressed
}

// A sound server delivers captured blocks in bursts, late by a varying
// delay, while the samples themselves are back to back: the timestamps
// count samples, and the capture time of sample 0 is estimated as the
// earliest (least delayed) arrival minus the samples before it, renewed
// every originWindow so clock drift does not accumulate. Only a capture
// that runs gapAfter behind the count (a suspended device, lost data) is
// taken as a real gap, and the timestamps jump over it.
const (
	gapAfter     = 1500 * time.Millisecond
	originWindow = 5 * time.Second
)

// Source is one device captured into one encoding.
type Source struct {
	sys     audio.System
	opt     Options
	cfg     soft.AudioEncoderConfig // with defaults
	formats []payload.Format

	latMu sync.Mutex
	lat   []time.Duration // ring of capture-to-write latencies
	latN  int
}

// capturedAtWriter is a source.Writer that takes the wall-clock time an
// access unit's first sample was captured; *stream.Stream is one.
type capturedAtWriter interface {
	WriteAUAt(track int, pts time.Duration, at time.Time, au [][]byte, key bool) error
}

// New checks the options and returns a source.
func New(sys audio.System, opt Options) (*Source, error) {
	opt.Encoder.InRate, opt.Encoder.InChannels = opt.Capture.Rate, opt.Capture.Channels
	if c := opt.Compressed; c != nil {
		// Open one encoder now: the SDP needs AAC's AudioSpecificConfig,
		// and a build without the backend fails here, before any reader.
		pe, err := newPacketEncoder(c, opt.Capture.Rate, opt.Capture.Channels)
		if err != nil {
			return nil, err
		}
		defer pe.Close()
		var f payload.Format
		switch c.Params.Codec {
		case hwenc.AAC:
			f = &aac.Format{Config: slices.Clone(pe.enc.Config()), SampleRate: c.Params.SampleRate, Channels: c.Params.Channels}
		case hwenc.Opus:
			f = &opus.Format{Channels: c.Params.Channels}
		default:
			return nil, fmt.Errorf("mic: no RTP format for %s", c.Params.Codec)
		}
		cfg := soft.AudioEncoderConfig{Rate: c.Params.SampleRate, Channels: c.Params.Channels,
			InRate: opt.Capture.Rate, InChannels: opt.Capture.Channels}
		return &Source{sys: sys, opt: opt, cfg: cfg, formats: []payload.Format{f}, lat: make([]time.Duration, 1024)}, nil
	}
	enc, err := soft.NewAudioEncoder(opt.Encoder)
	if err != nil {
		return nil, err
	}
	cfg := enc.Config()
	var f payload.Format
	switch cfg.Codec {
	case soft.CodecPCMU, soft.CodecPCMA:
		f = &g711.Format{MuLaw: cfg.Codec == soft.CodecPCMU, SampleRate: cfg.Rate, Channels: cfg.Channels}
	case soft.CodecG722:
		f = &g722.Format{}
	case soft.CodecG726:
		f = &g726.Format{Bitrate: cfg.Bitrate}
	}
	return &Source{sys: sys, opt: opt, cfg: cfg, formats: []payload.Format{f}, lat: make([]time.Duration, 1024)}, nil
}

// Formats is the one audio track.
func (s *Source) Formats() []payload.Format { return s.formats }

// Config is the encoding in force, defaults filled in (for a Compressed
// source only the rates and channel counts).
func (s *Source) Config() soft.AudioEncoderConfig { return s.cfg }

// Run captures until ctx ends (nil) or the device or sound system fail.
func (s *Source) Run(ctx context.Context, w source.Writer) error {
	var enc frameEncoder
	if c := s.opt.Compressed; c != nil {
		pe, err := newPacketEncoder(c, s.opt.Capture.Rate, s.opt.Capture.Channels)
		if err != nil {
			return err
		}
		defer pe.Close()
		enc = pe
	} else {
		se, err := soft.NewAudioEncoder(s.cfg)
		if err != nil {
			return err
		}
		enc = se
	}
	atw, _ := w.(capturedAtWriter)
	rate := time.Duration(s.cfg.Rate)
	var (
		started  bool
		origin   time.Time // estimated capture time of input frame 0 (and of pts 0 minus skew)
		winMin   time.Time // the earliest estimate in the current window
		winEnd   time.Time
		inFrames int64
		skew     time.Duration // pts added by gaps
		werr     error
		au       [1][]byte
		frameDur = time.Duration(enc.FrameSamples()) * time.Second / rate
		inRate   = time.Duration(s.opt.Capture.Rate)
	)
	emit := func(frame []byte, start int64) error {
		pts := time.Duration(start)*time.Second/rate + skew
		at := origin.Add(pts)
		au[0] = frame
		var err error
		if atw != nil {
			err = atw.WriteAUAt(0, pts, at, au[:], true)
		} else {
			err = w.WriteAU(0, pts, au[:], true)
		}
		s.noteLatency(time.Since(at.Add(frameDur)))
		return err
	}
	capErr := s.sys.Capture(ctx, s.opt.Device, s.opt.Capture, func(pcm []int16, at time.Time) {
		if werr != nil {
			return
		}
		// What this block says sample 0 was captured at.
		est := at.Add(-time.Duration(inFrames)*time.Second/inRate - skew)
		switch {
		case !started:
			started, origin, winMin, winEnd = true, est, est, at.Add(originWindow)
		case est.Sub(origin) > gapAfter:
			skew += est.Sub(origin)
			winMin, winEnd = origin, at.Add(originWindow)
		default:
			if est.Before(winMin) {
				winMin = est
			}
			if est.Before(origin) {
				origin = est
			}
			if at.After(winEnd) {
				origin, winMin, winEnd = winMin, est, at.Add(originWindow)
			}
		}
		inFrames += int64(len(pcm) / s.opt.Capture.Channels)
		werr = enc.Write(pcm, emit)
	})
	if werr != nil && !errors.Is(werr, context.Canceled) {
		return fmt.Errorf("mic: write: %w", werr)
	}
	if capErr != nil {
		return fmt.Errorf("mic: %w", capErr)
	}
	return nil
}

func (s *Source) noteLatency(d time.Duration) {
	s.latMu.Lock()
	s.lat[s.latN%len(s.lat)] = d
	s.latN++
	s.latMu.Unlock()
}

// Latency returns the median and 99th percentile of the time from the
// capture of a frame's last sample to its hand-over to the stream, over
// the last 1024 frames, and how many frames that is.
func (s *Source) Latency() (p50, p99 time.Duration, n int) {
	s.latMu.Lock()
	n = min(s.latN, len(s.lat))
	l := slices.Clone(s.lat[:n])
	s.latMu.Unlock()
	if n == 0 {
		return 0, 0, 0
	}
	slices.Sort(l)
	return l[n/2], l[(n*99)/100], n
}
