package firmware

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"rtspcam/drivers/x11"
	"rtspcam/firmware/config"
	"rtspcam/firmware/paths"
	"rtspcam/firmware/source"
	"rtspcam/firmware/source/screen"
	"rtspcam/firmware/source/testpattern"
	"rtspcam/hwenc"
	"rtspcam/hwenc/ffmpeg"
	"rtspcam/rtsp"
)

// transcodedLive is one shared transcoded stream and what it holds.
type transcodedLive struct {
	live  *source.Live
	tr    *transcoder
	extra func() // frees the source's own resources (a display connection)
}

func (l *transcodedLive) close() {
	l.live.Close()
	l.tr.close()
	if l.extra != nil {
		l.extra()
	}
}

// newEncoderSelector lists the encoder backends in the order they are
// tried: hardware (V4L2 mem2mem, when a board has one), FFmpeg, pure Go.
func newEncoderSelector(log *slog.Logger) *hwenc.Selector {
	s := &hwenc.Selector{Backends: []hwenc.Backend{ffmpeg.Backend{}, hwenc.Soft{}}}
	names := make([]string, 0, len(s.Backends))
	for _, b := range s.Backends {
		names = append(names, b.Name())
	}
	log.Info("video encoders", "order", strings.Join(names, ", "), "ffmpeg_in_build", ffmpeg.Available)
	return s
}

// errBadParams is a URL parameter the reader got wrong (400).
var errBadParams = errors.New("bad URL parameter")

// outputFor reads what req asks for; a malformed URL parameter is a 400.
func (a *App) outputFor(req *rtsp.Request, cfg *config.Config) (outputSpec, error) {
	s, err := outputSpecFor(cfg, req.Path, req.Query)
	if err != nil {
		a.log.Info("bad output parameters", "path", req.Path, "err", err)
		return s, &rtsp.StatusError{Code: 400, Reason: "Bad Request (" + err.Error() + ")"}
	}
	return s, nil
}

// openTranscoded returns a reader's handle on the shared transcoded
// stream named key, making it with build on first use.
func (a *App) openTranscoded(req *rtsp.Request, key string, p hwenc.VideoParams,
	build func() (source.Runner, sourceVideo, func(), error)) (rtsp.Media, error) {
	a.transMu.Lock()
	defer a.transMu.Unlock()
	if l := a.trans[key]; l != nil {
		return l.live.Open(), nil
	}
	runner, src, extra, err := build()
	if err != nil {
		a.log.Warn("cannot start the source to transcode", "path", req.Path, "err", err)
		return nil, rtsp.ErrNotFound
	}
	// What p leaves open (a camera's size, known only now) is the source's.
	p = outputSpec{Codec: p.Codec, Width: p.Width, Height: p.Height, FPS: p.FPS, Bitrate: p.Bitrate}.target(src)
	tr, err := newTranscoder(runner, 0, a.encoders, src, p)
	if err != nil {
		if extra != nil {
			extra()
		}
		a.log.Warn("cannot transcode", "path", req.Path, "codec", p.Codec, "err", err)
		if hwenc.IsUnsupported(err) {
			return nil, &rtsp.StatusError{Code: 415, Reason: "Unsupported Media Type (" + string(p.Codec) + " not in this build)"}
		}
		return nil, &rtsp.StatusError{Code: 500, Reason: "Internal Server Error (encoder)"}
	}
	l := &transcodedLive{live: source.NewLive(req.Path, tr, a.log), tr: tr, extra: extra}
	if a.trans == nil {
		a.trans = make(map[string]*transcodedLive)
	}
	a.trans[key] = l
	a.log.Info("transcoding", "path", req.Path, "from", fmt.Sprintf("%s %dx%d@%g", src.Codec, src.Width, src.Height, src.FPS),
		"to", fmt.Sprintf("%s %dx%d@%g %dkbit/s", p.Codec, p.Width, p.Height, p.FPS, p.Bitrate),
		"encoder", tr.encName, "decoder", tr.decName)
	return l.live.Open(), nil
}

// closeTranscoded stops every transcoded stream and frees its codecs.
func (a *App) closeTranscoded() {
	a.transMu.Lock()
	ls := a.trans
	a.trans = nil
	a.transMu.Unlock()
	for _, l := range ls {
		l.close()
	}
}

// patternVideo is the built-in test pattern's video as the App runs it.
func patternVideo() sourceVideo {
	o := testpattern.DefaultOptions()
	return sourceVideo{Codec: hwenc.MJPEG, Width: o.Width, Height: o.Height, FPS: float64(o.FPS)}
}

// openPattern serves the test pattern, transcoded when the output node or
// the URL asks for something else than its MJPEG.
func (a *App) openPattern(req *rtsp.Request, cfg *config.Config) (rtsp.Media, error) {
	spec, err := a.outputFor(req, cfg)
	if err != nil {
		return nil, err
	}
	src := patternVideo()
	if spec.passThrough(src) {
		return a.pattern.Open(), nil
	}
	p := spec.target(src)
	return a.openTranscoded(req, transcodeKey("testpattern", p), p, func() (source.Runner, sourceVideo, func(), error) {
		// A pattern of its own, painted at the output's size and rate
		// when it can be, so the encoder need not scale.
		o := testpattern.DefaultOptions()
		if p.Width <= 2040 && p.Height <= 2040 {
			o.Width, o.Height = p.Width, p.Height
		}
		if f := int(p.FPS); float64(f) == p.FPS && f >= 1 && f <= 60 {
			o.FPS = f
		}
		tp, err := testpattern.New(o)
		if err != nil {
			return nil, sourceVideo{}, nil, err
		}
		return patternRunner{tp}, sourceVideo{Codec: hwenc.MJPEG, Width: o.Width, Height: o.Height, FPS: float64(o.FPS)}, nil, nil
	})
}

// screenVideo is what the screen source makes of tgt on dev: MJPEG at the
// size cropped to 8-pixel blocks, at fps.
func screenVideo(dev *x11.Display, tgt x11.Target, fps float64) (sourceVideo, error) {
	var w, h int
	if tgt.Window != "" {
		win, err := dev.FindWindow(tgt.Window)
		if err != nil {
			return sourceVideo{}, err
		}
		w, h = win.Width, win.Height
	} else {
		ss, err := dev.Screens()
		if err != nil {
			return sourceVideo{}, err
		}
		if tgt.Screen >= len(ss) {
			return sourceVideo{}, fmt.Errorf("%w: %d", x11.ErrNoScreen, tgt.Screen)
		}
		w, h = ss[tgt.Screen].Width, ss[tgt.Screen].Height
	}
	if fps == 0 {
		fps = screen.DefaultFPS
	}
	return sourceVideo{Codec: hwenc.MJPEG, Width: w &^ 7, Height: h &^ 7, FPS: fps}, nil
}

// openScreenTranscoded serves a screen or window re-encoded as spec asks;
// it runs its own capture on its own display connection. ok is false when
// spec is what the plain screen source gives.
func (a *App) openScreenTranscoded(req *rtsp.Request, t paths.Target, tgt x11.Target, dev *x11.Display,
	spec outputSpec, fps float64) (m rtsp.Media, ok bool, err error) {
	src, err := screenVideo(dev, tgt, fps)
	if err != nil {
		a.log.Info("capture target not found", "path", req.Path, "err", err)
		return nil, true, rtsp.ErrNotFound
	}
	if spec.passThrough(src) {
		return nil, false, nil
	}
	p := spec.target(src)
	m, err = a.openTranscoded(req, transcodeKey(t.Name, p), p, func() (source.Runner, sourceVideo, func(), error) {
		own, err := x11.Open("")
		if err != nil {
			return nil, sourceVideo{}, nil, err
		}
		s, err := screen.New(own, tgt, screen.Options{FPS: src.FPS})
		if err != nil {
			own.Close()
			return nil, sourceVideo{}, nil, err
		}
		return screenRunner{s}, src, func() { own.Close() }, nil
	})
	return m, true, err
}
