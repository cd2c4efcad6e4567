package firmware

import (
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"rtspcam/drivers/v4l2"
	"rtspcam/drivers/v4l2/v4l2test"
	"rtspcam/firmware/config"
)

// The camera reads the same output parameters as every source: the
// vendor's ve=/w=/h=/fps=/vb= and the aliases cameras took (codec, vc,
// width, height, framerate); a malformed one is an error (400), not
// silently ignored; H.265 and MPEG-4 are captured as MJPEG to transcode.
func TestCameraRequestFromOutputAndURL(t *testing.T) {
	cfg := config.Default()
	cfg.Outputs = []config.Output{
		{URL: "videodevice", Video: config.Video{Codec: config.VideoH264, Width: 1280, Height: 720, FrameRate: 25}},
		{Video: config.Video{Codec: config.VideoJPEG, Width: 320, Height: 240}},
	}
	for _, c := range []struct {
		path      string
		query     string
		want      v4l2.Request
		transcode bool
	}{
		{"videodevice1", "", v4l2.Request{Codec: v4l2.CodecH264, Width: 1280, Height: 720, FPS: 25}, false},
		{"videodevice=USB%20Cam", "width=640&height=480&framerate=15&codec=mjpeg", v4l2.Request{Codec: v4l2.CodecMJPEG, Width: 640, Height: 480, FPS: 15}, false},
		{"videodevice", "w=640&h=480&fps=10&ve=jpeg", v4l2.Request{Codec: v4l2.CodecMJPEG, Width: 640, Height: 480, FPS: 10}, false},
		{"test.mp4", "", v4l2.Request{Codec: v4l2.CodecMJPEG, Width: 320, Height: 240}, false},
		{"videodevice", "vc=h265", v4l2.Request{Codec: v4l2.CodecMJPEG, Width: 1280, Height: 720, FPS: 25}, true},
		{"videodevice", "ve=MP4&w=352&h=288", v4l2.Request{Codec: v4l2.CodecMJPEG, Width: 352, Height: 288, FPS: 25}, true},
	} {
		q, _ := url.ParseQuery(c.query)
		spec, err := outputSpecFor(cfg, c.path, q)
		if err != nil {
			t.Fatalf("%s?%s: %v", c.path, c.query, err)
		}
		if got := spec.cameraRequest(); got != c.want || spec.cameraTranscodes() != c.transcode {
			t.Errorf("%s?%s: %+v (transcode %v), want %+v (%v)", c.path, c.query, got, spec.cameraTranscodes(), c.want, c.transcode)
		}
	}
	for _, bad := range []string{"w=0", "fps=-3", "vc=vp8", "width=x", "framerate=1000"} {
		q, _ := url.ParseQuery(bad)
		if _, err := outputSpecFor(cfg, "videodevice", q); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// TestVideoDeviceServesAndSurvivesUnplug plays fake cameras through the
// whole server with ffprobe and ffmpeg: the negotiated size, 404 with a
// log naming the devices for a missing one, RTCP BYE when the camera is
// unplugged and service again once it is back.
func TestVideoDeviceServesAndSurvivesUnplug(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required: %v", tool, err)
		}
	}
	cam := v4l2test.Camera("USB Cam", v4l2.PixYUYV)
	sys := v4l2test.New(v4l2test.Camera("Integrated Camera", v4l2.PixNV12), cam)
	cfg := testConfig(t, t.TempDir())
	cfg.Outputs = []config.Output{{URL: "videodevice", Video: config.Video{Width: 320, Height: 240, FrameRate: 25}}}
	// Registered first, so it runs after the App has closed.
	t.Cleanup(func() {
		if _, open := sys.Opens(); open != 0 {
			t.Errorf("%d captures left open", open)
		}
	})
	ta := startTestApp(t, cfg, func(app *App) { app.cams = sys })
	logs, base := ta.logs, ta.base
	for _, c := range []struct{ path, want string }{
		{"videodevice", "mjpeg,320,240"},
		{"videodevice1?width=640&height=480", "mjpeg,640,480"},
		// config.MatchOutput does not count videodevice=Name as videodevice:
		// no node applies, the camera's largest size up to 1080p is used.
		{"videodevice=usb%20cam", "mjpeg,640,480"},
		{"videodevice=usb%20cam?w=320&h=240", "mjpeg,320,240"},
	} {
		got, err := screenProbe(t, base+c.path)
		if err != nil || got != c.want {
			t.Errorf("%s: ffprobe says %q (%v), want %q", c.path, got, err, c.want)
		}
	}
	for _, missing := range []string{"videodevice7", "videodevice=Logitech"} {
		if got, err := screenProbe(t, base+missing); err == nil || !strings.Contains(got, "404") {
			t.Errorf("%s: ffprobe says %q (%v), want 404", missing, got, err)
		}
	}
	if !strings.Contains(logs.String(), `videodevice1 \"USB Cam\"`) {
		t.Errorf("the 404 log does not name the devices:\n%s", logs.String())
	}

	// Unplugging ends the session (RTCP BYE): ffmpeg exits.
	cmd := exec.Command("ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-i", base+"videodevice=usb%20cam", "-f", "null", "-")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	time.Sleep(1500 * time.Millisecond)
	select {
	case err := <-exited:
		t.Fatalf("ffmpeg ended before the unplug: %v", err)
	default:
	}
	sys.Unplug("USB Cam")
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-exited
		t.Fatal("ffmpeg still reading 10 s after the unplug")
	}
	if got, err := screenProbe(t, base+"videodevice=usb%20cam"); err == nil || !strings.Contains(got, "404") {
		t.Errorf("unplugged: ffprobe says %q (%v), want 404", got, err)
	}
	sys.Plug(cam)
	if got, err := screenProbe(t, base+"videodevice=usb%20cam"); err != nil || got != "mjpeg,640,480" {
		t.Errorf("replugged: ffprobe says %q (%v)", got, err)
	}

	// H.264 asked of a raw camera: encoded by FFmpeg in builds with the
	// ffmpeg tag (make test sets it where the libraries are), else MJPEG
	// and a log line saying why.
	got, err := screenProbe(t, base+"videodevice0?codec=h264")
	if hasH264Encoder() {
		if err != nil || got != "h264,320,240" {
			t.Errorf("H.264 by an encoder: ffprobe says %q (%v)", got, err)
		}
		if !strings.Contains(logs.String(), "camera H.264 encoder") {
			t.Errorf("the encoder choice was not logged")
		}
	} else if err != nil || got != "mjpeg,320,240" || !strings.Contains(logs.String(), "no H.264 encoder on this board") {
		t.Errorf("H.264 without an encoder: ffprobe says %q (%v)", got, err)
	}
}
