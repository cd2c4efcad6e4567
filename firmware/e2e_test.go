package firmware

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// lavfi inputs for the clips: a 5 s moving picture at 25 fps and a tone.
func e2eVideoIn(size string) []string {
	return []string{"-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=25:duration=5"}
}

func e2eToneIn(rate int) []string {
	return []string{"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:sample_rate=%d:duration=5", rate)}
}

func e2eJoin(parts ...[]string) []string { return slices.Concat(parts...) }

// e2eClips are the media files the end-to-end tests serve: one per codec
// pair a camera or an archive is likely to hold, made by ffmpeg here.
var e2eClips = []struct {
	name string
	args []string
}{
	{"h264_aac.mp4", e2eJoin(e2eVideoIn("320x240"), e2eToneIn(44100),
		[]string{"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"})},
	{"h265_aac.mp4", e2eJoin(e2eVideoIn("352x288"), e2eToneIn(48000),
		[]string{"-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error:keyint=25", "-tag:v", "hvc1", "-c:a", "aac", "-shortest"})},
	{"mjpeg_pcmu.mov", e2eJoin(e2eVideoIn("320x240"), e2eToneIn(8000),
		[]string{"-c:v", "mjpeg", "-huffman", "default", "-pix_fmt", "yuvj420p", "-q:v", "5", "-c:a", "pcm_mulaw", "-shortest"})},
	{"mpeg4_pcma.mov", e2eJoin(e2eVideoIn("320x240"), e2eToneIn(8000),
		[]string{"-c:v", "mpeg4", "-g", "25", "-c:a", "pcm_alaw", "-shortest"})},
	{"h264_aac.ts", e2eJoin(e2eVideoIn("256x144"), e2eToneIn(48000),
		[]string{"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"})},
	{"video.h264", e2eJoin(e2eVideoIn("320x240"),
		[]string{"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", "-f", "h264"})},
}

// e2eTestPattern is what the built-in test pattern must look like to a client.
var e2eTestPattern = []e2eStream{
	{Type: "video", Codec: "mjpeg", Width: 640, Height: 480},
	{Type: "audio", Codec: "pcm_mulaw", SampleRate: "8000"},
}

// TestE2E plays every kind of media file, and the test pattern, to real
// clients: ffprobe and GStreamer over UDP and TCP, and ffmpeg recording
// ten seconds to a file.
func TestE2E(t *testing.T) {
	e2eRequireTools(t, "ffmpeg", "ffprobe", "gst-launch-1.0", "timeout")
	dir := t.TempDir()

	type source struct {
		path string      // URL path
		want []e2eStream // what ffprobe says of the file itself
	}
	sources := []source{{"testpattern", e2eTestPattern}}
	for _, c := range e2eClips {
		file := e2eMakeClip(t, dir, c.name, c.args)
		p, err := e2eFFprobe(context.Background(), file)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, source{c.name, p.Streams})
	}
	cfg := testConfig(t, dir)
	cfg.LoopNums = -1
	ta := startTestApp(t, cfg, nil)
	app, base := ta.app, ta.base

	// The two ten-second recordings first, so they overlap the rest.
	t.Run("record/h264_aac.mp4", func(t *testing.T) {
		t.Parallel()
		e2eRecord(t, base+"h264_aac.mp4", filepath.Join(t.TempDir(), "out.mp4"), []string{"h264", "aac"}, nil)
	})
	t.Run("record/testpattern", func(t *testing.T) {
		t.Parallel()
		// MP4 has no sample entry for G.711 (ffmpeg: "codec not currently
		// supported in container"); QuickTime, its parent format, has.
		// The pattern leaves out frames when it falls far behind the clock (a
		// loaded machine): those are not in the recording either.
		skipped := app.pattern.Runner.(patternRunner).p.Skipped
		e2eRecord(t, base+"testpattern", filepath.Join(t.TempDir(), "out.mov"), []string{"mjpeg", "pcm_mulaw"}, skipped)
	})

	for _, src := range sources {
		for _, proto := range []string{"udp", "tcp"} {
			t.Run("ffprobe/"+proto+"/"+src.path, func(t *testing.T) {
				t.Parallel()
				p, err := e2eFFprobe(context.Background(), base+src.path, "-rtsp_transport", proto)
				if err != nil {
					t.Fatal(err)
				}
				got, want := e2eSummary(p.Streams), e2eSummary(src.want)
				if !slices.Equal(got, want) {
					t.Errorf("ffprobe over %s reports\n  %q\nthe file itself is\n  %q", proto, got, want)
				}
			})
		}
	}
	for _, src := range sources {
		for _, proto := range []string{"udp", "tcp"} {
			t.Run("gstreamer/"+proto+"/"+src.path, func(t *testing.T) {
				t.Parallel()
				e2eGstCheck(t, base+src.path, proto, src.want)
			})
		}
	}
}

// e2eGstCheck decodes url with GStreamer for a few seconds and checks each
// track decoded to raw frames or samples of the expected size and rate.
func e2eGstCheck(t *testing.T, url, proto string, want []e2eStream) {
	const play = 4 * time.Second
	r := e2eGstDecode(t, url, proto, len(want), play)
	var sizes, rates []string
	for _, s := range want {
		if s.Type == "video" {
			sizes = append(sizes, fmt.Sprintf("%dx%d", s.Width, s.Height))
		} else {
			rates = append(rates, s.SampleRate)
		}
	}
	slices.Sort(sizes)
	slices.Sort(rates)
	if len(r.problems) > 0 {
		t.Errorf("GStreamer over %s complained:\n%q", proto, r.problems)
	}
	if !slices.Equal(r.sizes, sizes) {
		t.Errorf("GStreamer over %s decoded video of sizes %q, want %q", proto, r.sizes, sizes)
	}
	if !slices.Equal(r.rates, rates) {
		t.Errorf("GStreamer over %s decoded audio at rates %q, want %q", proto, r.rates, rates)
	}
	// Every track must have reached its sink, and for a good part of the
	// play: a second of 25 fps video is 25 buffers, audio comes faster.
	if len(r.buffers) != len(want) {
		t.Errorf("GStreamer over %s: %d sinks got buffers (%v), want %d", proto, len(r.buffers), r.buffers, len(want))
	}
	for sink, n := range r.buffers {
		if n < 25 {
			t.Errorf("GStreamer over %s: %s got %d decoded buffers in %v", proto, sink, n, play)
		}
	}
	if len(r.teardown) > 0 {
		t.Logf("GStreamer over %s, benign (see e2eGstDecode): %q", proto, r.teardown)
	}
	if t.Failed() {
		t.Logf("gst-launch-1.0 output:\n%s", r.output)
	}
}

// e2eRecord records ten seconds of url with ffmpeg (TCP, stream copy) and
// checks the recording's length, codecs and frame count. skipped, when not
// nil, counts the frames the live source left out.
func e2eRecord(t *testing.T, url, out string, codecs []string, skipped func() uint64) {
	const (
		seconds = 10
		fps     = 25
	)
	var skippedBefore uint64
	if skipped != nil {
		skippedBefore = skipped()
	}
	rec, err := e2eRun(context.Background(), 40*time.Second, "ffmpeg", "-v", "error", "-y",
		"-rtsp_transport", "tcp", "-i", url, "-t", strconv.Itoa(seconds), "-c", "copy", out)
	if err != nil {
		t.Fatalf("ffmpeg recording %s: %v\n%s", url, err, rec)
	}
	p, err := e2eFFprobe(context.Background(), out, "-count_packets")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var video *e2eStream
	for i, s := range p.Streams {
		got = append(got, s.Codec)
		if s.Type == "video" {
			video = &p.Streams[i]
		}
	}
	if !slices.Equal(got, codecs) {
		t.Errorf("recording holds %q, want %q", got, codecs)
	}
	dur := e2eFloat(t, "recording duration", p.Format.Duration)
	if math.Abs(dur-seconds) > 0.5 {
		t.Errorf("recording lasts %.3f s, want %d ± 0.5", dur, seconds)
	}
	if video == nil {
		t.Fatalf("recording has no video: %v", p.Streams)
	}
	frames := e2eFloat(t, "video packets", video.Packets)
	left := 0.0
	if skipped != nil {
		left = float64(skipped() - skippedBefore)
	}
	// Frames the source left out while ffmpeg was connecting are not in
	// the window: they may, not must, be missing.
	if want := fps * dur; frames > want+3 || frames < want-left-3 {
		t.Errorf("recording has %.0f video frames in %.3f s, want %.0f (−%.0f left out by the source) ± 3 at %d fps", frames, dur, want, left, fps)
	}
	t.Logf("recorded %.3f s, %.0f video frames, streams %v", dur, frames, e2eSummary(p.Streams))
}
