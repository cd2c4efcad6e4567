package firmware

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"rtspcam/drivers/audio"
	"rtspcam/firmware/config"
	"rtspcam/firmware/paths"
	"rtspcam/firmware/source"
	"rtspcam/firmware/source/file"
	"rtspcam/firmware/source/mic"
	"rtspcam/hwenc"
	"rtspcam/hwenc/soft"
	"rtspcam/rtsp"
)

// Audio defaults for live devices, as the vendor's manual gives them:
// 8000 Hz, two channels (G.722 and G.726 are mono whatever is asked),
// G.711 µ-law since every NVR understands it, 20 ms per packet.
const (
	defaultAudioCodec    = config.AudioG711U
	defaultAudioRate     = 8000
	defaultAudioChannels = 2
)

// audioParams is what a reader asks of an audio device: the matching
// <output> node's <audio>, overridden by the URL parameters ae= (codec),
// sr= (sample rate), ch= (channels), ab= (bitrate, kbit/s) and ptime=
// (milliseconds per packet).
type audioParams struct {
	codec    string
	rate     int
	channels int
	bitrate  int // kbit/s
	ptime    time.Duration
}

func (p audioParams) key(device string) string {
	return fmt.Sprintf("%s|%s|%d|%d|%d|%d", device, p.codec, p.rate, p.channels, p.bitrate, p.ptime)
}

// audioRequest reads the encoding a request asks for; the error says
// which parameter is wrong.
func audioRequest(req *rtsp.Request, cfg *config.Config) (audioParams, error) {
	p := audioParams{codec: defaultAudioCodec, rate: defaultAudioRate, channels: defaultAudioChannels,
		ptime: soft.DefaultFrameDuration}
	if o := cfg.MatchOutput(req.Path); o != nil {
		if o.Audio.Codec != "" {
			p.codec = o.Audio.Codec
		}
		if o.Audio.SampleRate > 0 {
			p.rate = o.Audio.SampleRate
		}
		if o.Audio.Channels > 0 {
			p.channels = o.Audio.Channels
		}
		if o.Audio.Bitrate > 0 {
			p.bitrate = o.Audio.Bitrate
		}
	}
	q := req.Query
	if v := q.Get("ae"); v != "" {
		// "G726-32" names the bitrate too, as the RTP encoding name does.
		name, kbps, _ := strings.Cut(v, "-")
		c, ok := config.AudioCodec(name)
		if !ok || (kbps != "" && c != config.AudioG726) {
			return p, fmt.Errorf("ae=%q is not an audio codec", v)
		}
		p.codec = c
		if kbps != "" {
			n, err := strconv.Atoi(kbps)
			if err != nil {
				return p, fmt.Errorf("ae=%q: bad bitrate", v)
			}
			p.bitrate = n
		}
	}
	num := func(name string, lo, hi int, dst *int) error {
		v := q.Get(name)
		if v == "" {
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("%s=%q: want %d…%d", name, v, lo, hi)
		}
		*dst = n
		return nil
	}
	var ms int
	for _, e := range []error{num("sr", 8000, 48000, &p.rate), num("ch", 1, 2, &p.channels),
		num("ab", 16, 40, &p.bitrate), num("ptime", 5, 200, &ms)} {
		if e != nil {
			return p, e
		}
	}
	if ms > 0 {
		p.ptime = time.Duration(ms) * time.Millisecond
	}
	return p, nil
}

// softCodec maps a config codec to the soft encoder's; AAC and Opus need
// the FFmpeg build.
func softCodec(c string) (soft.AudioCodec, bool) {
	switch c {
	case config.AudioG711U:
		return soft.CodecPCMU, true
	case config.AudioG711A:
		return soft.CodecPCMA, true
	case config.AudioG722:
		return soft.CodecG722, true
	case config.AudioG726:
		return soft.CodecG726, true
	}
	return 0, false
}

// openAudio returns a reader's handle on the shared live source of an
// audiodevice, audiodeviceN or audiodevice=Name path in the encoding the
// request asks for.
func (a *App) openAudio(req *rtsp.Request, t paths.Target, cfg *config.Config) (rtsp.Media, error) {
	p, err := audioRequest(req, cfg)
	if err != nil {
		a.log.Info("bad audio parameters", "path", req.Path, "err", err)
		return nil, &rtsp.StatusError{Code: 400, Reason: "Bad Request (" + err.Error() + ")"}
	}
	codec, isSoft := softCodec(p.codec)
	var compressed *mic.Compressed
	if !isSoft {
		compressed = a.compressedAudio(p)
		if compressed == nil {
			a.log.Warn("audio codec not supported", "path", req.Path, "codec", p.codec)
			return nil, &rtsp.StatusError{Code: 415, Reason: "Unsupported Media Type (" + p.codec + ")"}
		}
	}
	devs, err := a.audio.Sources()
	if err != nil {
		a.log.Warn("no sound system to capture from", "path", req.Path, "err", err)
		return nil, rtsp.ErrNotFound
	}
	dev, err := audio.Find(devs, t.Arg)
	if err != nil {
		a.log.Info("audio device not found", "path", req.Path, "err", err)
		return nil, rtsp.ErrNotFound
	}
	key := p.key(dev.Name)
	a.micsMu.Lock()
	defer a.micsMu.Unlock()
	if l := a.mics[key]; l != nil {
		return l.Open(), nil
	}
	capture := dev.Format
	if capture.Rate <= 0 || capture.Channels <= 0 {
		capture = audio.Format{Rate: 48000, Channels: 2}
	}
	capture.Channels = min(capture.Channels, 2)
	src, err := mic.New(a.audio, mic.Options{Device: dev.Name, Capture: capture, Encoder: soft.AudioEncoderConfig{
		Codec: codec, Rate: p.rate, Channels: p.channels, Bitrate: p.bitrate * 1000, FrameDuration: p.ptime},
		Compressed: compressed})
	if err != nil {
		a.log.Info("cannot encode audio as asked", "path", req.Path, "err", err)
		if hwenc.IsUnsupported(err) {
			return nil, &rtsp.StatusError{Code: 415, Reason: "Unsupported Media Type (" + p.codec + " needs the FFmpeg build)"}
		}
		if errors.Is(err, soft.ErrAudioConfig) || errors.Is(err, soft.ErrSampleRate) {
			return nil, &rtsp.StatusError{Code: 400, Reason: "Bad Request (" + err.Error() + ")"}
		}
		return nil, &rtsp.StatusError{Code: 400, Reason: "Bad Request"}
	}
	l := source.NewLive(req.Path, src, a.log)
	if a.mics == nil {
		a.mics = make(map[string]*source.Live)
	}
	a.mics[key] = l
	c := src.Config()
	a.log.Info("audio source ready", "path", req.Path, "device", dev.Name, "codec", p.codec,
		"rate", c.Rate, "channels", c.Channels, "capture_rate", capture.Rate, "capture_channels", capture.Channels)
	return l.Open(), nil
}

// compressedAudio is the hwenc encoding of an AAC or Opus request (Opus
// always runs at 48 kHz), or nil for another codec.
func (a *App) compressedAudio(p audioParams) *mic.Compressed {
	params := hwenc.AudioParams{SampleRate: p.rate, Channels: p.channels, Bitrate: p.bitrate}
	switch p.codec {
	case config.AudioAAC:
		params.Codec = hwenc.AAC
	case config.AudioOpus:
		params.Codec, params.SampleRate = hwenc.Opus, 48000
	default:
		return nil
	}
	return &mic.Compressed{Params: params, Open: func(p hwenc.AudioParams) (hwenc.AudioEncoder, error) {
		enc, _, err := a.encoders.AudioEncoder(p)
		return enc, err
	}}
}

// closeMics stops every audio device source.
func (a *App) closeMics() {
	a.micsMu.Lock()
	ls := a.mics
	a.mics = nil
	a.micsMu.Unlock()
	for _, l := range ls {
		l.Close()
	}
}

// fileAudio is the transcoding a file request asks of its audio through
// ae=/sr=/ch=/ab=/ptime= or its <output> node's <audio>, or nil for none.
// G.711 decodes in pure Go, AAC and Opus through the FFmpeg decoder; the
// audio is encoded again by the soft codecs (G.711, G.722, G.726, other
// rates and channel counts) or the FFmpeg encoders (AAC, Opus); a file
// whose audio already matches plays untouched. What the URL asks and cannot be done is a 400 or 415; what
// only the config asks is logged and the file plays as it is.
func (a *App) fileAudio(req *rtsp.Request, cfg *config.Config) (func(file.Demuxer) (file.Demuxer, error), error) {
	q := req.Query
	byURL := q.Get("ae") != "" || q.Get("sr") != "" || q.Get("ch") != "" || q.Get("ab") != "" || q.Get("ptime") != ""
	o := cfg.MatchOutput(req.Path)
	byConfig := o != nil && o.Audio.Codec != ""
	if !byURL && !byConfig {
		return nil, nil
	}
	p, err := audioRequest(req, cfg)
	if err != nil {
		a.log.Info("bad audio parameters", "path", req.Path, "err", err)
		return nil, &rtsp.StatusError{Code: 400, Reason: "Bad Request (" + err.Error() + ")"}
	}
	if q.Get("ch") == "" && (o == nil || o.Audio.Channels == 0) {
		p.channels = 0 // keep the file's
	}
	if q.Get("sr") == "" && (o == nil || o.Audio.SampleRate == 0) {
		p.rate = 0
	}
	var want source.AudioTarget
	if codec, ok := softCodec(p.codec); ok {
		want.Soft = soft.AudioEncoderConfig{Codec: codec, Rate: p.rate, Channels: p.channels, Bitrate: p.bitrate * 1000,
			FrameDuration: p.ptime}
	} else if c := a.compressedAudio(p); c != nil {
		want.Coded = hwenc.AudioParams{Codec: c.Params.Codec, SampleRate: p.rate, Channels: p.channels, Bitrate: p.bitrate}
	} else {
		if byURL {
			a.log.Info("no encoder for the file audio asked", "path", req.Path, "codec", p.codec)
			return nil, &rtsp.StatusError{Code: 415, Reason: "Unsupported Media Type (" + p.codec + ")"}
		}
		return nil, nil
	}
	return func(d file.Demuxer) (file.Demuxer, error) {
		t, err := source.TranscodeAudioWith(d, want, a.encoders)
		if err != nil && !byURL {
			a.log.Warn("file audio not transcoded as the output node asks", "path", req.Path, "err", err)
			return d, nil
		}
		if err == nil && t != d {
			a.log.Info("file audio transcoded", "path", req.Path, "codec", p.codec)
		}
		return t, err
	}, nil
}
