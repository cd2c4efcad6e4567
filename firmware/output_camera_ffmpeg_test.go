//go:build ffmpeg && cgo

package firmware

import (
	"strings"
	"testing"

	"rtspcam/drivers/v4l2"
	"rtspcam/drivers/v4l2/v4l2test"
	"rtspcam/firmware/config"
)

// A camera without H.264 of its own, on a machine without a mem2mem
// encoder, plays H.264 from FFmpeg when asked by the output node or by
// ve=: ffprobe sees it, ffmpeg and GStreamer decode it cleanly, for NV12
// and YUYV cameras.
func TestVideoDeviceH264FromFFmpeg(t *testing.T) {
	e2eRequireTools(t, "ffmpeg", "ffprobe", "gst-launch-1.0", "timeout")
	sys := v4l2test.New(v4l2test.Camera("Integrated Camera", v4l2.PixNV12), v4l2test.Camera("USB Cam", v4l2.PixYUYV))
	cfg := testConfig(t, t.TempDir())
	cfg.Outputs = []config.Output{{URL: "videodevice", Video: config.Video{Codec: config.VideoH264, Width: 320, Height: 240, FrameRate: 25}}}
	// Registered first, so it runs after the App has closed.
	t.Cleanup(func() {
		if _, open := sys.Opens(); open != 0 {
			t.Errorf("%d captures left open", open)
		}
	})
	ta := startTestApp(t, cfg, func(app *App) { app.cams = sys })
	logs, base := ta.logs, ta.base
	for _, c := range []struct{ path, want string }{
		{"videodevice", "h264,320,240"}, // NV12, by the output node
		// No node matches videodevice=Name: the URL alone asks.
		{"videodevice=usb%20cam?ve=h264&w=320&h=240", "h264,320,240"}, // YUYV, by the URL
		// A codec no camera path makes: captured as MJPEG, transcoded.
		{"videodevice?ve=h265", "hevc,320,240"},
		{"videodevice=usb%20cam?codec=mpeg4&width=320&height=240", "mpeg4,320,240"},
	} {
		got, err := screenProbe(t, base+c.path)
		if err != nil || got != c.want {
			t.Fatalf("%s: ffprobe says %q (%v), want %q", c.path, got, err, c.want)
		}
		decodeClean(t, base+c.path, 2)
		gstClean(t, base+c.path, 1, "320x240")
	}
	// The raw cameras' pictures go straight to the H.265/MPEG-4 encoder:
	// no MJPEG made and decoded again.
	if !strings.Contains(logs.String(), `decoder="none (raw pictures)"`) {
		t.Errorf("the H.265 camera was transcoded through a decoder:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "backend=ffmpeg") {
		t.Fatalf("the encoder choice is not logged:\n%s", logs.String())
	}
}
