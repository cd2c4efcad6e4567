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

// TestRunSendsPacedKeyFramesOfTheRightSize checks what a viewer sees:
// every frame is a key frame of the cropped size, stamped on the 50 fps
// grid, never sent before its time, and every grid slot up to the last
// frame was either sent or counted as skipped (a loaded machine makes the
// source skip frames rather than burst; that is not a failure).
func TestRunSendsPacedKeyFramesOfTheRightSize(t *testing.T) {
	const period = 20 * time.Millisecond
	src, err := New(fakeDisplay(), x11.Target{Screen: 1}, Options{FPS: 50})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	began := time.Now()
	var arrived []time.Duration
	rec := &recorder{onAU: func(n int) {
		arrived = append(arrived, time.Since(began))
		if n == 10 {
			cancel()
		}
	}}
	if err := src.Run(ctx, rec); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	if len(rec.frames) != 10 {
		t.Fatalf("%d frames, want 10", len(rec.frames))
	}
	for i, f := range rec.frames {
		if !f.key || f.pts%period != 0 {
			t.Fatalf("frame %d: pts %v key %v: want a key frame on the %v grid", i, f.pts, f.key, period)
		}
		if i == 0 && f.pts != 0 || i > 0 && f.pts <= rec.frames[i-1].pts {
			t.Fatalf("frame %d: pts %v after %v", i, f.pts, rec.frames[max(i-1, 0)].pts)
		}
		if arrived[i] < f.pts {
			t.Fatalf("frame %d with pts %v sent %v after the start: early, not paced", i, f.pts, arrived[i])
		}
	}
	last := int64(rec.frames[9].pts / period)
	if sent, skipped := int64(len(rec.frames)), src.Skipped(); sent+skipped != last+1 {
		t.Fatalf("%d frames sent and %d skipped, but the last is frame %d of the grid", sent, skipped, last)
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

// TestRunSkipsFramesWhenLate stalls the writer for ten periods: the source
// skips the frames it missed (and says how many) instead of sending them
// in a burst, and carries on on the grid.
func TestRunSkipsFramesWhenLate(t *testing.T) {
	const period = 20 * time.Millisecond
	src, err := New(fakeDisplay(), x11.Target{Screen: 1}, Options{FPS: 50})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rec := &recorder{onAU: func(n int) {
		if n == 3 {
			time.Sleep(10 * period)
		}
		if n == 8 {
			cancel()
		}
	}}
	if err := src.Run(ctx, rec); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	if src.Skipped() < 10-lateLimit {
		t.Fatalf("skipped %d frames after a stall of 10 periods, want at least %d", src.Skipped(), 10-lateLimit)
	}
	if gap := rec.frames[3].pts - rec.frames[2].pts; gap < (10-lateLimit)*period || gap%period != 0 {
		t.Fatalf("after the stall the pts moves by %v, want a jump on the grid", gap)
	}
	last := int64(rec.frames[len(rec.frames)-1].pts / period)
	if sent := int64(len(rec.frames)); sent+src.Skipped() != last+1 {
		t.Fatalf("%d sent + %d skipped != %d grid slots", sent, src.Skipped(), last+1)
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
