package alsa

import (
	"context"
	"errors"
	"testing"
	"time"

	"rtspcam/drivers/audio"
)

// TestSourcesFromProc lists the capture and playback PCMs of a host's
// /proc/asound (from testdata; the devices themselves are absent, so each
// is listed with the fallback format) and finds them by every name form.
func TestSourcesFromProc(t *testing.T) {
	t.Parallel()
	s := &System{ProcDir: "testdata", DevDir: t.TempDir()}
	src, err := s.Sources()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range src {
		names = append(names, d.Name)
	}
	if want := []string{"hw:Loopback,0,0", "hw:Loopback,1,0", "hw:PCH,0,0", "hw:Device,0,0"}; !equal(names, want) {
		t.Fatalf("sources %q, want %q", names, want)
	}
	if !src[0].Default || src[1].Default || src[3].Index != 3 || src[3].Format != fallbackFormat ||
		src[3].Description != "USB Audio (USB PnP Sound Device, hw:2,0)" {
		t.Fatalf("sources %+v", src)
	}
	sinks, err := s.Sinks()
	if err != nil {
		t.Fatal(err)
	}
	if len(sinks) != 4 || sinks[3].Name != "hw:PCH,3,0" {
		t.Fatalf("sinks %+v", sinks)
	}
	for arg, want := range map[string]string{
		"": "hw:Loopback,0,0", "1": "hw:Loopback,1,0", "hw:Loopback,1,0": "hw:Loopback,1,0",
		"Loopback,1,0": "hw:Loopback,1,0", "hw:0,1": "hw:Loopback,1,0", "hw:2,0,0": "hw:Device,0,0",
		"hw:device,0": "hw:Device,0,0",
	} {
		d, err := audio.Find(src, arg)
		if err != nil || d.Name != want {
			t.Errorf("Find(%q) = %q, %v; want %q", arg, d.Name, err, want)
		}
	}
	if _, err := audio.Find(src, "hw:5,0"); !errors.Is(err, audio.ErrNoDevice) {
		t.Errorf("Find(hw:5,0) = %v, want ErrNoDevice", err)
	}
	// The device node is missing: the capture says so.
	err = s.Capture(context.Background(), "hw:Loopback,1,0", audio.Format{Rate: 48000, Channels: 2}, func([]int16, time.Time) {})
	if !errors.Is(err, audio.ErrNoDevice) {
		t.Errorf("capture of a missing node: %v, want ErrNoDevice", err)
	}
}

// TestNoALSA: a host without /proc/asound has no sound system.
func TestNoALSA(t *testing.T) {
	t.Parallel()
	s := &System{ProcDir: t.TempDir() + "/none"}
	if _, err := s.Sources(); !errors.Is(err, audio.ErrUnavailable) {
		t.Fatalf("Sources: %v, want ErrUnavailable", err)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
