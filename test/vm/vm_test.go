package vm

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestCPIOListsWhatItHolds(t *testing.T) {
	var b bytes.Buffer
	err := writeCPIO(&b, map[string]cpioEntry{
		"bin": {mode: modeDir}, "bin/x": {mode: modeExec, data: []byte("hello")},
		"bin/y": {mode: modeSymlink, data: []byte("x")},
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("cpio", "-t", "--quiet")
	cmd.Stdin = &b
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cpio -t: %v", err)
	}
	if got := strings.Fields(string(out)); strings.Join(got, " ") != "bin bin/x bin/y" {
		t.Fatalf("archive lists %q", got)
	}
}

// TestBootLoadsTheVirtualMediaDrivers boots the amd64 guest with vivid and
// vicodec and reads their device names from sysfs.
func TestBootLoadsTheVirtualMediaDrivers(t *testing.T) {
	t.Parallel()
	k := Prepare(t, "amd64")
	g := Boot(t, k, Options{
		Modules: []string{"vivid", "vicodec"},
		Params:  map[string]string{"vivid": "n_devs=1 node_types=0x1"},
		Script:  "cat /sys/class/video4linux/*/name",
	})
	if !g.Wait(90 * time.Second) {
		t.Fatal("guest did not power off")
	}
	log := g.Log()
	for _, want := range []string{"vivid-000-vid-cap", "stateful-encoder", "VM: script ended rc=0"} {
		if !strings.Contains(log, want) {
			t.Fatalf("console lacks %q:\n%s", want, log)
		}
	}
}
