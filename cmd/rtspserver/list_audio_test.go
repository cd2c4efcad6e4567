package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"rtspcam/drivers/pulse/pulsetest"
)

// TestListAudioDevices runs -l audiodevice against a real PulseAudio with
// two null sinks: their monitors are listed by index and name.
func TestListAudioDevices(t *testing.T) {
	bin := buildServer(t)
	srv := pulsetest.Start(t, "test")
	srv.LoadSink(t, "second")

	cmd := exec.Command(bin, "-l", "audiodevice")
	cmd.Env = srv.Env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("-l audiodevice: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "audio devices") {
		t.Fatalf("-l audiodevice printed\n%s", out)
	}
	re := regexp.MustCompile(`^(\d): (\S+) \((.+), (\d+) Hz, (\d) ch\)( default)?$`)
	names := map[string]string{}
	for _, ln := range lines[1:] {
		m := re.FindStringSubmatch(ln)
		if m == nil {
			t.Fatalf("line %q is not index: name (description, rate, channels)", ln)
		}
		names[m[2]] = m[1]
	}
	if names["test.monitor"] != "0" || names["second.monitor"] != "1" {
		t.Fatalf("want test.monitor at 0 and second.monitor at 1:\n%s", out)
	}

	// Without a server it says so instead of listing.
	cmd = exec.Command(bin, "-l", "audiodevice")
	cmd.Env = append(os.Environ(), "PULSE_SERVER=unix:"+t.TempDir()+"/none")
	out, _ = cmd.CombinedOutput()
	if !strings.Contains(string(out), "no audiodevice sources") {
		t.Fatalf("-l audiodevice without a server: %s", out)
	}
}
