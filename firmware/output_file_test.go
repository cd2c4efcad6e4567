package firmware

import (
	"context"
	"strings"
	"testing"
	"time"

	"rtspcam/hwenc"
)

// makeAVClip writes dir/clip.mp4: 4 s of 640x480 H.264 at 25 fps
// (B-frames, a key frame every 25 frames) and a 1 kHz AAC tone at half
// scale, 48 kHz stereo.
func makeAVClip(t *testing.T, dir string) {
	t.Helper()
	e2eMakeClip(t, dir, "clip.mp4", []string{"-f", "lavfi", "-i", "testsrc2=size=640x480:rate=25:duration=4",
		"-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000:duration=4",
		"-af", "volume=4", "-ac", "2", "-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "128k", "-shortest"})
}

// probeStreams has ffprobe read url's streams, summarised.
func probeStreams(t *testing.T, url string) []string {
	t.Helper()
	p, err := e2eFFprobe(context.Background(), url, "-rtsp_transport", "tcp")
	if err != nil {
		t.Fatal(err)
	}
	return e2eSummary(p.Streams)
}

// Without the FFmpeg backend (a pure-Go build, here the soft backend
// alone), a file's H.264 cannot be decoded nor its AAC: asking for
// another codec is a 415, asking for what the file is plays it.
func TestFileTranscodeWithoutFFmpeg(t *testing.T) {
	e2eRequireTools(t, "ffmpeg", "ffprobe")
	dir := t.TempDir()
	makeAVClip(t, dir)
	base := startTestApp(t, testConfig(t, dir), func(app *App) {
		app.encoders = &hwenc.Selector{Backends: []hwenc.Backend{hwenc.Soft{}}}
	}).base + "clip.mp4"
	for _, q := range []string{"?ve=mjpeg", "?w=320", "?ae=PCMU", "?ae=opus"} {
		out, err := e2eRun(context.Background(), 10*time.Second, "ffprobe", "-v", "error", "-rtsp_transport", "tcp", base+q)
		if err == nil || !strings.Contains(string(out), "415") {
			t.Errorf("%s without FFmpeg: %v %s, want 415", q, err, out)
		}
	}
	if got, want := strings.Join(probeStreams(t, base+"?ve=h264&w=640&h=480&fps=25&ae=AAC"), ","),
		"audio aac 48000 Hz,video h264 640x480"; got != want {
		t.Errorf("what the file is, asked without FFmpeg: %s, want %s", got, want)
	}
}
