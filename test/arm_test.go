// Package test holds whole-product tests that cross package lines: here,
// the ARM firmware builds running under qemu-user.
package test

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// armTargets are the boards the firmware ships for: 64-bit (Raspberry Pi
// 3/4/5, most current SoCs) and ARMv7 hard-float (older cameras).
var armTargets = []struct {
	name    string
	env     []string
	machine elf.Machine
	qemu    string
}{
	{"arm64", []string{"GOARCH=arm64"}, elf.EM_AARCH64, "qemu-aarch64-static"},
	{"armv7", []string{"GOARCH=arm", "GOARM=7"}, elf.EM_ARM, "qemu-arm-static"},
}

// TestARMBuilds cross-builds the server for each ARM target as a static
// binary (CGO_ENABLED=0), runs it under qemu-user with a config on a free
// port, reads the test pattern with ffprobe over TCP and UDP, and stops it
// with SIGTERM the way the init script does.
func TestARMBuilds(t *testing.T) {
	for _, tool := range []string{"go", "ffprobe", "qemu-aarch64-static", "qemu-arm-static"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required: %v", tool, err)
		}
	}
	root := moduleRoot(t)
	bins := t.TempDir()
	// Building is the heavy part (the standard library for a new GOARCH):
	// one build at a time on a shared 2-core machine.
	for _, tg := range armTargets {
		bin := filepath.Join(bins, "rtspserver-"+tg.name)
		t.Run(tg.name, func(t *testing.T) {
			buildARM(t, root, bin, tg.env, tg.machine)
			runUnderQEMU(t, tg.qemu, bin)
		})
	}
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		t.Fatal("not inside the rtspcam module")
	}
	return filepath.Dir(mod)
}

func buildARM(t *testing.T, root, bin string, env []string, machine elf.Machine) {
	start := time.Now()
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/rtspserver")
	cmd.Dir = root
	cmd.Env = append(append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux"), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", env, err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != machine {
		t.Fatalf("built a %v binary, want %v", f.Machine, machine)
	}
	// Static: no interpreter, so it runs on any board's libc (or none).
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatalf("binary asks for a dynamic loader; the firmware must be static")
		}
	}
	t.Logf("built %v in %v", env, time.Since(start).Round(time.Millisecond))
}

// syncBuffer takes the emulated server's output from exec's copier
// goroutine while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func runUnderQEMU(t *testing.T, qemu, bin string) {
	dir := t.TempDir()
	port := freePort(t)
	cfgPath := filepath.Join(dir, "rtspserver.cfg")
	cfg := fmt.Sprintf("<config><rtsp_port>%d</rtsp_port><media_dir>%s</media_dir><log_enable>1</log_enable><log_level>1</log_level></config>\n", port, dir)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	out := &syncBuffer{}
	cmd := exec.Command(qemu, bin, "-c", cfgPath)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", qemu, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("server output:\n%s", out.String())
		}
	})

	addr := fmt.Sprintf("127.0.0.1:%d", port)
	start := time.Now()
	for {
		c, err := net.DialTimeout("tcp4", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("server exited before listening: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("server not listening on %s after 30 s", addr)
		}
	}
	t.Logf("listening after %v", time.Since(start).Round(time.Millisecond))

	url := fmt.Sprintf("rtsp://%s/testpattern", addr)
	for _, proto := range []string{"tcp", "udp"} {
		got, err := probe(url, proto)
		if err != nil {
			t.Fatal(err)
		}
		want := "video mjpeg 640x480, audio pcm_mulaw 8000 Hz"
		if got != want {
			t.Errorf("ffprobe over %s: %q, want %q", proto, got, want)
		}
	}

	// The init script's stop: SIGTERM, then a bounded wait.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		stopped = true
		if err != nil {
			t.Errorf("server exit on SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Errorf("server still running 15 s after SIGTERM")
	}
}

// probe asks ffprobe what url carries over proto ("tcp" or "udp"), as
// "type codec size-or-rate" per stream in order.
func probe(url, proto string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-rtsp_transport", proto,
		"-show_entries", "stream=codec_type,codec_name,width,height,sample_rate", "-of", "json", url)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("ffprobe over %s: %v\n%s", proto, err, out)
	}
	var p struct {
		Streams []struct {
			Type       string `json:"codec_type"`
			Codec      string `json:"codec_name"`
			Width      int    `json:"width"`
			Height     int    `json:"height"`
			SampleRate string `json:"sample_rate"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &p); err != nil {
		return "", fmt.Errorf("ffprobe over %s: %v\n%s", proto, err, out)
	}
	var parts []string
	for _, s := range p.Streams {
		if s.Type == "video" {
			parts = append(parts, fmt.Sprintf("video %s %dx%d", s.Codec, s.Width, s.Height))
		} else {
			parts = append(parts, fmt.Sprintf("%s %s %s Hz", s.Type, s.Codec, s.SampleRate))
		}
	}
	return strings.Join(parts, ", "), nil
}
