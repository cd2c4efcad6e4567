package firmware

import (
	"fmt"
	"net/url"

	"rtspcam/firmware/config"
	"rtspcam/firmware/source"
	"rtspcam/firmware/source/file"
	"rtspcam/hwenc"
	"rtspcam/rtsp"
)

// defaultFileFPS is the output frame rate of a file whose own rate cannot
// be told.
const defaultFileFPS = 25

// askedByURL tells whether the URL names any of the video output
// parameters (what cannot be done is then an error, not a log line).
func askedByURL(q url.Values) bool {
	for _, k := range []string{"ve", "vc", "codec", "w", "width", "h", "height", "fps", "framerate", "vb", "bitrate"} {
		if q.Get(k) != "" {
			return true
		}
	}
	return false
}

// fileTarget is the encoding spec asks of a file's video: as target, but
// a frame rate above the file's is honoured (frames are repeated on the
// output clock), since a file's rate is often below what an NVR insists
// on.
func fileTarget(spec outputSpec, src sourceVideo) hwenc.VideoParams {
	if src.FPS <= 0 {
		src.FPS = defaultFileFPS
	}
	p := spec.target(src)
	if spec.FPS > 0 {
		p.FPS = spec.FPS
	}
	return p
}

// fileVideo is the transcoding a file request asks of its video through
// ve=/w=/h=/fps=/vb= or its <output> node, or nil for none. The file's
// video passes untouched when it already is what is asked; otherwise it
// is decoded and encoded again per session (the hwenc Selector: FFmpeg,
// then pure-Go MJPEG). What the URL asks and cannot be done is a 415;
// what only the config asks is logged and the file plays as it is.
func (a *App) fileVideo(req *rtsp.Request, cfg *config.Config) (func(file.Demuxer) (file.Demuxer, error), error) {
	spec, err := a.outputFor(req, cfg)
	if err != nil {
		return nil, err
	}
	if spec == (outputSpec{}) {
		return nil, nil
	}
	byURL := askedByURL(req.Query)
	fail := func(d file.Demuxer, err error) (file.Demuxer, error) {
		if !byURL {
			a.log.Warn("file video not transcoded as the output node asks", "path", req.Path, "err", err)
			return d, nil
		}
		a.log.Info("cannot transcode the file video as asked", "path", req.Path, "err", err)
		return nil, err
	}
	return func(d file.Demuxer) (file.Demuxer, error) {
		info, track, ok, err := source.ProbeVideo(d, a.encoders)
		if !ok {
			return d, nil // no video: nothing to do
		}
		if err != nil {
			return fail(d, err)
		}
		src := sourceVideo{Codec: info.Codec, Width: info.Width, Height: info.Height, FPS: info.FPS}
		p := fileTarget(spec, src)
		if src.FPS <= 0 {
			src.FPS = defaultFileFPS
		}
		if spec.passThrough(src) && p.FPS == src.FPS {
			a.log.Debug("file video passes untouched", "path", req.Path)
			return d, nil
		}
		tr, err := source.TranscodeVideo(d, track, info, a.encoders, p)
		if err != nil {
			return fail(d, err)
		}
		from := fmt.Sprintf("%s %dx%d@%g", info.Codec, info.Width, info.Height, info.FPS)
		to := fmt.Sprintf("%s %dx%d@%g %dkbit/s", p.Codec, p.Width, p.Height, p.FPS, p.Bitrate)
		if _, seen := a.fileXcodeLogged.LoadOrStore(req.Path+"|"+to, true); !seen {
			a.log.Info("transcoding file", "path", req.Path, "from", from, "to", to, "encoder", tr.EncName, "decoder", tr.DecName)
		}
		a.log.Debug("session transcodes file", "path", req.Path, "from", from, "to", to, "encoder", tr.EncName, "decoder", tr.DecName)
		return tr, nil
	}, nil
}
