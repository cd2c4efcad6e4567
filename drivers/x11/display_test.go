package x11_test

import (
	"errors"
	"image"
	"image/color"
	"testing"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"rtspcam/drivers/x11"
	"rtspcam/drivers/x11/x11test"
)

func TestDisplayOnXvfb(t *testing.T) {
	disp := x11test.StartXvfb(t, 640, 480)
	red := color.RGBA{255, 0, 0, 255}
	win := x11test.OpenWindow(t, disp, "probe-window", red, 50, 40, 300, 100)
	x11test.OpenWindow(t, disp, "Other Thing", color.RGBA{0, 0, 255, 255}, 400, 300, 100, 50)

	d, err := x11.Open(disp)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.SHM(); err != nil {
		t.Fatalf("Xvfb has MIT-SHM, but: %v", err)
	}

	ss, err := d.Screens()
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 1 || ss[0].Width != 640 || ss[0].Height != 480 || ss[0].X != 0 || ss[0].Y != 0 {
		t.Fatalf("screens %+v, want one 640x480 at 0,0", ss)
	}

	ws, err := d.Windows()
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 {
		t.Fatalf("windows %+v, want the two test windows", ws)
	}
	w, err := d.FindWindow("PROBE")
	if err != nil {
		t.Fatal(err)
	}
	if w.ID != win.ID || w.Title != "probe-window" || w.Width != 300 || w.Height != 100 || w.X != 50 || w.Y != 40 {
		t.Fatalf("found %+v, want probe-window 300x100 at 50,40 (id %d)", w, win.ID)
	}
	if _, err := d.FindWindow("nothing like it"); !errors.Is(err, x11.ErrNoWindow) {
		t.Fatalf("missing window: %v", err)
	}

	// The window's pixels are its background colour.
	g, err := d.Open(x11.Target{Window: "probe-window"})
	if err != nil {
		t.Fatal(err)
	}
	if gw, gh := g.Size(); gw != 300 || gh != 100 {
		t.Fatalf("window capture size %dx%d", gw, gh)
	}
	if !g.(*x11.Capturer).SHM() {
		t.Fatal("the window capturer does not use MIT-SHM")
	}
	pic := image.NewYCbCr(image.Rect(0, 0, 300, 100), image.YCbCrSubsampleRatio420)
	if err := g.Capture(pic); err != nil {
		t.Fatal(err)
	}
	checkColor(t, "window", pic, 150, 50, red)

	// The screen shows the window where it is, and black elsewhere.
	sg, err := d.CaptureScreen(0)
	if err != nil {
		t.Fatal(err)
	}
	if !sg.SHM() {
		t.Fatal("the screen capturer does not use MIT-SHM")
	}
	defer sg.Close()
	full := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	if err := sg.Capture(full); err != nil {
		t.Fatal(err)
	}
	checkColor(t, "screen inside the window", full, 200, 90, red)
	checkColor(t, "screen corner", full, 4, 470, color.RGBA{0, 0, 0, 255})

	if _, err := d.CaptureScreen(1); !errors.Is(err, x11.ErrNoScreen) {
		t.Fatalf("screen 1: %v", err)
	}

	win.Close()
	if err := g.Capture(pic); !errors.Is(err, x11.ErrWindowGone) {
		t.Fatalf("capture after close: %v, want ErrWindowGone", err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if ws, _ := d.Windows(); len(ws) != 1 {
		t.Fatalf("after close, windows %+v", ws)
	}
}

func TestOpenBadDisplay(t *testing.T) {
	if _, err := x11.Open(":4999"); err == nil {
		t.Fatal("opened a display that does not exist")
	}
}

func checkColor(t *testing.T, what string, pic *image.YCbCr, x, y int, want color.RGBA) {
	t.Helper()
	got := pic.YCbCrAt(x, y)
	r, g, b := color.YCbCrToRGB(got.Y, got.Cb, got.Cr)
	if d := max(diff(r, want.R), diff(g, want.G), diff(b, want.B)); d > 6 {
		t.Errorf("%s: pixel %d,%d is %d,%d,%d, want %d,%d,%d", what, x, y, r, g, b, want.R, want.G, want.B)
	}
}

func diff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// TestOpenWhileAnotherDisplayGetsErrors opens displays while another
// connection receives X errors, which xgb decodes through process-wide
// tables that an extension's Init writes. Under -race it fails if Open
// writes them again (a concurrent map read and write can crash the
// process outright).
func TestOpenWhileAnotherDisplayGetsErrors(t *testing.T) {
	disp := x11test.StartXvfb(t, 64, 64)
	first, err := x11.Open(disp)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := xgb.NewConnDisplay(disp)
	first.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				done <- n
				return
			default:
			}
			// No such drawable: the server answers with an error.
			if _, err := xproto.GetGeometry(conn, xproto.Drawable(0x7fffff)).Reply(); err != nil {
				n++
			}
		}
	}()
	for range 20 {
		d, err := x11.Open(disp)
		if err != nil {
			t.Error(err)
			break
		}
		if err := d.SHM(); err != nil {
			t.Errorf("a later display lost MIT-SHM: %v", err)
		}
		d.Close()
	}
	close(stop)
	if n := <-done; n == 0 {
		t.Fatal("the other connection got no errors: the test proved nothing")
	}
}
