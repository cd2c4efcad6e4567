package firmware

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rtspcam/firmware/config"
)

// TestPublishRecordThrough: ffmpeg publishes a 10 s clip once while another
// ffmpeg records the path; the recording has the frames and the duration
// that were sent (the reader joined after the start: the GOP cache, the
// clip's one keyframe, gave it the beginning), and it ends by itself when
// the publisher leaves.
func TestPublishRecordThrough(t *testing.T) {
	e2eRequireTools(t, "ffmpeg", "ffprobe")
	pa := pubStart(t, nil, PublishOptions{})
	dir := t.TempDir()
	clip := e2eMakeClip(t, dir, "ten.mp4", []string{"-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=10",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "300", "-bf", "0", "-pix_fmt", "yuv420p"})
	url := pa.base + "rec/ten"
	p := ffmpegPublish(t, clip, url, "udp", true)
	pa.waitPublished(t, p, "rec/ten")
	out := filepath.Join(dir, "out.mkv")
	rec, err := e2eRun(context.Background(), 30*time.Second, "ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-i", url, "-c", "copy", "-y", out)
	if err != nil {
		t.Fatalf("recording through the server: %v\n%s", err, rec)
	}
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the publisher did not finish")
	}
	probe, err := e2eFFprobe(context.Background(), out, "-count_packets")
	if err != nil {
		t.Fatal(err)
	}
	if len(probe.Streams) != 1 || probe.Streams[0].Codec != "h264" {
		t.Fatalf("recording holds %v", probe.Streams)
	}
	frames := e2eFloat(t, "frames", probe.Streams[0].Packets)
	dur := e2eFloat(t, "duration", probe.Format.Duration)
	if frames < 248 || frames > 250 {
		t.Fatalf("recorded %v frames, sent 250", frames)
	}
	if dur < 9.8 || dur > 10.2 {
		t.Fatalf("recorded %.2f s, sent 10 s", dur)
	}
}

// TestPublishJoinLeaveReturn: a reader joining mid-GOP decodes its first
// frame without an error; a second publisher is refused while the first is
// live; the publisher leaving ends the readers; a returning publisher is
// served again.
func TestPublishJoinLeaveReturn(t *testing.T) {
	e2eRequireTools(t, "ffmpeg", "ffprobe")
	pa := pubStart(t, nil, PublishOptions{})
	dir := t.TempDir()
	clip := e2eMakeClip(t, dir, "gop.mp4", []string{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "50", "-pix_fmt", "yuv420p"})
	url := pa.base + "cams/door"
	p := ffmpegPublish(t, clip, url, "tcp", false)
	pa.waitPublished(t, p, "cams/door")
	time.Sleep(2500 * time.Millisecond) // mid-way into the second GOP

	out, err := e2eRun(context.Background(), 20*time.Second, "ffmpeg", "-v", "error", "-xerror", "-rtsp_transport", "udp", "-i", url, "-frames:v", "10", "-f", "null", "-")
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("a reader joining mid-stream: %v\n%s", err, out)
	}

	second := startPublisher(t, "ffmpeg", "-v", "error", "-re", "-i", clip, "-c", "copy", "-f", "rtsp", "-rtsp_transport", "tcp", url)
	select {
	case <-second.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the second publisher was not refused")
	}
	if second.err == nil || !strings.Contains(second.out.String(), "403") {
		t.Fatalf("second publisher: %v, want a 403 refusal\n%s", second.err, second.out.String())
	}
	if !strings.Contains(pa.logs.String(), "second publisher refused") {
		t.Fatal("no log line for the refused publisher")
	}

	reader := startPublisher(t, "ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-i", url, "-f", "null", "-")
	time.Sleep(time.Second)
	p.stop()
	select {
	case <-reader.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the reader went on after the publisher left")
	}
	waitGone := time.Now().Add(5 * time.Second)
	for len(pa.app.Publications()) > 0 && time.Now().Before(waitGone) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(pa.app.Publications()); n != 0 {
		t.Fatalf("%d publications left after the publisher went", n)
	}

	back := ffmpegPublish(t, clip, url, "udp", false)
	pa.waitPublished(t, back, "cams/door")
	probe, err := e2eFFprobe(context.Background(), url, "-rtsp_transport", "tcp")
	if err != nil {
		t.Fatal(err)
	}
	if got := e2eSummary(probe.Streams); len(got) != 1 || got[0] != "video h264 320x240" {
		t.Fatalf("after the publisher returned, ffprobe sees %v", got)
	}
}

// TestPublishGStreamerAndAuth: GStreamer's rtspclientsink publishes with
// credentials where need_auth is on; ffmpeg without them is refused.
func TestPublishGStreamerAndAuth(t *testing.T) {
	e2eRequireTools(t, "ffmpeg", "ffprobe", "gst-launch-1.0")
	pa := pubStart(t, func(c *config.Config) {
		c.NeedAuth = true
		c.Users = []config.User{{Username: "cam", Password: "s3cret"}}
	}, PublishOptions{})
	dir := t.TempDir()
	clip := e2eMakeClip(t, dir, "a.mp4", []string{"-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=2",
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"})
	out, err := e2eRun(context.Background(), 20*time.Second, "ffmpeg", "-v", "error", "-re", "-i", clip, "-c", "copy", "-f", "rtsp", "-rtsp_transport", "tcp", pa.base+"noauth")
	if err == nil || !strings.Contains(string(out), "401") {
		t.Fatalf("publishing without credentials: %v, want a 401 refusal\n%s", err, out)
	}
	authed := strings.Replace(pa.base, "rtsp://", "rtsp://cam:s3cret@", 1)
	g := startPublisher(t, "gst-launch-1.0", "-q", "videotestsrc", "is-live=true", "!", "video/x-raw,width=320,height=240,framerate=25/1",
		"!", "x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=25", "!", "h264parse",
		"!", "rtspclientsink", "location="+pa.base+"gst/cam", "protocols=tcp", "user-id=cam", "user-pw=s3cret")
	pa.waitPublished(t, g, "gst/cam")
	probe, err := e2eFFprobe(context.Background(), authed+"gst/cam", "-rtsp_transport", "tcp")
	if err != nil {
		t.Fatal(err)
	}
	if got := e2eSummary(probe.Streams); len(got) != 1 || got[0] != "video h264 320x240" {
		t.Fatalf("ffprobe sees %v of GStreamer's publication", got)
	}
}

var _ = exec.Command
