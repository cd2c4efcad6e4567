package firmware

import (
	"errors"

	"rtspcam/firmware/paths"
	"rtspcam/firmware/source"
	"rtspcam/firmware/source/file"
	"rtspcam/hwenc"
	"rtspcam/rtsp"
)

// OpenMedia resolves a request path to media (rtsp.Handler).
func (a *App) OpenMedia(req *rtsp.Request) (rtsp.Media, error) {
	if p := a.published(req.Path); p != nil {
		return &publishedMedia{p: p}, nil
	}
	cfg := a.cfg.Load()
	t := paths.Classify(req.Path)
	switch t.Kind {
	case paths.KindTestPattern:
		return a.openPattern(req, cfg)
	case paths.KindFile:
		full, err := paths.ResolveFile(cfg.MediaDir, req.Path)
		if err != nil {
			if errors.Is(err, paths.ErrOutside) {
				a.log.Warn("refused a path outside the media folder", "path", req.Path, "remote", req.RemoteAddr)
			} else {
				a.log.Info("no such media", "path", req.Path, "remote", req.RemoteAddr)
			}
			return nil, rtsp.ErrNotFound
		}
		videoWrap, err := a.fileVideo(req, cfg)
		if err != nil {
			return nil, err
		}
		audioWrap, err := a.fileAudio(req, cfg)
		if err != nil {
			return nil, err
		}
		wrap := chainWraps(videoWrap, audioWrap)
		p, err := source.OpenFileWith(req.Path, full, cfg.LoopNums, a.log, wrap)
		if err != nil {
			a.log.Warn("cannot play file", "path", req.Path, "err", err)
			if errors.Is(err, file.ErrUnsupported) || errors.Is(err, source.ErrNoAudioTranscode) || hwenc.IsUnsupported(err) {
				return nil, &rtsp.StatusError{Code: 415, Reason: "Unsupported Media Type"}
			}
			return nil, rtsp.ErrNotFound
		}
		return p, nil
	case paths.KindScreen, paths.KindWindow:
		return a.openScreen(req, t, cfg)
	case paths.KindVideoDevice:
		return a.openCamera(req, t, cfg)
	case paths.KindAudioDevice:
		return a.openAudio(req, t, cfg)
	default:
		a.log.Warn("source kind not supported by this build", "path", req.Path, "kind", t.Kind.String())
		return nil, &rtsp.StatusError{Code: 404, Reason: "Not Found (" + t.Kind.String() + " not supported by this build)"}
	}
}

// chainWraps applies the demuxer wraps in order, skipping nil ones. When
// one fails, the wraps made so far are closed (their codecs); the file
// under them is closed again by OpenFileWith, which is harmless.
func chainWraps(wraps ...func(file.Demuxer) (file.Demuxer, error)) func(file.Demuxer) (file.Demuxer, error) {
	return func(d file.Demuxer) (file.Demuxer, error) {
		first := true // d is still the file itself
		for _, w := range wraps {
			if w == nil {
				continue
			}
			next, err := w(d)
			if err != nil {
				if !first {
					d.Close()
				}
				return nil, err
			}
			first = first && next == d
			d = next
		}
		return d, nil
	}
}
