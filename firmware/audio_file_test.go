package firmware

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"rtspcam/hwenc/ffmpeg"
)

// TestFileAudioTranscode serves a file with G.711 µ-law audio (a 1 kHz
// tone at half scale) and asks for other codecs with ae=/sr=/ch=: FFmpeg
// sees the codec asked and decodes the tone at its level; without
// parameters the audio passes untouched.
func TestFileAudioTranscode(t *testing.T) {
	e2eRequireTools(t, "ffmpeg", "ffprobe")
	dir := t.TempDir()
	// lavfi's sine is at 1/8 of full scale: volume=4 makes it 1/2.
	e2eMakeClip(t, dir, "tone.mov", []string{"-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=8000:duration=4",
		"-af", "volume=4", "-c:a", "pcm_mulaw", "-ac", "1", "-f", "mov"})
	base := e2eStartApp(t, dir)

	cases := []struct {
		query, want string
		rate        int
	}{
		{"", "pcm_mulaw,8000,1", 8000},
		{"?ae=G722", "adpcm_g722,16000,1", 16000},
		{"?ae=G726-24", "adpcm_g726le,8000,1", 8000},
		{"?ae=PCMA&sr=16000&ch=2", "pcm_alaw,16000,2", 16000},
	}
	type result struct {
		probe, pcm []byte
		err        error
	}
	results := make([]result, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			url := base + "tone.mov" + c.query
			probe, err := e2eRun(context.Background(), 15*time.Second, "ffprobe", "-v", "error", "-rtsp_transport", "tcp",
				"-show_entries", "stream=codec_name,sample_rate,channels", "-of", "csv=p=0", url)
			if err != nil {
				results[i] = result{probe, nil, err}
				return
			}
			raw := filepath.Join(t.TempDir(), "pcm.raw")
			out, err := e2eRun(context.Background(), 15*time.Second, "ffmpeg", "-v", "error", "-rtsp_transport", "tcp",
				"-i", url, "-t", "2", "-ac", "1", "-f", "s16le", raw)
			if err != nil {
				results[i] = result{out, nil, err}
				return
			}
			pcm, err := os.ReadFile(raw)
			results[i] = result{probe, pcm, err}
		}()
	}
	wg.Wait()
	for i, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			r := results[i]
			if r.err != nil {
				t.Fatalf("%v\n%s", r.err, r.probe)
			}
			if got := strings.TrimSpace(string(r.probe)); got != c.want {
				t.Fatalf("ffprobe says %q, want %q", got, c.want)
			}
			pcm := make([]int16, len(r.pcm)/2)
			for i := range pcm {
				pcm[i] = int16(binary.LittleEndian.Uint16(r.pcm[2*i:]))
			}
			if d := float64(len(pcm)) / float64(c.rate); d < 1.9 || d > 2.1 {
				t.Errorf("decoded %.2f s, recorded 2 s", d)
			}
			f, a := dominant(pcm[len(pcm)/4:], c.rate)
			if f != 1000 || a < 0.4 || a > 0.55 {
				t.Errorf("dominant %.0f Hz at %.3f; the file has 1000 Hz at 0.5", f, a)
			}
		})
	}
	// Opus needs the FFmpeg encoder: it plays in builds that have it and
	// is a 415 in the others.
	out, err := e2eRun(context.Background(), 10*time.Second, "ffprobe", "-v", "error", "-rtsp_transport", "tcp",
		"-show_entries", "stream=codec_name,sample_rate", "-of", "csv=p=0", base+"tone.mov?ae=opus")
	if ffmpeg.Available {
		if err != nil || strings.TrimSpace(string(out)) != "opus,48000" {
			t.Errorf("ae=opus for a file: %v %q, want opus,48000", err, out)
		}
	} else if err == nil || !strings.Contains(string(out), "415") {
		t.Errorf("ae=opus for a file without FFmpeg: %v %s, want 415", err, out)
	}
}
