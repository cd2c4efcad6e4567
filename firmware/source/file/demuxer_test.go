package file

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/aac"
	"rtspcam/rtsp/payload/g711"
	"rtspcam/rtsp/payload/h264"
	"rtspcam/rtsp/payload/h265"
	"rtspcam/rtsp/payload/mjpeg"
	"rtspcam/rtsp/payload/mpeg4v"
	"rtspcam/rtsp/payload/opus"
)

const frame = 40 * time.Millisecond

// checkFormat asserts what a user of each format needs to be present.
func checkFormat(t *testing.T, i int, f payload.Format, want string, rate, channels int) {
	t.Helper()
	switch f := f.(type) {
	case *h264.Format:
		if want != "h264" || len(f.SPS) == 0 || len(f.PPS) == 0 || f.SPS[0]&0x1F != 7 || f.PPS[0]&0x1F != 8 {
			t.Errorf("track %d: want %s, got h264 %+v", i, want, f)
		}
	case *h265.Format:
		if want != "h265" || len(f.VPS) == 0 || len(f.SPS) == 0 || len(f.PPS) == 0 || (f.SPS[0]>>1)&0x3F != 33 {
			t.Errorf("track %d: want %s, got h265 %+v", i, want, f)
		}
	case *mpeg4v.Format:
		if want != "mpeg4v" || len(f.Config) == 0 || f.ProfileLevelID == 0 {
			t.Errorf("track %d: want %s, got mpeg4v %+v", i, want, f)
		}
	case *mjpeg.Format:
		if want != "mjpeg" {
			t.Errorf("track %d: want %s, got mjpeg", i, want)
		}
	case *aac.Format:
		if want != "aac" || len(f.Config) < 2 || f.SampleRate != rate || f.Channels != channels || f.SizeLength != 13 || f.IndexLength != 3 || f.IndexDeltaLength != 3 {
			t.Errorf("track %d: want %s %d/%d, got aac %+v", i, want, rate, channels, f)
		}
	case *opus.Format:
		if want != "opus" || f.Channels != channels {
			t.Errorf("track %d: want %s %d ch, got opus %+v", i, want, channels, f)
		}
	case *g711.Format:
		if want != "pcmu" && want != "pcma" || f.MuLaw != (want == "pcmu") || f.SampleRate != rate || f.Channels != channels {
			t.Errorf("track %d: want %s %d/%d, got g711 %+v", i, want, rate, channels, f)
		}
	default:
		t.Errorf("track %d: want %s, got %T", i, want, f)
	}
}

type trackWant struct {
	codec    string
	rate     int
	channels int
}

func TestFiles(t *testing.T) {
	cases := []struct {
		name   string
		tracks []trackWant
	}{
		{"h264_aac.mp4", []trackWant{{"h264", 0, 0}, {"aac", 48000, 2}}},
		{"h264_aac.mov", []trackWant{{"h264", 0, 0}, {"aac", 48000, 1}}},
		{"h264_ctts1.mp4", []trackWant{{"h264", 0, 0}}},
		{"h265_aac.mp4", []trackWant{{"h265", 0, 0}, {"aac", 44100, 1}}},
		{"mjpeg_pcmu.mov", []trackWant{{"mjpeg", 0, 0}, {"pcmu", 8000, 1}}},
		{"mpeg4_alaw.mov", []trackWant{{"mpeg4v", 0, 0}, {"pcma", 16000, 2}}},
		{"h264_opus.mp4", []trackWant{{"h264", 0, 0}, {"opus", 0, 1}}},
		{"h264_aac.ts", []trackWant{{"h264", 0, 0}, {"aac", 48000, 2}}},
		{"h264_aac.m2ts", []trackWant{{"h264", 0, 0}, {"aac", 48000, 1}}},
		{"h265_opus.ts", []trackWant{{"h265", 0, 0}, {"opus", 0, 2}}},
		{"mpeg4.ts", []trackWant{{"mpeg4v", 0, 0}}},
		{"raw.h264", []trackWant{{"h264", 0, 0}}},
		{"raw.hevc", []trackWant{{"h265", 0, 0}}},
		{"frames.mjpeg", []trackWant{{"mjpeg", 0, 0}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := media(t, c.name)
			d, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			tracks := d.Tracks()
			if len(tracks) != len(c.tracks) {
				t.Fatalf("%d tracks, want %d", len(tracks), len(c.tracks))
			}
			for i, w := range c.tracks {
				checkFormat(t, i, tracks[i], w.codec, w.rate, w.channels)
			}
			checkAgainstProbe(t, path, d, c.tracks)
			checkSeek(t, d)
		})
	}
}

// checkAgainstProbe compares the samples with ffprobe's packets: counts
// (PCM: total duration), key flags, timestamp order and duration.
func checkAgainstProbe(t *testing.T, path string, d Demuxer, want []trackWant) {
	pkts, dur := probe(t, path)
	samples := readAll(t, d)
	if dur < 0 { // raw stream: ffprobe counts 25 fps frames
		dur = time.Duration(len(pkts)) * frame
	}
	if got := d.Duration(); got < dur-frame || got > dur+frame {
		t.Errorf("Duration %v, ffprobe %v", got, dur)
	}
	for i, w := range want {
		var probeKeys, keys []bool
		var probePTS, pts []time.Duration
		for _, p := range pkts {
			if p.stream == i {
				probeKeys = append(probeKeys, p.key)
				probePTS = append(probePTS, p.pts)
			}
		}
		var last Sample
		var pcmBytes int
		n := 0
		for _, s := range samples {
			if s.Track != i {
				continue
			}
			if len(s.AU) == 0 || len(s.AU[0]) == 0 {
				t.Fatalf("track %d sample %d: empty AU", i, n)
			}
			if n > 0 {
				if w.rate == 0 && w.codec != "opus" && s.DTS <= last.DTS {
					t.Errorf("track %d sample %d: DTS %v after %v", i, n, s.DTS, last.DTS)
				}
				if (w.rate != 0 || w.codec == "opus") && s.PTS < last.PTS {
					t.Errorf("track %d sample %d: PTS %v after %v", i, n, s.PTS, last.PTS)
				}
			}
			if s.PTS < 0 {
				t.Errorf("track %d sample %d: negative PTS %v", i, n, s.PTS)
			}
			keys = append(keys, s.Key)
			pts = append(pts, s.PTS)
			pcmBytes += len(s.AU[0])
			last = s
			n++
		}
		if w.codec == "pcmu" || w.codec == "pcma" {
			got := time.Duration(pcmBytes/w.channels) * time.Second / time.Duration(w.rate)
			pd := probeDuration(t, path, "stream=duration", "-select_streams", "a:0")
			if got < pd-time.Millisecond || got > pd+time.Millisecond {
				t.Errorf("track %d: %v of PCM, ffprobe %v", i, got, pd)
			}
			if max := 20 * time.Millisecond * time.Duration(w.rate*w.channels) / time.Second; len(last.AU[0]) > int(max) {
				t.Errorf("track %d: PCM AU of %d bytes", i, len(last.AU[0]))
			}
			continue
		}
		if len(keys) != len(probeKeys) {
			t.Errorf("track %d (%s): %d samples, ffprobe %d", i, w.codec, len(keys), len(probeKeys))
			continue
		}
		if !reflect.DeepEqual(keys, probeKeys) {
			t.Errorf("track %d: key flags\n got %v\nwant %v", i, keys, probeKeys)
		}
		// presentation times agree with ffprobe's (raw streams have none;
		// negative ones, like AAC priming, are clamped to 0 here)
		for k := range pts {
			if probePTS[k] < 0 && probePTS[k] != -1 {
				probePTS[k] = 0
			}
			if probePTS[k] != -1 && (pts[k] < probePTS[k]-time.Millisecond || pts[k] > probePTS[k]+time.Millisecond) {
				t.Errorf("track %d sample %d: PTS %v, ffprobe %v", i, k, pts[k], probePTS[k])
				break
			}
		}
	}
}

// checkSeek asserts that Seek lands on a keyframe at or before the target
// and that reading twice after Seek(0) gives the same samples.
func checkSeek(t *testing.T, d Demuxer) {
	video := -1
	for i, f := range d.Tracks() {
		if f.MediaType() == payload.Video {
			video = i
			break
		}
	}
	for _, target := range []time.Duration{0, 300 * time.Millisecond, 1100 * time.Millisecond, 1900 * time.Millisecond, 10 * time.Second} {
		reached, err := d.Seek(target)
		if err != nil {
			t.Fatalf("Seek(%v): %v", target, err)
		}
		if reached > target {
			t.Errorf("Seek(%v) reached %v", target, reached)
		}
		if target == 1100*time.Millisecond && reached < 300*time.Millisecond {
			t.Errorf("Seek(%v) reached %v: too far back for a 10-frame GOP", target, reached)
		}
		first := true
		for {
			s, err := d.ReadSample()
			if err != nil {
				t.Fatalf("after Seek(%v): %v", target, err)
			}
			if s.Track != video && video >= 0 {
				if s.PTS+100*time.Millisecond < reached {
					t.Errorf("after Seek(%v): audio at %v before %v", target, s.PTS, reached)
				}
				continue
			}
			// Seek to the start rewinds the file, which may begin with audio
			if first && (!s.Key || s.PTS != reached && (reached != 0 || s.PTS > 100*time.Millisecond)) {
				t.Errorf("Seek(%v) reached %v, first video sample key=%v PTS %v", target, reached, s.Key, s.PTS)
			}
			break
		}
	}
	if _, err := d.Seek(0); err != nil {
		t.Fatal(err)
	}
	a := readAll(t, d)
	if _, err := d.Seek(0); err != nil {
		t.Fatal(err)
	}
	b := readAll(t, d)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("reading after Seek(0) twice differs: %d and %d samples", len(a), len(b))
	}
}

// TestDecodeWithFFmpeg writes the H.264 and H.265 access units read from
// MP4 and TS files back as Annex-B streams and has ffmpeg decode every frame.
func TestDecodeWithFFmpeg(t *testing.T) {
	for _, name := range []string{"h264_aac.mp4", "h265_aac.mp4", "h264_aac.ts"} {
		t.Run(name, func(t *testing.T) {
			path := media(t, name)
			d, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			var out []byte
			sc := []byte{0, 0, 0, 1}
			var params [][]byte
			switch f := d.Tracks()[0].(type) {
			case *h264.Format:
				params = [][]byte{f.SPS, f.PPS}
			case *h265.Format:
				params = [][]byte{f.VPS, f.SPS, f.PPS}
			}
			for _, p := range params {
				out = append(append(out, sc...), p...)
			}
			frames := 0
			for {
				s, err := d.ReadSample()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if s.Track != 0 {
					continue
				}
				frames++
				for _, nal := range s.AU {
					out = append(append(out, sc...), nal...)
				}
			}
			ext := ".h264"
			if _, ok := d.Tracks()[0].(*h265.Format); ok {
				ext = ".hevc"
			}
			es := filepath.Join(t.TempDir(), "es"+ext)
			if err := os.WriteFile(es, out, 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
				"-show_entries", "stream=nb_read_frames", "-of", "default=nw=1:nk=1", es).CombinedOutput()
			if err != nil {
				t.Fatalf("ffprobe: %v\n%s", err, res)
			}
			if got := string(res); got != strconv.Itoa(frames)+"\n" {
				t.Errorf("ffmpeg decoded %q frames of %d", got, frames)
			}
		})
	}
}
