package screen

import (
	"image/color"
	"runtime"
	"strconv"
	"testing"
	"time"

	"rtspcam/drivers/x11"
	"rtspcam/drivers/x11/x11test"
)

// discard takes access units and keeps nothing.
type discard struct{ n int }

func (d *discard) WriteAU(int, time.Duration, [][]byte, bool) error { d.n++; return nil }

// xvfbCapture opens a capture of screen 0 of a fresh Xvfb of w x h with a
// coloured window on it, through MIT-SHM unless noSHM.
func xvfbCapture(tb testing.TB, w, h int, noSHM bool) *capture {
	tb.Helper()
	var extra []string
	if noSHM {
		extra = []string{"-extension", "MIT-SHM"}
	}
	disp := x11test.StartXvfb(tb, w, h, extra...)
	x11test.OpenWindow(tb, disp, "paint", color.RGBA{200, 40, 90, 255}, w/4, h/4, w/2, h/2)
	d, err := x11.Open(disp)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	g, err := d.CaptureScreen(0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { g.Close() })
	if g.SHM() == noSHM {
		tb.Fatalf("capturer SHM %v, asked for noSHM %v (display: %v)", g.SHM(), noSHM, d.SHM())
	}
	c, err := newCapture(g, 0)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// TestFrameAllocatesNothingOfItsOwn measures a frame (MIT-SHM grab, BGRX
// to 4:2:0 conversion, JPEG, write) against an Xvfb screen: it allocates
// no more than the grab (xgb's request bookkeeping) and image/jpeg do on
// their own, and no frame-sized buffer.
func TestFrameAllocatesNothingOfItsOwn(t *testing.T) {
	c := xvfbCapture(t, 640, 480, false)
	w := &discard{}
	frame := func() {
		if err := c.frame(w, 0); err != nil {
			t.Fatal(err)
		}
	}
	grab := func() {
		if err := c.g.Capture(c.pic); err != nil {
			t.Fatal(err)
		}
	}
	encode := func() {
		var err error
		if c.buf, err = c.enc.Encode(c.buf[:0], c.pic); err != nil {
			t.Fatal(err)
		}
	}
	frame() // the encoder's output buffer reaches its size
	allFrame := testing.AllocsPerRun(30, frame)
	allGrab := testing.AllocsPerRun(30, grab)
	allJPEG := testing.AllocsPerRun(30, encode)
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	const n = 30
	for range n {
		frame()
	}
	runtime.ReadMemStats(&m1)
	perFrame := (m1.TotalAlloc - m0.TotalAlloc) / n
	t.Logf("per 640x480 frame: %.0f allocs (grab %.0f, image/jpeg %.0f), %d B", allFrame, allGrab, allJPEG, perFrame)
	if allFrame > allGrab+allJPEG {
		t.Errorf("a frame makes %.0f allocations, more than the grab's %.0f and image/jpeg's %.0f", allFrame, allGrab, allJPEG)
	}
	if perFrame > 64<<10 {
		t.Errorf("a frame allocates %d bytes: a picture or JPEG buffer is not reused", perFrame)
	}
	if w.n != 1+30+1+n { // AllocsPerRun runs once more to warm up
		t.Errorf("%d frames written", w.n)
	}
}

// BenchmarkFrame is the screen source's work per frame, from grab to JPEG
// access unit, through MIT-SHM and through GetImage.
func BenchmarkFrame(b *testing.B) {
	for _, size := range [][2]int{{640, 480}, {1920, 1080}} {
		for _, mode := range []string{"shm", "getimage"} {
			b.Run(mode+"/"+strconv.Itoa(size[0])+"x"+strconv.Itoa(size[1]), func(b *testing.B) {
				c := xvfbCapture(b, size[0], size[1], mode == "getimage")
				w := &discard{}
				b.ReportAllocs()
				for b.Loop() {
					if err := c.frame(w, 0); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
