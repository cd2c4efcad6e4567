package firmware

import (
	"context"
	"image/color"
	"os/exec"
	"strings"
	"testing"
	"time"

	"rtspcam/drivers/x11/x11test"
)

// screenProbe asks ffprobe for the first video stream's codec and size.
func screenProbe(t *testing.T, url string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-rtsp_transport", "tcp",
		"-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", url).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// TestScreenAndWindowCapture serves an Xvfb screen and a window on it and
// reads them with ffprobe and ffmpeg.
func TestScreenAndWindowCapture(t *testing.T) {
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required: %v", tool, err)
		}
	}
	disp := x11test.StartXvfb(t, 640, 480)
	t.Setenv("DISPLAY", disp)
	red := color.RGBA{255, 0, 0, 255}
	win := x11test.OpenWindow(t, disp, "probe-window", red, 50, 50, 320, 96)
	x11test.OpenWindow(t, disp, "Blue Notes", color.RGBA{0, 0, 255, 255}, 400, 300, 123, 61)

	ta := startTestApp(t, testConfig(t, t.TempDir()), nil)
	logs, base := ta.logs, ta.base

	for _, c := range []struct{ path, want string }{
		{"screenlive", "mjpeg,640,480"},
		{"screenlive0", "mjpeg,640,480"},
		{"window=probe-window", "mjpeg,320,96"},
		{"window=blue%20notes", "mjpeg,120,56"}, // 123x61 is cropped to 8x8 blocks
	} {
		got, err := screenProbe(t, base+c.path)
		if err != nil || got != c.want {
			t.Errorf("%s: ffprobe says %q (%v), want %q", c.path, got, err, c.want)
		}
	}
	for _, missing := range []string{"screenlive3", "window=no-such-window", "screenlivex"} {
		if got, err := screenProbe(t, base+missing); err == nil || !strings.Contains(got, "404") {
			t.Errorf("%s: ffprobe says %q (%v), want 404", missing, got, err)
		}
	}
	if strings.Contains(logs.String(), "GetImage") {
		t.Errorf("Xvfb has MIT-SHM, yet the server fell back to GetImage:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `\"probe-window\"`) {
		t.Errorf("the 404 log does not name the windows that exist:\n%s", logs.String())
	}

	// The window's centre pixel is its colour.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	raw, err := exec.CommandContext(ctx, "ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-i", base+"window=probe-window",
		"-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	if len(raw) != 320*96*3 {
		t.Fatalf("ffmpeg gave %d bytes, want one 320x96 rgb24 frame", len(raw))
	}
	o := (48*320 + 160) * 3
	if px := raw[o : o+3]; px[0] < 230 || px[1] > 25 || px[2] > 25 {
		t.Errorf("centre pixel %v, want red", px)
	}

	// Closing the window ends the session: ffmpeg gets RTCP BYE and exits.
	for _, proto := range []string{"tcp", "udp"} {
		win2 := win
		if proto == "udp" {
			win2 = x11test.OpenWindow(t, disp, "probe-window", red, 50, 50, 320, 96)
		}
		cmd := exec.Command("ffmpeg", "-v", "error", "-rtsp_transport", proto, "-i", base+"window=probe-window", "-f", "null", "-")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		time.Sleep(1500 * time.Millisecond)
		select {
		case err := <-exited:
			t.Fatalf("%s: ffmpeg ended before the window closed: %v", proto, err)
		default:
		}
		win2.Close()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("%s: ffmpeg still reading 10 s after the window closed", proto)
		}
	}
	if got, err := screenProbe(t, base+"window=probe-window"); err == nil || !strings.Contains(got, "404") {
		t.Errorf("closed window: ffprobe says %q (%v), want 404", got, err)
	}
}

// TestScreenCaptureWithoutSHM serves an Xvfb that lacks MIT-SHM: screens
// and windows still play, through GetImage, and the server says so once.
func TestScreenCaptureWithoutSHM(t *testing.T) {
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required: %v", tool, err)
		}
	}
	disp := x11test.StartXvfb(t, 320, 240, "-extension", "MIT-SHM")
	t.Setenv("DISPLAY", disp)
	x11test.OpenWindow(t, disp, "no-shm", color.RGBA{0, 0, 255, 255}, 20, 20, 160, 96)

	ta := startTestApp(t, testConfig(t, t.TempDir()), nil)
	logs, base := ta.logs, ta.base
	for _, c := range []struct{ path, want string }{
		{"screenlive", "mjpeg,320,240"},
		{"window=no-shm", "mjpeg,160,96"},
	} {
		got, err := screenProbe(t, base+c.path)
		if err != nil || got != c.want {
			t.Errorf("%s: ffprobe says %q (%v), want %q", c.path, got, err, c.want)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	raw, err := exec.CommandContext(ctx, "ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-i", base+"window=no-shm",
		"-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-").Output()
	if err != nil || len(raw) != 160*96*3 {
		t.Fatalf("ffmpeg: %d bytes (%v), want one 160x96 rgb24 frame", len(raw), err)
	}
	if o := (48*160 + 80) * 3; raw[o] > 25 || raw[o+1] > 25 || raw[o+2] < 230 {
		t.Errorf("centre pixel %v, want blue", raw[o:o+3])
	}
	if n := strings.Count(logs.String(), "falls back to GetImage"); n != 1 {
		t.Errorf("the GetImage fallback is logged %d times, want once", n)
	}
}
