package rtsp_test

import (
	"context"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFFprobeTransports: ffprobe finds both tracks of the live stream over
// UDP and over TCP, and its sessions end when it leaves.
func TestFFprobeTransports(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, false, nil)
	for _, tr := range []string{"udp", "tcp"} {
		out, err := ffprobeStreams(t, ts.url("live"), tr)
		if err != nil || out != "mjpeg\npcm_mulaw" {
			t.Errorf("ffprobe over %s: %v: %q", tr, err, out)
		}
	}
	waitFor(t, "ffprobe's sessions to end", 5*time.Second, func() bool { return ts.srv.Sessions() == 0 })
}

// TestFFmpegDecodesFile: ffmpeg plays the MP4 over TCP from a seek point
// and decodes every frame up to the end without errors.
func TestFFmpegDecodesFile(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatalf("ffmpeg is required: %v", err)
	}
	ts := newTestServer(t, true, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// -ss before -i makes ffmpeg send PLAY with Range: npt=2.500-.
	out, err := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-nostats", "-v", "error", "-rtsp_transport", "tcp",
		"-ss", "2.5", "-i", ts.url("file"), "-map", "0:v", "-f", "framemd5", "-").CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	frames := 0
	re := regexp.MustCompile(`(?m)^0,\s*(-?\d+),`)
	var last int
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		frames++
		last, _ = strconv.Atoi(m[1])
	}
	// From the keyframe at 2 s to the end at 4 s: about 50 frames at 25 fps
	// (ffmpeg may drop the ones before 2.5 s itself).
	if frames < 30 || frames > 55 {
		t.Errorf("ffmpeg decoded %d frames after a seek to 2.5 s, want 30..55 (last pts %d)\n%s", frames, last, lastLines(string(out), 5))
	}
	if strings.Contains(string(out), "error") {
		t.Errorf("ffmpeg reported errors:\n%s", lastLines(string(out), 10))
	}
	waitFor(t, "ffmpeg's session to end", 5*time.Second, func() bool { return ts.srv.Sessions() == 0 })
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}
