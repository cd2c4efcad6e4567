package firmware

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"rtspcam/drivers/audio/audiotest"
	"rtspcam/drivers/pulse/pulsetest"
	"rtspcam/firmware/source"
	"rtspcam/firmware/source/mic"
	"rtspcam/hwenc/ffmpeg"
)

// dominant scans 100…3500 Hz in 25 Hz steps for the strongest frequency.
func dominant(pcm []int16, rate int) (float64, float64) {
	best, bestA := 0.0, 0.0
	for f := 100.0; f <= 3500; f += 25 {
		if a := audiotest.Level(pcm, rate, f); a > bestA {
			best, bestA = f, a
		}
	}
	return best, bestA
}

func startAudioApp(t *testing.T) (string, *lockedBuffer, *App) {
	t.Helper()
	ta := startTestApp(t, testConfig(t, t.TempDir()), nil)
	return ta.base, ta.logs, ta.app
}

// TestAudioDeviceCapture plays a 1 kHz tone into a real PulseAudio null
// sink and records rtspcam's stream of its monitor with ffmpeg, in every
// soft codec: the recording has the tone at the level played, 5 s long,
// packets back to back.
func TestAudioDeviceCapture(t *testing.T) {
	e2eRequireTools(t, "ffmpeg", "ffprobe", "pacat", "pactl")
	srv := pulsetest.Start(t, "test")
	srv.Setenv(t)
	srv.PlayTone(t, 1000, 0.5, 60)
	base, logs, app := startAudioApp(t)

	cases := []struct {
		query, codec string
		rate, ch     int
		minLevel     float64
	}{
		{"", "pcm_mulaw", 8000, 2, 0.45}, // the manual's defaults
		{"?ae=pcma&ch=1", "pcm_alaw", 8000, 1, 0.45},
		{"?ae=PCMU&sr=16000&ch=1", "pcm_mulaw", 16000, 1, 0.45},
		{"?ae=G722", "adpcm_g722", 16000, 1, 0.4},
		{"?ae=G726-32", "adpcm_g726le", 8000, 1, 0.4},
	}
	if ffmpeg.Available {
		// AAC and Opus come from the FFmpeg backend when it is built in.
		cases = append(cases, struct {
			query, codec string
			rate, ch     int
			minLevel     float64
		}{"?ae=AAC&sr=16000&ch=1", "aac", 16000, 1, 0.4}, struct {
			query, codec string
			rate, ch     int
			minLevel     float64
		}{"?ae=opus", "opus", 48000, 2, 0.4})
	}
	// All recordings at once (ffmpeg mostly waits on the network), so the
	// test takes the 5 s once; one recording per case with two outputs: the
	// packets as received (their timestamps) and the audio decoded by
	// FFmpeg.
	type result struct {
		dir string
		out []byte
		err error
	}
	results := make([]result, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		dir := t.TempDir()
		url := base + "audiodevice=test.monitor" + c.query
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := e2eRun(context.Background(), 20*time.Second, "ffmpeg", "-v", "error", "-rtsp_transport", "tcp",
				"-i", url, "-t", "5", "-c", "copy", "-f", "framecrc", filepath.Join(dir, "packets.txt"),
				"-t", "5", "-ac", "1", "-f", "s16le", filepath.Join(dir, "pcm.raw"))
			results[i] = result{dir, out, err}
		}()
	}
	wg.Wait()
	// Capture-to-RTP latency as measured by each source (for BENCHMARKS.md;
	// a figure, not a pass mark).
	app.micsMu.Lock()
	for key, l := range app.mics {
		if src, ok := l.Runner.(*mic.Source); ok {
			p50, p99, n := src.Latency()
			t.Logf("capture-to-RTP latency %s: p50 %v p99 %v over %d frames", key, p50, p99, n)
		}
	}
	app.micsMu.Unlock()
	for i, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			url := base + "audiodevice=test.monitor" + c.query
			r := results[i]
			if r.err != nil {
				t.Fatalf("ffmpeg record: %v\n%s", r.err, r.out)
			}
			crc, raw := filepath.Join(r.dir, "packets.txt"), filepath.Join(r.dir, "pcm.raw")
			out, err := e2eRun(context.Background(), 10*time.Second, "ffprobe", "-v", "error", "-rtsp_transport", "tcp",
				"-show_entries", "stream=codec_name,sample_rate,channels", "-of", "csv=p=0", url)
			if err != nil {
				t.Fatalf("ffprobe: %v\n%s", err, out)
			}
			if got, want := strings.TrimSpace(string(out)), fmt.Sprintf("%s,%d,%d", c.codec, c.rate, c.ch); got != want {
				t.Fatalf("ffprobe says %q, want %q", got, want)
			}
			// Timestamps continuous: each packet starts where the last ended.
			txt, err := os.ReadFile(crc)
			if err != nil {
				t.Fatal(err)
			}
			var tb float64
			// FFmpeg leaves Opus packets' durations unknown (0): for those
			// every packet must follow the last by the same step.
			var first, end, prev, step int64
			n := 0
			for _, ln := range strings.Split(string(txt), "\n") {
				if num, ok := strings.CutPrefix(ln, "#tb 0: 1/"); ok {
					d, _ := strconv.Atoi(strings.TrimSpace(num))
					tb = 1 / float64(d)
				}
				f := strings.Split(ln, ",")
				if strings.HasPrefix(ln, "#") || len(f) < 6 {
					continue
				}
				pts, _ := strconv.ParseInt(strings.TrimSpace(f[2]), 10, 64)
				dur, _ := strconv.ParseInt(strings.TrimSpace(f[3]), 10, 64)
				switch {
				case n == 0:
					first = pts
				case dur > 0 && pts != end:
					t.Fatalf("packet %d at %d, the previous ended at %d (time base %g s): a gap", n, pts, end, tb)
				case dur == 0 && step == 0:
					step = pts - prev
				case dur == 0 && pts-prev != step:
					t.Fatalf("packet %d at %d, %d after the previous; the stream's step is %d: a gap", n, pts, pts-prev, step)
				}
				if dur == 0 {
					dur = step
				}
				prev, end = pts, pts+dur
				n++
			}
			if total := float64(end-first) * tb; total < 4.9 || total > 5.1 {
				t.Errorf("recorded %.3f s of audio in %d packets, want 5 s", total, n)
			}
			b, err := os.ReadFile(raw)
			if err != nil {
				t.Fatal(err)
			}
			pcm := make([]int16, len(b)/2)
			for i := range pcm {
				pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
			}
			if d := float64(len(pcm)) / float64(c.rate); d < 4.9 || d > 5.1 {
				t.Errorf("decoded %.3f s", d)
			}
			// Judged per 200 ms window: the dominant frequency and its
			// level in most windows (a loaded CI machine may starve the
			// player now and then, and the sink then plays silence).
			w, good, total := c.rate/5, 0, 0
			var worst string
			for i := 0; i+w <= len(pcm); i += w {
				total++
				f, a := dominant(pcm[i:i+w], c.rate)
				if f == 1000 && a >= c.minLevel && a <= 0.55 {
					good++
				} else if worst == "" {
					worst = fmt.Sprintf("window %d: %.0f Hz at %.3f", total-1, f, a)
				}
			}
			if good < total*8/10 {
				t.Errorf("1 kHz at 0.5 of full scale in %d of %d windows of 200 ms (first miss: %s)", good, total, worst)
			}
		})
	}

	// Every capture stops after its last reader (and the linger): no
	// record stream is left on the sound server.
	t.Run("captures stop", func(t *testing.T) {
		deadline := time.Now().Add(source.DefaultLinger + 5*time.Second)
		for {
			out, err := srv.Command("pactl", "list", "short", "source-outputs").CombinedOutput()
			if err != nil {
				t.Fatalf("pactl: %v: %s", err, out)
			}
			if strings.TrimSpace(string(out)) == "" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("record streams still open after the readers left:\n%s", out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("missing and refused", func(t *testing.T) {
		out, err := e2eRun(context.Background(), 10*time.Second, "ffprobe", "-v", "error", base+"audiodevice=nope")
		if err == nil || !strings.Contains(string(out), "404") {
			t.Errorf("missing device: %v %s", err, out)
		}
		if !strings.Contains(logs.String(), "test.monitor") {
			t.Errorf("the 404 log line does not name the devices that exist:\n%s", logs.String())
		}
		out, err = e2eRun(context.Background(), 10*time.Second, "ffprobe", "-v", "error", base+"audiodevice9")
		if err == nil || !strings.Contains(string(out), "404") {
			t.Errorf("audiodevice9: %v %s", err, out)
		}
		if !ffmpeg.Available {
			out, err = e2eRun(context.Background(), 10*time.Second, "ffprobe", "-v", "error", base+"audiodevice?ae=AAC")
			if err == nil || !strings.Contains(string(out), "415") {
				t.Errorf("AAC without the FFmpeg build: %v %s", err, out)
			}
		}
		out, err = e2eRun(context.Background(), 10*time.Second, "ffprobe", "-v", "error", base+"audiodevice?sr=7")
		if err == nil || !strings.Contains(string(out), "400") {
			t.Errorf("sr=7: %v %s", err, out)
		}
	})
}
