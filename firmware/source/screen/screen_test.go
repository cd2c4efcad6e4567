package screen

import (
	"bytes"
	"context"
	"errors"
	"image/color"
	"image/jpeg"
	"sync"
	"testing"
	"time"

	"rtspcam/drivers/x11"
	"rtspcam/drivers/x11/x11test"
)

type frame struct {
	pts time.Duration
	key bool
	jpg []byte
}

type recorder struct {
	mu     sync.Mutex
	frames []frame
	onAU   func(n int)
}

func (r *recorder) WriteAU(track int, pts time.Duration, au [][]byte, key bool) error {
	r.mu.Lock()
	r.frames = append(r.frames, frame{pts, key, bytes.Clone(au[0])})
	n := len(r.frames)
	r.mu.Unlock()
	if r.onAU != nil {
		r.onAU(n)
	}
	return nil
}

func fakeDisplay() *x11test.Display {
	return x11test.New(
		[]x11.Screen{{Index: 0, Width: 320, Height: 240}, {Index: 1, X: 320, Width: 161, Height: 121}},
		[]x11.Window{{ID: 7, Title: "probe-window", Width: 101, Height: 51}},
		color.RGBA{0, 200, 0, 255})
}

func TestRunSendsPacedKeyFramesOfTheRightSize(t *testing.T) {
	src, err := New(fakeDisplay(), x11.Target{Screen: 1}, Options{FPS: 50})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rec := &recorder{onAU: func(n int) {
		if n == 10 {
			cancel()
		}
	}}
	began := time.Now()
	if err := src.Run(ctx, rec); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	if el := time.Since(began); el < 150*time.Millisecond {
		t.Fatalf("10 frames at 50 fps took %v: not paced", el)
	}
	for i, f := range rec.frames {
		if f.pts != time.Duration(i)*20*time.Millisecond || !f.key {
			t.Fatalf("frame %d: pts %v key %v", i, f.pts, f.key)
		}
	}
	img, err := jpeg.Decode(bytes.NewReader(rec.frames[0].jpg))
	if err != nil {
		t.Fatal(err)
	}
	// 161x121 is cropped to whole 8x8 blocks: 160x120.
	if b := img.Bounds(); b.Dx() != 160 || b.Dy() != 120 {
		t.Fatalf("frame size %v, want 160x120", b)
	}
	r, g, b, _ := img.At(80, 60).RGBA()
	if r>>8 > 8 || g>>8 < 190 || b>>8 > 8 {
		t.Fatalf("centre %d,%d,%d, want green", r>>8, g>>8, b>>8)
	}
}

func TestRunEndsWhenTheWindowCloses(t *testing.T) {
	d := fakeDisplay()
	src, err := New(d, x11.Target{Window: "PROBE"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{onAU: func(n int) {
		if n == 3 {
			d.CloseWindow("probe-window")
		}
	}}
	done := make(chan error, 1)
	go func() { done <- src.Run(context.Background(), rec) }()
	select {
	case err := <-done:
		if !errors.Is(err, x11.ErrWindowGone) {
			t.Fatalf("Run: %v, want ErrWindowGone", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run went on after the window closed")
	}
	if len(rec.frames) != 3 {
		t.Fatalf("%d frames", len(rec.frames))
	}
	if err := src.Run(context.Background(), rec); !errors.Is(err, x11.ErrNoWindow) {
		t.Fatalf("Run without the window: %v", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{{FPS: -1}, {FPS: 500}, {Quality: 101}} {
		if _, err := New(fakeDisplay(), x11.Target{}, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}
