//go:build ffmpeg && cgo

package source

import (
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"rtspcam/firmware/source/file"
	"rtspcam/hwenc"
	"rtspcam/hwenc/ffmpeg"
)

var withFFmpeg = &hwenc.Selector{Backends: []hwenc.Backend{ffmpeg.Backend{}, hwenc.Soft{}}}

// makeAVClip writes a 640x480 25 fps H.264 (B-frames) + AAC file of secs
// seconds and returns its path.
func makeAVClip(tb testing.TB, secs int) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "clip.mp4")
	out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000", "-t", strconv.Itoa(secs),
		"-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac", path).CombinedOutput()
	if err != nil {
		tb.Fatalf("ffmpeg is required to make the clip: %v\n%s", err, out)
	}
	return path
}

// openTranscoded opens path with its video transcoded to p.
func openTranscoded(tb testing.TB, path string, p hwenc.VideoParams) *VideoTranscoder {
	tb.Helper()
	d, err := file.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	info, track, ok, err := ProbeVideo(d, withFFmpeg)
	if err != nil || !ok {
		tb.Fatal(ok, err)
	}
	if info != (VideoInfo{Codec: hwenc.H264, Width: 640, Height: 480, FPS: 25}) {
		tb.Fatalf("probed %+v", info)
	}
	tr, err := TranscodeVideo(d, track, info, withFFmpeg, p)
	if err != nil {
		tb.Fatal(err)
	}
	return tr
}

// readLoop reads one sample, rewinding at the end of the file.
func readLoop(tb testing.TB, tr *VideoTranscoder) file.Sample {
	s, err := tr.ReadSample()
	if errors.Is(err, io.EOF) {
		if _, err := tr.Seek(0); err != nil {
			tb.Fatal(err)
		}
		s, err = tr.ReadSample()
	}
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Transcoding a file allocates nothing per sample once running, rewinds
// included.
func TestVideoTranscoderAllocations(t *testing.T) {
	path := makeAVClip(t, 2)
	tr := openTranscoded(t, path, hwenc.VideoParams{Codec: hwenc.H264, Width: 320, Height: 240, FPS: 25, Bitrate: 200})
	defer tr.Close()
	for range 200 {
		readLoop(t, tr)
	}
	if n := testing.AllocsPerRun(100, func() { readLoop(t, tr) }); n != 0 {
		t.Errorf("%.2f allocations per sample", n)
	}
}

// BenchmarkFileTranscode is the per-session cost of transcoding a file:
// the CPU one second of 640x480 25 fps H.264 takes (cpu-s/s: the share
// of a core a session holds).
func BenchmarkFileTranscode(b *testing.B) {
	path := makeAVClip(b, 2)
	for _, c := range []struct {
		name string
		p    hwenc.VideoParams
	}{
		{"H264-640x480-to-H264-300k", hwenc.VideoParams{Codec: hwenc.H264, Width: 640, Height: 480, FPS: 25, Bitrate: 300}},
		{"H264-640x480-to-MJPEG", hwenc.VideoParams{Codec: hwenc.MJPEG, Width: 640, Height: 480, FPS: 25}},
		{"H264-640x480-to-MJPEG-320x240", hwenc.VideoParams{Codec: hwenc.MJPEG, Width: 320, Height: 240, FPS: 25}},
	} {
		b.Run(c.name, func(b *testing.B) {
			tr := openTranscoded(b, path, c.p)
			defer tr.Close()
			b.ReportAllocs()
			var media time.Duration
			for b.Loop() {
				s := readLoop(b, tr)
				if s.Track == 0 {
					media += 40 * time.Millisecond
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/media.Seconds(), "cpu-s/s")
		})
	}
}
