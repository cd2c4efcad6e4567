package payloadtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is required for this test: %v", name, err)
	}
}

// clipDir holds the clips of this test binary, encoded once each.
var (
	clipDir   string
	clipMu    sync.Mutex
	clipCache = map[string]string{}
)

// Main runs a test binary's tests with a fresh clip directory for MakeClip,
// removes it afterwards and exits with the tests' status. Call it from the
// package's TestMain.
func Main(m *testing.M) {
	dir, err := os.MkdirTemp("", "rtspcam-clips-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	clipDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// MakeClip encodes one second of the lavfi test source with the given
// ffmpeg output arguments, once per test binary, and returns the path.
func MakeClip(t *testing.T, name string, args ...string) string {
	t.Helper()
	needTool(t, "ffmpeg")
	clipMu.Lock()
	defer clipMu.Unlock()
	key := name + " " + strings.Join(args, " ")
	if out, ok := clipCache[key]; ok {
		return out
	}
	out := filepath.Join(clipDir, fmt.Sprintf("%d-%s", len(clipCache), name))
	all := append([]string{"-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=25", "-t", "1"}, args...)
	cmd := exec.Command("ffmpeg", append(all, "-y", out)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	clipCache[key] = out
	return out
}

// CountFrames asks ffprobe how many frames a file decodes to.
func CountFrames(t *testing.T, file string) int {
	t.Helper()
	needTool(t, "ffprobe")
	b, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", file).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("ffprobe said %q", b)
	}
	return n
}
