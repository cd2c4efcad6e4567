package firmware

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"rtspcam/drivers/v4l2"
	"rtspcam/firmware/config"
	"rtspcam/firmware/paths"
	"rtspcam/firmware/source"
	"rtspcam/firmware/source/camera"
	"rtspcam/hwenc"
	"rtspcam/hwenc/ffmpeg"
	"rtspcam/hwenc/m2m"
	"rtspcam/rtsp"
	"rtspcam/rtsp/payload"
)

// cameraLive is the shared live source of one videodevice path and request.
type cameraLive struct {
	live *source.Live
	src  *camera.Source
}

// cameraRunner adapts camera.Source to source.Runner.
type cameraRunner struct{ s *camera.Source }

func (r cameraRunner) Formats() []payload.Format                      { return r.s.Formats() }
func (r cameraRunner) Run(ctx context.Context, w source.Writer) error { return r.s.Run(ctx, w) }
func (r cameraRunner) RequestKeyFrame()                               { r.s.RequestKeyFrame() }

// cameraRequest is what the output wants of a videodevice path: the
// matching <output> node, overridden by the URL's width, height,
// framerate and codec parameters (w, h, fps and vc are accepted too).
func cameraRequest(cfg *config.Config, path string, q url.Values) v4l2.Request {
	var v config.Video
	if o := cfg.MatchOutput(path); o != nil {
		v = o.Video
	}
	param := func(names ...string) string {
		for _, n := range names {
			if s := q.Get(n); s != "" {
				return s
			}
		}
		return ""
	}
	if n, err := strconv.Atoi(param("width", "w")); err == nil && n > 0 {
		v.Width = n
	}
	if n, err := strconv.Atoi(param("height", "h")); err == nil && n > 0 {
		v.Height = n
	}
	if f, err := strconv.ParseFloat(param("framerate", "fps"), 64); err == nil && f > 0 && f <= 240 {
		v.FrameRate = f
	}
	if c := param("codec", "vc", "ve"); c != "" { // ve= is the vendor manual's name
		v.Codec = strings.ToUpper(c)
	}
	r := v4l2.Request{Width: v.Width, Height: v.Height, FPS: v.FrameRate}
	switch v.Codec {
	case config.VideoH264, "H.264", "AVC":
		r.Codec = v4l2.CodecH264
	case config.VideoJPEG, "MJPEG", "MJPG":
		r.Codec = v4l2.CodecMJPEG
	}
	return r
}

// h264Selector tries the board's mem2mem H.264 encoder first, then
// FFmpeg (in builds with the ffmpeg tag).
var h264Selector = &hwenc.Selector{Backends: []hwenc.Backend{m2m.Backend{}, ffmpeg.Backend{}}}

// h264Encoder returns the factory camera sources use for H.264 from raw
// frames; it logs which backend took the job.
func (a *App) h264Encoder(path string) camera.EncoderFactory {
	return func(f v4l2.Format) (hwenc.VideoEncoder, error) {
		fps := f.FPS
		if fps <= 0 {
			fps = 30
		}
		enc, name, err := h264Selector.VideoEncoder(hwenc.VideoParams{Codec: hwenc.H264, Width: f.Width, Height: f.Height, FPS: fps})
		if err != nil {
			return nil, err
		}
		a.log.Info("camera H.264 encoder", "path", path, "backend", name, "input", f.String())
		return enc, nil
	}
}

var (
	h264Once  sync.Once
	h264Ready bool
)

// hasH264Encoder tells whether this build and board can encode H.264:
// a mem2mem device that makes it, or FFmpeg compiled in.
func hasH264Encoder() bool {
	h264Once.Do(func() {
		if devs, _ := m2m.Find(""); len(devs) > 0 {
			for _, d := range devs {
				if d.Encodes(v4l2.PixH264) {
					h264Ready = true
					return
				}
			}
		}
		enc, err := ffmpeg.Backend{}.NewVideoEncoder(hwenc.VideoParams{Codec: hwenc.H264, Width: 64, Height: 64, FPS: 25})
		if err == nil {
			enc.Close()
			h264Ready = true
		}
	})
	return h264Ready
}

// openCamera returns a reader's handle on the shared capture of a
// videodevice path, starting it on first use. A missing device is 404 and
// a log line naming the devices there are.
func (a *App) openCamera(req *rtsp.Request, t paths.Target, cfg *config.Config) (rtsp.Media, error) {
	devs, err := a.cams.Devices()
	if err != nil {
		a.log.Warn("cannot list video devices", "path", req.Path, "err", err)
		return nil, rtsp.ErrNotFound
	}
	dev, err := v4l2.Select(devs, t.Arg)
	if err != nil {
		a.log.Info("video device not found", "path", req.Path, "err", err)
		return nil, rtsp.ErrNotFound
	}
	want := cameraRequest(cfg, req.Path, req.Query)
	key := fmt.Sprintf("%s|%d|%dx%d@%g", dev.Path, want.Codec, want.Width, want.Height, want.FPS)
	a.camerasMu.Lock()
	defer a.camerasMu.Unlock()
	if c := a.cameras[key]; c != nil {
		if c.src.Device().Name == dev.Name {
			return c.live.Open(), nil
		}
		// Another camera took the node (replugged in another order).
		c.live.Close()
		delete(a.cameras, key)
	}
	var opts camera.Options
	opts.Request = want
	if want.Codec == v4l2.CodecH264 && hasH264Encoder() {
		opts.H264 = a.h264Encoder(req.Path)
	}
	src, err := camera.New(a.cams, dev, opts)
	if err != nil {
		a.log.Warn("cannot capture", "path", req.Path, "device", dev.Path, "err", err)
		return nil, rtsp.ErrNotFound
	}
	if n := src.Note(); n != "" {
		a.log.Warn(n, "path", req.Path, "device", dev.Name)
	}
	c := &cameraLive{live: source.NewLive(t.Name, cameraRunner{src}, a.log), src: src}
	if a.cameras == nil {
		a.cameras = make(map[string]*cameraLive)
	}
	a.cameras[key] = c
	a.log.Info("camera source ready", "path", req.Path, "device", dev.Path, "name", dev.Name,
		"format", src.Format().String(), "mode", src.Mode().String())
	return c.live.Open(), nil
}

// closeCameras stops every camera source.
func (a *App) closeCameras() {
	a.camerasMu.Lock()
	cs := a.cameras
	a.cameras = nil
	a.camerasMu.Unlock()
	for _, c := range cs {
		c.live.Close()
	}
}
