package payloadtest

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// FFmpegOutput runs ffmpeg with args and returns its standard output.
func FFmpegOutput(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// FrameMD5s parses FFmpeg's framemd5 output into "size md5" per packet.
func FrameMD5s(out []byte) []string {
	var sums []string
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) < 6 {
			continue
		}
		sums = append(sums, strings.TrimSpace(f[4])+" "+strings.TrimSpace(f[5]))
	}
	return sums
}
