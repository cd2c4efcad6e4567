package main

import (
	"image/color"
	"os"
	"os/exec"
	"strings"
	"testing"

	"rtspcam/drivers/x11/x11test"
)

// TestListWindowsAndScreens runs the binary against an Xvfb display.
func TestListWindowsAndScreens(t *testing.T) {
	bin := buildServer(t)
	disp := x11test.StartXvfb(t, 640, 480)
	x11test.OpenWindow(t, disp, "probe-window", color.RGBA{255, 0, 0, 255}, 50, 50, 300, 100)
	x11test.OpenWindow(t, disp, "Second Ünicode window", color.RGBA{0, 0, 255, 255}, 10, 300, 64, 48)
	env := append(os.Environ(), "DISPLAY="+disp)

	cmd := exec.Command(bin, "-l", "window")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("-l window: %v\n%s", err, out)
	}
	want := "0: probe-window (300x100)\n1: Second Ünicode window (64x48)\n"
	if string(out) != want {
		t.Fatalf("-l window printed\n%s\nwant\n%s", out, want)
	}

	cmd = exec.Command(bin, "-l", "device")
	cmd.Env = env
	out, err = cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "0: screenlive0 (640x480 at 0,0)") ||
		!strings.Contains(string(out), "videodevice") || !strings.Contains(string(out), "audiodevice") {
		t.Fatalf("-l device: %v\n%s", err, out)
	}

	// This host has no camera: -l videodevice says so (the QEMU tests in
	// test/ list vivid's).
	out, err = exec.Command(bin, "-l", "videodevice").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "no videodevice sources") {
		t.Fatalf("-l videodevice: %v\n%s", err, out)
	}

	// Without a display, -l window says so instead of listing.
	cmd = exec.Command(bin, "-l", "window")
	cmd.Env = append(os.Environ(), "DISPLAY=:4999")
	out, _ = cmd.CombinedOutput()
	if !strings.Contains(string(out), "no window sources") {
		t.Fatalf("-l window without a display: %s", out)
	}
}
