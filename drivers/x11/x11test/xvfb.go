package x11test

import (
	"bufio"
	"context"
	"fmt"
	"image/color"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
)

// StartXvfb runs an X server (Xvfb) of width x height at depth 24 on a
// display number it picks itself (-displayfd), and returns its name, as
// ":N". extra goes on Xvfb's command line (as "-extension", "MIT-SHM" to
// run without shared memory). The server does not reset when its last
// client leaves, so a test may reconnect at any time. It fails the test when Xvfb is missing. The
// server is stopped in t.Cleanup.
func StartXvfb(t testing.TB, width, height int, extra ...string) string {
	t.Helper()
	bin, err := exec.LookPath("Xvfb")
	if err != nil {
		t.Fatalf("Xvfb is needed for this test: %v", err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", width, height), "-nolisten", "tcp", "-noreset"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.ExtraFiles = []*os.File{pw}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	pw.Close()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(pr).ReadString('\n')
		pr.Close()
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			t.Fatal("Xvfb exited without a display number")
		}
		return ":" + n
	case <-time.After(10 * time.Second):
		t.Fatal("Xvfb did not report its display within 10 s")
	}
	return ""
}

// TestWindow is a plain window filled with one colour, kept open by its
// own connection.
type TestWindow struct {
	ID   uint32
	conn *xgb.Conn
}

// OpenWindow maps a top-level window titled title (WM_NAME and
// _NET_WM_NAME) at (x, y) of w x h, its background c, on display, and
// waits until the server says it is viewable. It is destroyed in
// t.Cleanup if the test has not closed it.
func OpenWindow(t testing.TB, display, title string, c color.RGBA, x, y, w, h int) *TestWindow {
	t.Helper()
	// x11's init has silenced xgb's logger (it prints about a missing
	// ~/.Xauthority); writing it here would race with other connections.
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatalf("connect to %s: %v", display, err)
	}
	scr := xproto.Setup(conn).DefaultScreen(conn)
	id, err := xproto.NewWindowId(conn)
	if err != nil {
		t.Fatal(err)
	}
	pixel := uint32(c.R)<<16 | uint32(c.G)<<8 | uint32(c.B)
	err = xproto.CreateWindowChecked(conn, scr.RootDepth, id, scr.Root, int16(x), int16(y), uint16(w), uint16(h), 0,
		xproto.WindowClassInputOutput, scr.RootVisual, xproto.CwBackPixel|xproto.CwOverrideRedirect, []uint32{pixel, 1}).Check()
	if err != nil {
		t.Fatalf("create window: %v", err)
	}
	xproto.ChangeProperty(conn, xproto.PropModeReplace, id, xproto.AtomWmName, xproto.AtomString, 8, uint32(len(title)), []byte(title))
	if net, err := xproto.InternAtom(conn, false, 12, "_NET_WM_NAME").Reply(); err == nil {
		if utf8, err := xproto.InternAtom(conn, false, 11, "UTF8_STRING").Reply(); err == nil {
			xproto.ChangeProperty(conn, xproto.PropModeReplace, id, net.Atom, utf8.Atom, 8, uint32(len(title)), []byte(title))
		}
	}
	if err := xproto.MapWindowChecked(conn, id).Check(); err != nil {
		t.Fatalf("map window: %v", err)
	}
	tw := &TestWindow{ID: uint32(id), conn: conn}
	t.Cleanup(tw.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		a, err := xproto.GetWindowAttributes(conn, id).Reply()
		if err == nil && a.MapState == xproto.MapStateViewable {
			return tw
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("window %q never became viewable", title)
	return nil
}

// Close destroys the window and drops its connection.
func (w *TestWindow) Close() {
	if w.conn == nil {
		return
	}
	xproto.DestroyWindowChecked(w.conn, xproto.Window(w.ID)).Check()
	w.conn.Close()
	w.conn = nil
}

// Resize changes the window's size and waits until the server has done
// it.
func (w *TestWindow) Resize(t testing.TB, width, height int) {
	t.Helper()
	err := xproto.ConfigureWindowChecked(w.conn, xproto.Window(w.ID),
		xproto.ConfigWindowWidth|xproto.ConfigWindowHeight, []uint32{uint32(width), uint32(height)}).Check()
	if err != nil {
		t.Fatalf("resize window: %v", err)
	}
}
