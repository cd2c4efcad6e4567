package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rtspserver")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func writeConfig(t *testing.T, path string, port int, needAuth int) {
	cfg := fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?>
<config>
	<rtsp_port>%d</rtsp_port>
	<need_auth>%d</need_auth>
	<log_enable>1</log_enable>
	<log_level>2</log_level>
	<metadata>1</metadata>
	<user><username>admin</username><password>secret</password></user>
</config>
`, port, needAuth)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}

// describe sends a bare DESCRIBE and returns the status line.
func describe(t *testing.T, port int) string {
	t.Helper()
	c, err := net.DialTimeout("tcp4", fmt.Sprintf("127.0.0.1:%d", port), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "DESCRIBE rtsp://127.0.0.1:%d/testpattern RTSP/1.0\r\nCSeq: 1\r\n\r\n", port)
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(line)
}

// TestSignalsReloadAndStop runs the real binary as init would: it prints
// the playback URLs, logs unsupported settings, reloads on SIGHUP without
// dropping out, and exits cleanly within 2 s of SIGTERM.
func TestSignalsReloadAndStop(t *testing.T) {
	bin := buildServer(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "rtspserver.cfg")
	port := freePort(t)
	writeConfig(t, cfgPath, port, 0)

	cmd := exec.Command(bin, "-c", cfgPath)
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := os.Create(filepath.Join(dir, "log"))
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	urls := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			urls <- sc.Text()
		}
		close(urls)
	}()
	want := fmt.Sprintf("rtsp://127.0.0.1:%d/testpattern", port)
	found := false
	deadline := time.After(10 * time.Second)
	for !found {
		select {
		case l, ok := <-urls:
			if !ok {
				t.Fatal("server exited before printing its URLs")
			}
			found = strings.TrimSpace(l) == want
		case <-deadline:
			t.Fatalf("no %s among the printed URLs", want)
		}
	}
	if got := describe(t, port); !strings.Contains(got, " 200 ") {
		t.Fatalf("DESCRIBE without auth: %q", got)
	}

	writeConfig(t, cfgPath, port, 1)
	cmd.Process.Signal(syscall.SIGHUP)
	ok := false
	for i := 0; i < 50 && !ok; i++ {
		time.Sleep(100 * time.Millisecond)
		ok = strings.Contains(describe(t, port), " 401 ")
	}
	if !ok {
		t.Fatal("after SIGHUP with need_auth 1, DESCRIBE without credentials is not refused")
	}

	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("still running 3 s after SIGTERM")
	}
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Fatalf("SIGTERM took %v", d)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "log"))
	if !strings.Contains(string(log), "not yet supported") || !strings.Contains(string(log), "metadata") {
		t.Errorf("the unsupported <metadata> setting was not logged:\n%s", log)
	}
	if n := strings.Count(string(log), `setting="metadata`); n != 1 {
		t.Errorf("<metadata> logged %d times, want once:\n%s", n, log)
	}
}

func TestBadConfigIsRefusedWithItsLine(t *testing.T) {
	bin := buildServer(t)
	path := filepath.Join(t.TempDir(), "bad.cfg")
	os.WriteFile(path, []byte("<config>\n<rtsp_port>abc</rtsp_port>\n</config>\n"), 0o644)
	out, err := exec.Command(bin, "-c", path).CombinedOutput()
	if err == nil {
		t.Fatal("a bad config must be refused")
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("exit %v, want 2", err)
	}
	s := string(out)
	if !strings.Contains(s, "bad.cfg:2") || !strings.Contains(s, "rtsp_port") || !strings.Contains(s, "abc") {
		t.Fatalf("error does not name file, line, element and value: %s", s)
	}
	out, err = exec.Command(bin, "-c", filepath.Join(t.TempDir(), "missing.cfg")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "missing.cfg") {
		t.Fatalf("a missing -c file must be refused by name: %v %s", err, out)
	}
}

func TestListWithoutDevices(t *testing.T) {
	bin := buildServer(t)
	for _, kind := range []string{"device", "videodevice", "audiodevice", "window"} {
		out, err := exec.Command(bin, "-l", kind).CombinedOutput()
		if err != nil || !strings.Contains(string(out), kind) {
			t.Errorf("-l %s: %v %s", kind, err, out)
		}
	}
	if err := exec.Command(bin, "-l", "toaster").Run(); err == nil {
		t.Error("-l with an unknown kind must fail")
	}
}
