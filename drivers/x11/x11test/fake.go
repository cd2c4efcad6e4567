// Package x11test holds a fake x11.Device for unit tests and helpers that
// run a real X server (Xvfb) and open windows on it for integration tests.
package x11test

import (
	"fmt"
	"image"
	"image/color"
	"sync"

	"rtspcam/drivers/x11"
)

// Display is a fake x11.Device: its screens and windows are what the test
// says, and every capture paints the whole picture in Color.
type Display struct {
	mu       sync.Mutex
	screens  []x11.Screen
	windows  []x11.Window
	color    color.RGBA
	captures int
	closed   bool
}

var _ x11.Device = (*Display)(nil)

// New returns a fake display with the given monitors and windows, painting
// frames in c.
func New(screens []x11.Screen, windows []x11.Window, c color.RGBA) *Display {
	return &Display{screens: screens, windows: windows, color: c}
}

// SetColor changes the colour of the frames captured from now on.
func (d *Display) SetColor(c color.RGBA) {
	d.mu.Lock()
	d.color = c
	d.mu.Unlock()
}

// CloseWindow removes the window titled title: it is no longer listed and
// its grabbers fail with x11.ErrWindowGone.
func (d *Display) CloseWindow(title string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, w := range d.windows {
		if w.Title == title {
			d.windows = append(d.windows[:i:i], d.windows[i+1:]...)
			return
		}
	}
}

// Captures is the number of frames captured so far.
func (d *Display) Captures() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.captures
}

// Screens lists the fake monitors.
func (d *Display) Screens() ([]x11.Screen, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]x11.Screen(nil), d.screens...), nil
}

// Windows lists the fake windows still open.
func (d *Display) Windows() ([]x11.Window, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]x11.Window(nil), d.windows...), nil
}

// Open returns a grabber of a fake screen or window.
func (d *Display) Open(t x11.Target) (x11.Grabber, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, fmt.Errorf("x11test: display closed")
	}
	if t.Window != "" {
		w, err := x11.MatchWindow(d.windows, t.Window)
		if err != nil {
			return nil, err
		}
		return &grabber{d: d, window: w.Title, w: w.Width, h: w.Height}, nil
	}
	if t.Screen < 0 || t.Screen >= len(d.screens) {
		return nil, fmt.Errorf("%w: %d", x11.ErrNoScreen, t.Screen)
	}
	s := d.screens[t.Screen]
	return &grabber{d: d, w: s.Width, h: s.Height}, nil
}

// Close marks the display closed.
func (d *Display) Close() error {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	return nil
}

type grabber struct {
	d      *Display
	window string
	w, h   int
}

func (g *grabber) Size() (int, int) { return g.w, g.h }
func (g *grabber) Close() error     { return nil }

func (g *grabber) Capture(dst *image.YCbCr) error {
	g.d.mu.Lock()
	defer g.d.mu.Unlock()
	if g.window != "" {
		open := false
		for _, w := range g.d.windows {
			open = open || w.Title == g.window
		}
		if !open {
			return fmt.Errorf("%w: %q", x11.ErrWindowGone, g.window)
		}
	}
	if dst.Rect.Dx() > g.w || dst.Rect.Dy() > g.h {
		return fmt.Errorf("x11test: picture larger than %dx%d", g.w, g.h)
	}
	g.d.captures++
	y, cb, cr := color.RGBToYCbCr(g.d.color.R, g.d.color.G, g.d.color.B)
	fill(dst.Y, y)
	fill(dst.Cb, cb)
	fill(dst.Cr, cr)
	return nil
}

func fill(p []byte, v byte) {
	for i := range p {
		p[i] = v
	}
}
