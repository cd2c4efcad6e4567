package firmware

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"rtspcam/firmware/config"
)

// e2eRequireTools fails the test (never skips it) when a real client the
// end-to-end tests depend on is not installed.
func e2eRequireTools(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			t.Fatalf("%s is required by the end-to-end tests (see /work/shared/TESTING.md): %v", n, err)
		}
	}
}

func e2eFreePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// lockedBuffer collects the server's log from many goroutines so a failing
// test can show it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// e2eStartApp serves mediaDir with files looping forever and returns the
// base URL ("rtsp://127.0.0.1:PORT/").
func e2eStartApp(t *testing.T, mediaDir string) string {
	t.Helper()
	cfg := testConfig(t, mediaDir)
	cfg.LoopNums = -1
	return startTestApp(t, cfg, nil).base
}

// testApp is an App a test runs, its base URL and its log.
type testApp struct {
	app  *App
	base string        // rtsp://127.0.0.1:PORT/
	logs *lockedBuffer // info and up
}

// testConfig is the default configuration on a free RTSP port, serving
// mediaDir.
func testConfig(t *testing.T, mediaDir string) *config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.RTSPPort = e2eFreePort(t)
	cfg.MediaDir = mediaDir
	return cfg
}

// startTestApp runs cfg until the test ends and shows the server's log if
// the test failed. prepare, when not nil, runs between New and Start (to
// swap in fake devices or encoders).
func startTestApp(t *testing.T, cfg *config.Config, prepare func(*App)) *testApp {
	t.Helper()
	logs := &lockedBuffer{}
	app, err := New(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if err != nil {
		t.Fatal(err)
	}
	if prepare != nil {
		prepare(app)
	}
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		app.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	port := app.Addrs()[0].(*net.TCPAddr).Port
	return &testApp{app: app, base: fmt.Sprintf("rtsp://127.0.0.1:%d/", port), logs: logs}
}

// e2eRun runs a tool with a deadline and returns its combined output.
func e2eRun(ctx context.Context, timeout time.Duration, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return out, fmt.Errorf("%s: no answer within %v: %w", name, timeout, ctx.Err())
	}
	return out, err
}

// e2eMakeClip has ffmpeg write dir/name from lavfi sources.
func e2eMakeClip(t *testing.T, dir, name string, args []string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	full := append([]string{"-v", "error", "-y"}, args...)
	full = append(full, path)
	if out, err := e2eRun(context.Background(), time.Minute, "ffmpeg", full...); err != nil {
		t.Fatalf("ffmpeg making %s: %v\n%s", name, err, out)
	}
	return path
}

// e2eStream is what a user reads off ffprobe for one stream.
type e2eStream struct {
	Type       string `json:"codec_type"`
	Codec      string `json:"codec_name"`
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	SampleRate string `json:"sample_rate"`
	Packets    string `json:"nb_read_packets"`
	Duration   string `json:"duration"`
}

func (s e2eStream) String() string {
	if s.Type == "video" {
		return fmt.Sprintf("%s %s %dx%d", s.Type, s.Codec, s.Width, s.Height)
	}
	return fmt.Sprintf("%s %s %s Hz", s.Type, s.Codec, s.SampleRate)
}

type e2eProbe struct {
	Streams []e2eStream `json:"streams"`
	Format  struct {
		Duration string `json:"duration"`
	} `json:"format"`
}

// e2eFFprobe runs ffprobe with extra leading options on target (a file or
// a URL) and decodes its JSON answer.
func e2eFFprobe(ctx context.Context, target string, opts ...string) (e2eProbe, error) {
	args := append([]string{"-v", "error"}, opts...)
	args = append(args,
		"-show_entries", "stream=codec_type,codec_name,width,height,sample_rate,nb_read_packets,duration:format=duration",
		"-of", "json", target)
	out, err := e2eRun(ctx, 30*time.Second, "ffprobe", args...)
	if err != nil {
		return e2eProbe{}, fmt.Errorf("ffprobe %s: %w\n%s", target, err, out)
	}
	var p e2eProbe
	if err := json.Unmarshal(out, &p); err != nil {
		return e2eProbe{}, fmt.Errorf("ffprobe %s: %w\n%s", target, err, out)
	}
	return p, nil
}

// e2eSummary lists the streams as sorted strings, so two probes compare
// regardless of the order the tracks come in.
func e2eSummary(streams []e2eStream) []string {
	var out []string
	for _, s := range streams {
		out = append(out, s.String())
	}
	slices.Sort(out)
	return out
}

func e2eFloat(t *testing.T, what, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%s: %q is not a number", what, s)
	}
	return v
}

// e2eGstResult is what one gst-launch run decoded.
type e2eGstResult struct {
	sizes    []string       // "WxH" of every raw video caps seen, deduplicated and sorted
	rates    []string       // sample rates of every raw audio caps seen, deduplicated and sorted
	buffers  map[string]int // decoded buffers reaching each fakesink
	problems []string       // ERROR and WARNING lines while playing
	teardown []string       // known-benign gst-launch complaints, see below
	output   string
}

var (
	// Raw caps show up both as pad notifications ("caps = video/x-raw, …")
	// and, backslash-escaped, in fakesink's caps event; gst-launch does not
	// always print the former, so both are read (escapes removed first).
	gstVideoCaps = regexp.MustCompile(`video/x-raw, .*?width=\(int\)(\d+), height=\(int\)(\d+)`)
	gstAudioCaps = regexp.MustCompile(`audio/x-raw, .*?[ ,]rate=\(int\)(\d+)`)
	gstChain     = regexp.MustCompile(`GstFakeSink:(fakesink\d+): last-message = chain `)
)

// e2eGstDecode plays url with rtspsrc over proto ("udp" or "tcp", which may
// be followed by more rtspsrc properties: "tcp tls-validation-flags=0"), decodes
// each of its branches tracks to a fakesink for the given time, then stops
// GStreamer with SIGINT (and EOS, -e), as a user at a terminal would.
func e2eGstDecode(t *testing.T, url, proto string, branches int, d time.Duration) e2eGstResult {
	t.Helper()
	secs := strconv.Itoa(int(d / time.Second))
	args := []string{"-k", "2", "-s", "INT", secs, "gst-launch-1.0", "-e", "-v",
		"rtspsrc", "location=" + url, "name=s"}
	props := strings.Fields(proto)
	args = append(args, "protocols="+props[0])
	args = append(args, props[1:]...)
	for range branches {
		args = append(args, "s.", "!", "decodebin", "!", "queue", "!", "fakesink", "silent=false")
	}
	out, err := e2eRun(context.Background(), d+20*time.Second, "timeout", args...)
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.ExitCode() == 124:
		// Stopped by our SIGINT, the expected way out of a live play.
	default:
		t.Fatalf("gst-launch-1.0 %s over %s: %v\n%s", url, proto, err, out)
	}
	r := e2eGstResult{buffers: map[string]int{}, output: string(out)}
	ended := false
	for _, line := range strings.Split(string(out), "\n") {
		caps := strings.ReplaceAll(line, `\`, "")
		if m := gstVideoCaps.FindStringSubmatch(caps); m != nil {
			r.sizes = append(r.sizes, m[1]+"x"+m[2])
		}
		if m := gstAudioCaps.FindStringSubmatch(caps); m != nil {
			r.rates = append(r.rates, m[1])
		}
		if m := gstChain.FindStringSubmatch(line); m != nil {
			r.buffers[m[1]]++
		}
		if strings.HasPrefix(line, "Execution ended after") {
			ended = true
		}
		if strings.HasPrefix(line, "ERROR") || strings.HasPrefix(line, "WARNING") {
			switch {
			case ended:
				// Past EOS, while gst-launch sets the pipeline to NULL,
				// rtspsrc races its own PAUSE against its TEARDOWN and
				// connection close, now and then reporting "Could not
				// write to resource (Received end-of-file)". Playback
				// was over by then; note it without failing.
				r.teardown = append(r.teardown, line)
			case strings.Contains(line, "Delayed linking failed"):
				// gst-launch's parser checks its delayed links when
				// rtspsrc says no-more-pads, which can come before the
				// pad-added handler of the last stream ran; the link is
				// made right after. The per-sink buffer counts are the
				// real check that every track was linked and decoded.
				r.teardown = append(r.teardown, line)
			default:
				r.problems = append(r.problems, line)
			}
		}
	}
	slices.Sort(r.sizes)
	r.sizes = slices.Compact(r.sizes)
	slices.Sort(r.rates)
	r.rates = slices.Compact(r.rates)
	return r
}
