package m2m

import (
	"errors"
	"image"
	"testing"

	"rtspcam/hwenc"
)

func TestBackendWithoutDevicesLeavesItToTheNextBackend(t *testing.T) {
	b := Backend{Root: t.TempDir()}
	if _, err := b.NewVideoEncoder(hwenc.VideoParams{Codec: hwenc.H264, Width: 64, Height: 64, FPS: 25}); !errors.Is(err, hwenc.ErrUnsupported) {
		t.Fatalf("no devices: %v", err)
	}
	if _, err := b.NewVideoEncoder(hwenc.VideoParams{Codec: hwenc.H265, Width: 64, Height: 64, FPS: 25}); !errors.Is(err, hwenc.ErrUnsupported) {
		t.Fatalf("H.265: %v", err)
	}
	// Behind the soft backend in a Selector, MJPEG still works.
	s := hwenc.Selector{Backends: []hwenc.Backend{b, hwenc.Soft{}}}
	if _, name, err := s.VideoEncoder(hwenc.VideoParams{Codec: hwenc.MJPEG, Width: 64, Height: 64, FPS: 25}); err != nil || name != "soft" {
		t.Fatalf("selector: %q %v", name, err)
	}
}

func TestStageI420LaysOutPlanes(t *testing.T) {
	im := image.NewYCbCr(image.Rect(0, 0, 4, 2), image.YCbCrSubsampleRatio420)
	for i := range im.Y {
		im.Y[i] = byte(i)
	}
	im.Cb[0], im.Cb[1], im.Cr[0], im.Cr[1] = 100, 101, 200, 201
	got := stageI420(nil, im, 4, 2)
	want := []byte{0, 1, 2, 3, 4, 5, 6, 7, 100, 101, 200, 201}
	if string(got) != string(want) {
		t.Fatalf("%v", got)
	}
	if n := testing.AllocsPerRun(10, func() { got = stageI420(got, im, 4, 2) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
