package test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"rtspcam/drivers/audio/audiotest"
	"rtspcam/test/vm"
)

// alsaGuestConfig serves the loopback's capture side with the manual's
// audio defaults (G.711 µ-law, 8000 Hz).
const alsaGuestConfig = `<?xml version="1.0" encoding="utf-8"?>
<config>
	<rtsp_port>8554</rtsp_port>
	<log_enable>1</log_enable>
	<log_level>2</log_level>
	<media_dir>/tmp</media_dir>
</config>
`

// TestALSAOnSndAloop boots Debian's amd64 and arm64 kernels under QEMU with snd-aloop
// (a loopback sound card: what is played to hw:Loopback,0,N is captured
// from hw:Loopback,1,N). In the guest alsacheck plays a 1 kHz tone with
// drivers/alsa and captures it from the other side (see its doc: tone,
// level, no gaps, no allocation per period, descriptors, a vanishing
// card); then rtspserver, with no PulseAudio in the guest, chooses ALSA,
// lists the loopback with -l audiodevice and serves
// audiodevice=hw:Loopback,1,0 while alsacheck -play plays the tone, and
// ffmpeg on the host records 5 s through the forwarded port: the tone at
// its level, timestamps continuous, 5 s long.
func TestALSAOnSndAloop(t *testing.T) {
	for _, tool := range []string{"go", "ffmpeg", "modprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required (run scripts/deps.sh): %v", tool, err)
		}
	}
	root := moduleRoot(t)
	cfgFile := filepath.Join(t.TempDir(), "rtspserver.cfg")
	if err := os.WriteFile(cfgFile, []byte(alsaGuestConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	// One guest after the other: each plays and captures in real time, and
	// two emulators at once starve each other.
	for _, arch := range []string{"amd64", "arm64"} {
		t.Run(arch, func(t *testing.T) {
			k := vm.Prepare(t, arch)
			check := vm.BuildStatic(t, arch, filepath.Join(root, "test/vm/alsacheck"))
			server := vm.BuildStatic(t, arch, filepath.Join(root, "cmd/rtspserver"))
			g := vm.Boot(t, k, vm.Options{
				Modules: []string{"snd-aloop"},
				Params:  map[string]string{"snd_aloop": "pcm_substreams=2"},
				Files:   map[string]string{"/bin/alsacheck": check, "/bin/rtspserver": server, "/etc/rtspserver.cfg": cfgFile},
				Script: "/bin/alsacheck\n/bin/rtspserver -l audiodevice\n/bin/alsacheck -play &\n" +
					"exec /bin/rtspserver -c /etc/rtspserver.cfg\n",
				Forward: []int{8554},
			})
			g.WaitFor("ALSACHECK END", 3*time.Minute)
			if !strings.Contains(g.Log(), "ALSACHECK PASS") {
				t.Fatalf("alsacheck did not pass: %q", regexp.MustCompile(`ALSACHECK [^\r\n]*`).FindAllString(g.Log(), -1))
			}
			for _, ln := range regexp.MustCompile(`ALSACHECK [^\r\n]*`).FindAllString(g.Log(), -1) {
				t.Log(ln)
			}
			if !g.WaitFor("rtsp listening", time.Minute) {
				t.Fatal("the server did not start")
			}
			log := g.Log()
			if !regexp.MustCompile(`audio devices from alsa[^\n]*\n0: hw:Loopback,0,0 \(Loopback PCM \(Loopback, hw:0,0\), 48000 Hz, 2 ch\) default\s*\n1: hw:Loopback,1,0 `).MatchString(log) {
				t.Fatal("-l audiodevice did not list the loopback's capture devices from ALSA")
			}
			if !regexp.MustCompile(`audio system.*system=alsa`).MatchString(log) {
				t.Fatal("the server did not log that it chose ALSA")
			}

			dir := t.TempDir()
			url := fmt.Sprintf("rtsp://127.0.0.1:%d/audiodevice=hw:Loopback,1,0", g.HostPort(8554))
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			crc, raw := filepath.Join(dir, "packets.txt"), filepath.Join(dir, "pcm.raw")
			out, err := exec.CommandContext(ctx, "ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-i", url,
				"-t", "5", "-c", "copy", "-f", "framecrc", crc, "-t", "5", "-ac", "1", "-f", "s16le", raw).CombinedOutput()
			if err != nil {
				t.Fatalf("ffmpeg record %s: %v\n%s", url, err, out)
			}
			codec, rate, total, err := packetSpan(crc)
			if err != nil {
				t.Fatal(err)
			}
			if codec != "pcm_mulaw" || rate != 8000 {
				t.Errorf("recorded %s at %d Hz, want G.711 µ-law at 8000", codec, rate)
			}
			if total < 4.9 || total > 5.1 {
				t.Errorf("recorded %.3f s of audio, want 5 s", total)
			}
			b, err := os.ReadFile(raw)
			if err != nil {
				t.Fatal(err)
			}
			pcm := make([]int16, len(b)/2)
			for i := range pcm {
				pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
			}
			if got := float64(len(pcm)) / 8000; got < 4.9 || got > 5.1 {
				t.Errorf("decoded %.3f s, want 5 s", got)
			}
			freq, lv := toneOf(pcm[len(pcm)/10:], 8000)
			t.Logf("host recording: %.3f s, dominant %.0f Hz at %.3f of full scale", total, freq, lv)
			if math.Abs(freq-1000) > 25 || lv < 0.45 || lv > 0.55 {
				t.Fatalf("dominant %.0f Hz at %.3f, want 1000 Hz at 0.5", freq, lv)
			}
		})
	}
}

// packetSpan reads ffmpeg's framecrc of one audio stream: each packet
// must start where the previous ended; it returns the span in seconds.
func packetSpan(path string) (codec string, rate int, seconds float64, err error) {
	txt, err := os.ReadFile(path)
	if err != nil {
		return "", 0, 0, err
	}
	var tb float64
	var first, end int64
	n := 0
	for _, ln := range strings.Split(string(txt), "\n") {
		if num, ok := strings.CutPrefix(ln, "#tb 0: 1/"); ok {
			d, _ := strconv.Atoi(strings.TrimSpace(num))
			tb = 1 / float64(d)
		}
		if v, ok := strings.CutPrefix(ln, "#codec_id 0: "); ok {
			codec = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(ln, "#sample_rate 0: "); ok {
			rate, _ = strconv.Atoi(strings.TrimSpace(v))
		}
		f := strings.Split(ln, ",")
		if strings.HasPrefix(ln, "#") || len(f) < 6 {
			continue
		}
		pts, _ := strconv.ParseInt(strings.TrimSpace(f[2]), 10, 64)
		dur, _ := strconv.ParseInt(strings.TrimSpace(f[3]), 10, 64)
		if n == 0 {
			first = pts
		} else if pts != end {
			return codec, rate, 0, fmt.Errorf("packet %d at %d, the previous ended at %d (time base %g s): a gap", n, pts, end, tb)
		}
		end = pts + dur
		n++
	}
	if n == 0 || tb == 0 {
		return codec, rate, 0, fmt.Errorf("no packets in %s", path)
	}
	return codec, rate, float64(end-first) * tb, nil
}

// toneOf scans 100…3500 Hz in 25 Hz steps for the strongest frequency
// (Goertzel) and its amplitude of full scale.
func toneOf(pcm []int16, rate int) (freq, amp float64) {
	for f := 100.0; f <= 3500; f += 25 {
		if a := audiotest.Level(pcm, rate, f); a > amp {
			freq, amp = f, a
		}
	}
	return freq, amp
}

// TestALSALayoutOnARM runs drivers/alsa's unit tests (TestLayout checks
// the PCM ioctl structures against the kernel's sizes) built for arm64
// and armv7 under qemu-user: snd_pcm_uframes_t is 4 bytes on the one and
// 8 on the other.
func TestALSALayoutOnARM(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	for _, tg := range []struct {
		name, qemu string
		env        []string
	}{
		{"arm64", "qemu-aarch64-static", []string{"GOARCH=arm64"}},
		{"armv7", "qemu-arm-static", []string{"GOARCH=arm", "GOARM=7"}},
	} {
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			if _, err := exec.LookPath(tg.qemu); err != nil {
				t.Fatalf("%s is required (run scripts/deps.sh): %v", tg.qemu, err)
			}
			bin := filepath.Join(t.TempDir(), "alsa.test")
			cmd := exec.Command("go", "test", "-c", "-o", bin, "./drivers/alsa")
			cmd.Dir = root
			cmd.Env = append(append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux"), tg.env...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("build: %v\n%s", err, out)
			}
			cmd = exec.Command(tg.qemu, bin, "-test.v", "-test.run", "^(TestLayout|TestParse|TestSourcesFromProc)")
			cmd.Dir = filepath.Join(root, "drivers/alsa")
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "--- PASS: TestLayout") {
				t.Fatalf("%s: %v\n%s", tg.qemu, err, out)
			}
		})
	}
}
