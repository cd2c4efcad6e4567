package firmware

import (
	"context"
	"fmt"
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

// rawCameraRunner is a camera that captures raw frames: a transcoder gets
// its pictures (camera.FrameWriter), not MJPEG to decode again.
type rawCameraRunner struct{ cameraRunner }

func (rawCameraRunner) raw() {}

// cameraRequest is the capture to negotiate for spec (the one output
// parameter path: the <output> node and ve=/w=/h=/fps=/vb= with their
// aliases). H.264 and MJPEG are what cameras (or the camera's own H.264
// encoder) make; H.265 and MPEG-4 are captured as MJPEG and transcoded.
func (s outputSpec) cameraRequest() v4l2.Request {
	r := v4l2.Request{Width: s.Width, Height: s.Height, FPS: s.FPS}
	switch s.Codec {
	case hwenc.H264:
		r.Codec = v4l2.CodecH264
	case hwenc.MJPEG, hwenc.H265, hwenc.MPEG4:
		r.Codec = v4l2.CodecMJPEG
	}
	return r
}

// cameraTranscodes tells whether spec needs a codec the camera path does
// not make itself.
func (s outputSpec) cameraTranscodes() bool { return s.Codec == hwenc.H265 || s.Codec == hwenc.MPEG4 }

// h264Selector tries the board's mem2mem H.264 encoder first, then
// FFmpeg (in builds with the ffmpeg tag).
var h264Selector = &hwenc.Selector{Backends: []hwenc.Backend{m2m.Backend{}, ffmpeg.Backend{}}}

// h264Encoder returns the factory camera sources use for H.264 from raw
// frames; it logs which backend took the job.
func (a *App) h264Encoder(path string, bitrate int) camera.EncoderFactory {
	return func(f v4l2.Format) (hwenc.VideoEncoder, error) {
		fps := f.FPS
		if fps <= 0 {
			fps = 30
		}
		enc, name, err := h264Selector.VideoEncoder(hwenc.VideoParams{Codec: hwenc.H264, Width: f.Width, Height: f.Height, FPS: fps,
			Bitrate: bitrate})
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
	spec, err := a.outputFor(req, cfg)
	if err != nil {
		return nil, err
	}
	want := spec.cameraRequest()
	if spec.cameraTranscodes() {
		return a.openCameraTranscoded(req, t, dev, spec, want)
	}
	key := fmt.Sprintf("%s|%d|%dx%d@%g|%d", dev.Path, want.Codec, want.Width, want.Height, want.FPS, spec.Bitrate)
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
		opts.H264 = a.h264Encoder(req.Path, spec.Bitrate)
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

// openCameraTranscoded serves a camera in a codec it cannot make (H.265,
// MPEG-4): its MJPEG through the shared transcoder (FFmpeg), one capture
// per device and encoding.
func (a *App) openCameraTranscoded(req *rtsp.Request, t paths.Target, dev v4l2.DeviceInfo, spec outputSpec,
	want v4l2.Request) (rtsp.Media, error) {
	p := hwenc.VideoParams{Codec: spec.Codec, Width: spec.Width, Height: spec.Height, FPS: spec.FPS, Bitrate: spec.Bitrate}
	// Sizes and rate left open are the camera's, known once it is open.
	return a.openTranscoded(req, transcodeKey(dev.Path, p), p, func() (source.Runner, sourceVideo, func(), error) {
		src, err := camera.New(a.cams, dev, camera.Options{Request: want})
		if err != nil {
			return nil, sourceVideo{}, nil, err
		}
		f := src.Format()
		sv := sourceVideo{Codec: hwenc.MJPEG, Width: f.Width, Height: f.Height, FPS: f.FPS}
		if sv.FPS <= 0 {
			sv.FPS = 30
		}
		if src.Mode() == camera.EncodeMJPEG {
			// A raw camera hands its pictures to the encoder.
			return rawCameraRunner{cameraRunner{src}}, sv, nil, nil
		}
		return cameraRunner{src}, sv, nil, nil
	})
}
