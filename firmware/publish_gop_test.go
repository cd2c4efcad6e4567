package firmware

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestPublishLongGOPReplay: ffmpeg publishes a clip whose one GOP is 6 s
// long at about 3.4 Mbit/s. A reader joining 3 s in gets the cached GOP
// from its keyframe — about 900 packets, more than a reader's queue of
// 512 — and ffmpeg joining then decodes frames at once without an error,
// though no other keyframe ever comes.
func TestPublishLongGOPReplay(t *testing.T) {
	e2eRequireTools(t, "ffmpeg")
	pa := pubStart(t, nil, PublishOptions{})
	clip := e2eMakeClip(t, t.TempDir(), "longgop.mp4", []string{"-f", "lavfi", "-i", "testsrc2=size=640x480:rate=25:duration=6",
		"-c:v", "libx264", "-preset", "ultrafast", "-qp", "12", "-g", "250", "-pix_fmt", "yuv420p"})
	url := pa.base + "long/gop"
	p := ffmpegPublish(t, clip, url, "tcp", true)
	pa.waitPublished(t, p, "long/gop")
	time.Sleep(3 * time.Second)

	r := dialStubborn(t, url, false)
	first := waitFirstPacket(t, r)
	replayed := int(uint16(rtpInfoSeq(t, r.rtpInfo)) - uint16(first))
	if replayed <= 512 {
		t.Fatalf("the joining reader got %d cached packets, want the GOP so far (more than a 512-packet queue)", replayed)
	}
	out, err := e2eRun(context.Background(), 10*time.Second, "ffmpeg", "-v", "error", "-xerror", "-rtsp_transport", "tcp",
		"-i", url, "-frames:v", "10", "-f", "null", "-")
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("ffmpeg joining mid-GOP: %v\n%s", err, out)
	}
	time.Sleep(200 * time.Millisecond)
	if got := r.frames.Load(); got < int64(replayed) {
		t.Fatalf("the reader received %d packets, fewer than the %d replayed", got, replayed)
	}
}
