package firmware

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"rtspcam/firmware/config"
)

// pubStart starts a server for the publishing tests, its configuration
// changed by tune and its publish options set when not zero.
func pubStart(t *testing.T, tune func(*config.Config), opts PublishOptions) *testApp {
	t.Helper()
	cfg := testConfig(t, t.TempDir())
	if tune != nil {
		tune(cfg)
	}
	return startTestApp(t, cfg, func(app *App) {
		if opts != (PublishOptions{}) {
			app.SetPublishOptions(opts) // otherwise the configuration's
		}
	})
}

// publisher is a running ffmpeg or gst-launch publishing into the server.
type publisher struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	err  error
}

func startPublisher(t *testing.T, name string, args ...string) *publisher {
	t.Helper()
	p := &publisher{cmd: exec.Command(name, args...), out: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.stop)
	return p
}

// stop ends the publisher as a user would (SIGINT), then for good.
func (p *publisher) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// ffmpegPublish publishes clip (looped forever unless once) to url.
func ffmpegPublish(t *testing.T, clip, url, transport string, once bool) *publisher {
	args := []string{"-v", "error", "-re"}
	if !once {
		args = append(args, "-stream_loop", "-1")
	}
	args = append(args, "-i", clip, "-c", "copy", "-f", "rtsp", "-rtsp_transport", transport, url)
	return startPublisher(t, "ffmpeg", args...)
}

// waitPublished waits until path is live, failing with the publisher's
// output if it does not come or the publisher exits.
func (pa *testApp) waitPublished(t *testing.T, p *publisher, path string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if slices.Contains(pa.app.Publications(), path) {
			return
		}
		select {
		case <-p.done:
			t.Fatalf("publisher exited before %s was live: %v\n%s", path, p.err, p.out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("%s not published within 15 s\n%s", path, p.out.String())
}

// publishClips are the codec pairs ffmpeg publishes, made here with keyframes
// every second.
var publishClips = []struct {
	name string
	args []string
	want []string // ffprobe's summary of what a reader sees
}{
	{"h264_aac.mp4", e2eJoin(e2eVideoIn("320x240"), e2eToneIn(44100),
		[]string{"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"}),
		[]string{"audio aac 44100 Hz", "video h264 320x240"}},
	{"h265_opus.mkv", e2eJoin(e2eVideoIn("352x288"), e2eToneIn(48000),
		[]string{"-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error:keyint=25", "-c:a", "libopus", "-shortest"}),
		[]string{"audio opus 48000 Hz", "video hevc 352x288"}},
	{"mjpeg_pcmu.mkv", e2eJoin(e2eVideoIn("320x240"), e2eToneIn(8000),
		// Two quantisation tables: ffmpeg's RTP/JPEG reader refuses the
		// 64-byte table ffmpeg's own sender puts in when there is one.
		[]string{"-c:v", "mjpeg", "-huffman", "default", "-force_duplicated_matrix", "1", "-pix_fmt", "yuvj420p", "-q:v", "5", "-c:a", "pcm_mulaw", "-shortest"}),
		[]string{"audio pcm_mulaw 8000 Hz", "video mjpeg 320x240"}},
}

// TestPublishAndRelay: ffmpeg publishes each codec pair over UDP and over
// TCP to a path nobody configured; ffprobe and GStreamer read the same path
// at once and see and decode the published codecs.
func TestPublishAndRelay(t *testing.T) {
	e2eRequireTools(t, "ffmpeg", "ffprobe", "gst-launch-1.0", "timeout")
	pa := pubStart(t, nil, PublishOptions{})
	dir := t.TempDir()
	for _, c := range publishClips {
		clip := e2eMakeClip(t, dir, c.name, c.args)
		for _, tr := range []string{"udp", "tcp"} {
			readTr := map[string]string{"udp": "tcp", "tcp": "udp"}[tr]
			// One pair at a time: six publishers and their decoders at
			// once would starve the other end-to-end tests on two cores.
			t.Run(c.name+"/"+tr, func(t *testing.T) {
				path := "live/" + strings.TrimSuffix(c.name, filepath.Ext(c.name)) + "/" + tr
				url := pa.base + path
				p := ffmpegPublish(t, clip, url, tr, false)
				pa.waitPublished(t, p, path)
				probe, err := e2eFFprobe(context.Background(), url, "-rtsp_transport", readTr)
				if err != nil {
					t.Fatal(err)
				}
				if got := e2eSummary(probe.Streams); !slices.Equal(got, c.want) {
					t.Fatalf("ffprobe over %s sees %v, want %v", readTr, got, c.want)
				}
				g := e2eGstDecode(t, url, tr, 2, 3*time.Second)
				if len(g.problems) > 0 {
					t.Fatalf("GStreamer over %s: %v\n%s", tr, g.problems, g.output)
				}
				if len(g.buffers) != 2 {
					t.Fatalf("GStreamer over %s decoded %v: want both tracks\n%s", tr, g.buffers, g.output)
				}
				for sink, n := range g.buffers {
					if n < 5 {
						t.Fatalf("GStreamer over %s: %s got only %d buffers", tr, sink, n)
					}
				}
				if !strings.Contains(pa.logs.String(), "path="+path+" publisher=") {
					t.Fatalf("no log line naming the published path and its publisher")
				}
			})
		}
	}
}
