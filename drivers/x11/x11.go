// Package x11 captures the screens and windows of an X server: it lists
// the monitors (RandR, else Xinerama, else the root window) and the
// viewable top-level windows, and grabs a screen rectangle or a window
// into a reused 4:2:0 picture ready for an encoder. It speaks the X
// protocol in pure Go (jezek/xgb): no cgo, no Xlib.
package x11

import (
	"errors"
	"fmt"
	"image"
	"strings"
)

// ErrWindowGone is returned by a window's Capture once the window is
// destroyed or unmapped.
var ErrWindowGone = errors.New("x11: window gone")

// ErrNoWindow is returned when no viewable window has the asked title.
var ErrNoWindow = errors.New("x11: no such window")

// ErrNoScreen is returned for a monitor index the display does not have.
var ErrNoScreen = errors.New("x11: no such screen")

// ErrPixelFormat is returned for displays whose pixels are not 32-bit
// little-endian BGRX (true colour depth 24 or 32), the only layout the
// converter reads.
var ErrPixelFormat = errors.New("x11: unsupported pixel format")

// Screen is one monitor of the display, in root window coordinates.
type Screen struct {
	Index         int
	Name          string // the RandR output name, or "" when unknown
	X, Y          int
	Width, Height int
}

// Window is a viewable top-level window.
type Window struct {
	ID            uint32
	Title         string // _NET_WM_NAME, else WM_NAME
	X, Y          int    // position of the top-left corner on the root window
	Width, Height int
}

// Target names what to capture: a window by title when Window is set,
// else the monitor Screen.
type Target struct {
	Screen int
	Window string
}

func (t Target) String() string {
	if t.Window != "" {
		return fmt.Sprintf("window %q", t.Window)
	}
	return fmt.Sprintf("screen %d", t.Screen)
}

// Grabber captures frames of one screen or window. Capture fills dst, whose
// bounds start at (0, 0) and are at most Size, from the top-left corner of
// the captured area; it allocates no picture of its own.
type Grabber interface {
	Size() (width, height int)
	Capture(dst *image.YCbCr) error
	Close() error
}

// Device is a display to capture from: *Display is the real one,
// x11test.Display a fake for tests.
type Device interface {
	Screens() ([]Screen, error)
	Windows() ([]Window, error)
	Open(t Target) (Grabber, error)
	Close() error
}

// MatchWindow finds the window titled title in ws: first a case-insensitive
// exact match, then the first whose title contains title (case-insensitive).
func MatchWindow(ws []Window, title string) (Window, error) {
	want := strings.ToLower(title)
	if want == "" {
		return Window{}, fmt.Errorf("%w: empty title", ErrNoWindow)
	}
	for _, w := range ws {
		if strings.ToLower(w.Title) == want {
			return w, nil
		}
	}
	for _, w := range ws {
		if strings.Contains(strings.ToLower(w.Title), want) {
			return w, nil
		}
	}
	return Window{}, fmt.Errorf("%w: %q", ErrNoWindow, title)
}
