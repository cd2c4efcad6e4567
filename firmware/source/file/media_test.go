package file

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Test media are made by ffmpeg at test time, once per run, in a temporary
// folder. A missing ffmpeg fails the tests.

var (
	mediaDir  string
	mediaMu   sync.Mutex
	mediaMade = map[string]string{}
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rtspcam-file-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mediaDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	lavfiVideo = "testsrc2=size=160x120:rate=25:duration=2"
	lavfiAudio = "sine=frequency=440:sample_rate=%d:duration=2"
)

// mediaSpecs are the ffmpeg output options of each test file (inputs are a
// 2-second 25 fps test picture and a sine tone).
var mediaSpecs = map[string]struct {
	rate int // audio input rate, 0 for no audio
	args []string
}{
	"h264_aac.mp4":   {48000, []string{"-c:v", "libx264", "-g", "10", "-bf", "2", "-c:a", "aac", "-ac", "2"}},
	"h265_aac.mp4":   {44100, []string{"-c:v", "libx265", "-tag:v", "hvc1", "-x265-params", "keyint=10:log-level=none", "-c:a", "aac", "-ac", "1"}},
	"mjpeg_pcmu.mov": {8000, []string{"-c:v", "mjpeg", "-c:a", "pcm_mulaw", "-ac", "1", "-f", "mov"}},
	"mpeg4_alaw.mov": {16000, []string{"-c:v", "mpeg4", "-g", "12", "-c:a", "pcm_alaw", "-ac", "2", "-f", "mov"}},
	"h264_aac.ts":    {48000, []string{"-c:v", "libx264", "-g", "10", "-bf", "2", "-c:a", "aac", "-ac", "2", "-f", "mpegts"}},
	"h265_opus.ts":   {48000, []string{"-c:v", "libx265", "-x265-params", "keyint=10:log-level=none", "-c:a", "libopus", "-ac", "2", "-f", "mpegts"}},
	"mpeg4.ts":       {0, []string{"-c:v", "mpeg4", "-g", "12", "-f", "mpegts"}},
	"h264_opus.mp4":  {48000, []string{"-c:v", "libx264", "-g", "25", "-c:a", "libopus", "-ac", "1"}},
	"raw.h264":       {0, []string{"-c:v", "libx264", "-g", "10", "-bf", "2", "-f", "h264"}},
	"raw.hevc":       {0, []string{"-c:v", "libx265", "-x265-params", "keyint=10:log-level=none", "-f", "hevc"}},
	"frames.mjpeg":   {0, []string{"-c:v", "mjpeg", "-f", "mjpeg"}},
	"h264_aac.m2ts":  {48000, []string{"-c:v", "libx264", "-g", "10", "-c:a", "aac", "-f", "mpegts", "-mpegts_m2ts_mode", "1"}},
	"h264_aac.mov":   {48000, []string{"-c:v", "libx264", "-g", "10", "-c:a", "aac", "-f", "mov"}},
	"h264_ctts1.mp4": {0, []string{"-c:v", "libx264", "-g", "10", "-bf", "2", "-movflags", "+negative_cts_offsets"}},
}

// media returns the path of the named test file, making it on first use.
func media(t testing.TB, name string) string {
	t.Helper()
	mediaMu.Lock()
	defer mediaMu.Unlock()
	if p, ok := mediaMade[name]; ok {
		return p
	}
	spec, ok := mediaSpecs[name]
	if !ok {
		t.Fatalf("no spec for %s", name)
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatalf("ffmpeg is required for this test: %v", err)
	}
	p := filepath.Join(mediaDir, name)
	args := []string{"-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", lavfiVideo}
	if spec.rate > 0 {
		args = append(args, "-f", "lavfi", "-i", fmt.Sprintf(lavfiAudio, spec.rate))
	}
	args = append(args, spec.args...)
	args = append(args, p)
	out, err := exec.Command("ffmpeg", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg %s: %v\n%s", name, err, out)
	}
	mediaMade[name] = p
	return p
}

// probePacket is one packet as ffprobe lists it.
type probePacket struct {
	stream int
	key    bool
	pts    time.Duration // from the format's start time; -1 when unknown
}

// probe returns ffprobe's packets (in file order) and the format duration.
func probe(t testing.TB, path string) ([]probePacket, time.Duration) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "packet=stream_index,flags,pts_time",
		"-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var pkts []probePacket
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 3 {
			continue
		}
		s, err := strconv.Atoi(f[0])
		if err != nil {
			t.Fatalf("ffprobe line %q", line)
		}
		p := probePacket{stream: s, key: strings.Contains(f[2], "K"), pts: -1}
		if sec, err := strconv.ParseFloat(f[1], 64); err == nil {
			p.pts = time.Duration(sec*1e6) * time.Microsecond
		}
		pkts = append(pkts, p)
	}
	if start := probeDuration(t, path, "format=start_time"); start > 0 {
		for i := range pkts {
			if pkts[i].pts >= 0 {
				pkts[i].pts -= start
			}
		}
	}
	return pkts, probeDuration(t, path, "format=duration")
}

// probeDuration returns one duration entry of ffprobe.
func probeDuration(t testing.TB, path, entry string, extra ...string) time.Duration {
	t.Helper()
	args := append([]string{"-v", "error"}, extra...)
	args = append(args, "-show_entries", entry, "-of", "default=nw=1:nk=1", path)
	out, err := exec.Command("ffprobe", args...).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	if strings.TrimSpace(string(out)) == "N/A" {
		return -1 // raw streams have no duration
	}
	sec, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		t.Fatalf("ffprobe %s %s: %q", path, entry, out)
	}
	return time.Duration(sec * float64(time.Second))
}

// readAll reads every sample, copying the AUs.
func readAll(t testing.TB, d Demuxer) []Sample {
	t.Helper()
	var out []Sample
	for {
		s, err := d.ReadSample()
		if err != nil {
			if err.Error() == "EOF" {
				return out
			}
			t.Fatalf("ReadSample after %d samples: %v", len(out), err)
		}
		c := s
		c.AU = make([][]byte, len(s.AU))
		for i, b := range s.AU {
			c.AU[i] = bytes.Clone(b)
		}
		out = append(out, c)
	}
}
