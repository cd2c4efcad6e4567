//go:build ffmpeg && cgo

package firmware

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"rtspcam/firmware/config"
)

// A file transcoded by URL parameters: MJPEG at 320x240, H.264 at a
// lower bitrate, G.711 µ-law and G.722 from its AAC. ffprobe sees what
// was asked, ffmpeg decodes it without complaint, the bitrate follows
// vb= and the audio keeps the file's tone.
func TestFileTranscode(t *testing.T) {
	e2eRequireTools(t, "ffmpeg", "ffprobe")
	dir := t.TempDir()
	makeAVClip(t, dir)
	base := e2eStartApp(t, dir)
	// The server's own goroutines (listeners, timers) start with the
	// first session: count after one.
	probeStreams(t, base+"clip.mp4")
	time.Sleep(200 * time.Millisecond)
	before := runtime.NumGoroutine()

	t.Run("sessions", func(t *testing.T) { fileTranscodeSessions(t, base, dir) })

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines after the sessions, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

// The <output> node asks as the URL does: a node for *.mp4 makes the
// file MJPEG at 320x240 with G.711 µ-law audio, and the URL still
// overrides it field by field.
func TestFileTranscodeByOutputNode(t *testing.T) {
	e2eRequireTools(t, "ffmpeg", "ffprobe")
	dir := t.TempDir()
	makeAVClip(t, dir)
	cfg := testConfig(t, dir)
	cfg.Outputs = []config.Output{{URL: "*.mp4",
		Video: config.Video{Codec: config.VideoJPEG, Width: 320, Height: 240},
		Audio: config.Audio{Codec: config.AudioG711U, SampleRate: 8000, Channels: 1}}}
	base := startTestApp(t, cfg, nil).base + "clip.mp4"
	for q, want := range map[string]string{
		"":         "audio pcm_mulaw 8000 Hz,video mjpeg 320x240",
		"?ve=h264": "audio pcm_mulaw 8000 Hz,video h264 320x240",
		"?ae=G722": "audio adpcm_g722 16000 Hz,video mjpeg 320x240",
		"?w=640&h=480&ve=h264&ae=AAC&sr=48000&ch=2": "audio aac 48000 Hz,video h264 640x480",
	} {
		if got := strings.Join(probeStreams(t, base+q), ","); got != want {
			t.Errorf("%q: ffprobe sees %s, want %s", q, got, want)
		}
	}
}

// fileTranscodeSessions runs TestFileTranscode's sessions side by side.
func fileTranscodeSessions(t *testing.T, base, dir string) {
	t.Run("video", func(t *testing.T) {
		t.Parallel()
		if got, want := strings.Join(probeStreams(t, base+"clip.mp4?ve=mjpeg&w=320&h=240"), ","),
			"audio aac 48000 Hz,video mjpeg 320x240"; got != want {
			t.Errorf("ve=mjpeg&w=320&h=240: ffprobe sees %s, want %s", got, want)
		}
		decodeClean(t, base+"clip.mp4?ve=mjpeg&w=320&h=240", 2)
		st, err := os.Stat(filepath.Join(dir, "clip.mp4"))
		if err != nil {
			t.Fatal(err)
		}
		// 3 s of the file's video: the file's bytes less its 128 kbit/s audio.
		plain := (st.Size() - 4*128000/8) * 3 / 4
		codec, _, low := recordVideo(t, base+"clip.mp4?vb=200", 3)
		if codec != "h264 640x480" {
			t.Fatalf("vb=200: %s", codec)
		}
		t.Logf("3 s recorded: %d bytes as the file, %d bytes at vb=200", plain, low)
		if low*2 > plain || low < 30_000 {
			t.Errorf("vb=200: %d bytes in 3 s, the file's own %d", low, plain)
		}
		decodeClean(t, base+"clip.mp4?vb=200", 2)
	})

	t.Run("audio", func(t *testing.T) {
		t.Parallel()
		cases := []struct {
			query, want string
			rate        int
		}{
			{"?ae=PCMU", "pcm_mulaw,8000,1", 8000},
			{"?ae=PCMU&sr=16000", "pcm_mulaw,16000,1", 16000},
			{"?ae=G722", "adpcm_g722,16000,1", 16000},
		}
		for _, c := range cases {
			t.Run(c.query, func(t *testing.T) {
				t.Parallel()
				url := base + "clip.mp4" + c.query
				probe, err := e2eRun(context.Background(), 15*time.Second, "ffprobe", "-v", "error", "-rtsp_transport", "tcp",
					"-select_streams", "a", "-show_entries", "stream=codec_name,sample_rate,channels", "-of", "csv=p=0", url)
				if err != nil {
					t.Fatalf("%s: %v\n%s", c.query, err, probe)
				}
				if got := strings.TrimSpace(string(probe)); got != c.want {
					t.Errorf("%s: ffprobe says %q, want %q", c.query, got, c.want)
				}
				raw := filepath.Join(t.TempDir(), "pcm.raw")
				if out, err := e2eRun(context.Background(), 15*time.Second, "ffmpeg", "-v", "error", "-rtsp_transport", "tcp",
					"-i", url, "-map", "0:a", "-t", "2", "-ac", "1", "-f", "s16le", raw); err != nil {
					t.Fatalf("%s: %v\n%s", c.query, err, out)
				}
				b, err := os.ReadFile(raw)
				if err != nil {
					t.Fatal(err)
				}
				pcm := make([]int16, len(b)/2)
				for i := range pcm {
					pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
				}
				f, a := dominant(pcm[len(pcm)/4:], c.rate)
				if f != 1000 || a < 0.35 || a > 0.6 {
					t.Errorf("%s: dominant %.0f Hz at %.3f; the file has 1000 Hz at 0.5", c.query, f, a)
				}
			})
		}
	})

	// The parameters the file already meets leave every packet as it is.
	t.Run("untouched", func(t *testing.T) {
		t.Parallel()
		hashes := make([]string, 2)
		var wg sync.WaitGroup
		for i, q := range []string{"", "?ve=h264&w=640&h=480&fps=25&ae=AAC"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := e2eRun(context.Background(), 20*time.Second, "ffmpeg", "-v", "error", "-rtsp_transport", "tcp",
					"-i", base+"clip.mp4"+q, "-t", "2", "-c", "copy", "-f", "framemd5", "-")
				if err != nil {
					hashes[i] = fmt.Sprintf("error %v: %s", err, out)
					return
				}
				// Per stream (the interleaving follows arrival), the first
				// 30 packets' size and hash.
				per := map[string][]string{}
				for _, l := range strings.Split(string(out), "\n") {
					f := strings.Split(l, ",")
					if len(f) < 6 || strings.HasPrefix(l, "#") {
						continue
					}
					st := strings.TrimSpace(f[0])
					if len(per[st]) < 30 {
						per[st] = append(per[st], strings.TrimSpace(f[4])+" "+strings.TrimSpace(f[5]))
					}
				}
				if len(per["0"]) < 30 || len(per["1"]) < 30 {
					hashes[i] = fmt.Sprintf("too few packets: %d video, %d audio\n%s", len(per["0"]), len(per["1"]), out)
					return
				}
				hashes[i] = strings.Join(per["0"], "\n") + "\n" + strings.Join(per["1"], "\n")
			}()
		}
		wg.Wait()
		if hashes[0] != hashes[1] {
			t.Errorf("packets differ with matching parameters:\n%s\n---\n%s", hashes[0], hashes[1])
		}
	})

	// A seek in a transcoded file (PLAY with Range: npt=2-) starts at the
	// file's picture of 2 s, a key frame that decodes without errors.
	t.Run("seek", func(t *testing.T) {
		t.Parallel()
		grab := func(args ...string) []byte {
			t.Helper()
			full := append([]string{"-v", "error"}, args...)
			full = append(full, "-map", "0:v", "-frames:v", "1", "-s", "160x120", "-pix_fmt", "gray", "-f", "rawvideo", "-")
			out, err := e2eRun(context.Background(), 20*time.Second, "ffmpeg", full...)
			if err != nil || len(out) != 160*120 {
				t.Fatalf("ffmpeg %v: %v (%d bytes)\n%.500s", args, err, len(out), out)
			}
			return out
		}
		diff := func(a, b []byte) float64 {
			var sum int
			for i := range a {
				sum += max(int(a[i])-int(b[i]), int(b[i])-int(a[i]))
			}
			return float64(sum) / float64(len(a))
		}
		got := grab("-ss", "2", "-rtsp_transport", "tcp", "-i", base+"clip.mp4?vb=300")
		clip := filepath.Join(dir, "clip.mp4")
		at2, at1 := grab("-ss", "2", "-i", clip), grab("-ss", "1", "-i", clip)
		d2, d1 := diff(got, at2), diff(got, at1)
		t.Logf("first picture after Range npt=2-: mean luma difference %.1f from the file at 2 s, %.1f at 1 s", d2, d1)
		if d2 > 6 || d1 < 2*d2 {
			t.Errorf("the seek did not start at the file's picture of 2 s")
		}
	})

}
