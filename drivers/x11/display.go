package x11

import (
	"errors"
	"fmt"
	"io"
	"log"
	"sort"
	"sync"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/randr"
	"github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xinerama"
	"github.com/jezek/xgb/xproto"
)

// xgb's package-level logger is silenced at init, before any connection's
// reader goroutine can read it: a library must not print, and every
// failure xgb logs also reaches us as an error.
func init() { xgb.Logger = log.New(io.Discard, "", 0) }

// xgb's extension Init functions record the connection's opcode and also
// write process-wide maps of event and error constructors, which every
// connection's reader goroutine reads, without a lock, whenever an error
// or event arrives: an Init while another display is capturing could
// crash the process (concurrent map read and write). So each extension is
// fully initialised once per process; later connections only ask their
// server for its opcode. (The tables assume one X server layout per
// process, as xgb does anyway.)
var (
	extInit  sync.Mutex
	extReady = map[string]bool{}
)

// initExtension makes the extension name usable on conn.
func initExtension(conn *xgb.Conn, name string, init func(*xgb.Conn) error) error {
	extInit.Lock()
	defer extInit.Unlock()
	if !extReady[name] {
		if err := init(conn); err != nil {
			return err
		}
		extReady[name] = true
		return nil
	}
	r, err := xproto.QueryExtension(conn, uint16(len(name)), name).Reply()
	if err != nil {
		return err
	}
	if !r.Present {
		return fmt.Errorf("the server has no %s extension", name)
	}
	conn.ExtLock.Lock()
	conn.Extensions[name] = r.MajorOpcode
	conn.ExtLock.Unlock()
	return nil
}

// Display is a connection to an X server. Its methods are safe for
// concurrent use.
type Display struct {
	conn      *xgb.Conn
	setup     *xproto.SetupInfo
	root      xproto.Window
	randr     bool
	xinerama  bool
	bgrx      bool  // the root visual is 32-bit little-endian BGRX
	shmErr    error // why captures use GetImage rather than MIT-SHM; nil: they don't
	atomNet   xproto.Atom
	atomUTF8  xproto.Atom
	closeOnce sync.Once
}

var _ Device = (*Display)(nil)

// Open connects to the X server named by display ("" means $DISPLAY, as
// ":0" or "host:1.0").
func Open(display string) (*Display, error) {
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		name := display
		if name == "" {
			name = "$DISPLAY"
		}
		return nil, fmt.Errorf("x11: open %s: %w", name, err)
	}
	d := &Display{conn: conn, setup: xproto.Setup(conn)}
	scr := d.setup.DefaultScreen(conn)
	d.root = scr.Root
	d.bgrx = d.pixelsAreBGRX(scr)
	d.randr = initExtension(conn, "RANDR", randr.Init) == nil
	d.xinerama = initExtension(conn, "XINERAMA", xinerama.Init) == nil
	if shmInit := initExtension(conn, "MIT-SHM", shm.Init); shmInit != nil {
		d.shmErr = fmt.Errorf("x11: no MIT-SHM extension: %w", shmInit)
	} else if probe, err := newSegment(conn, 4096); err != nil {
		d.shmErr = err
	} else {
		probe.close()
	}
	if d.atomNet, err = d.atom("_NET_WM_NAME"); err == nil {
		d.atomUTF8, err = d.atom("UTF8_STRING")
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	return d, nil
}

// pixelsAreBGRX tells whether GetImage on the root gives 4-byte pixels in
// B, G, R, X order.
func (d *Display) pixelsAreBGRX(scr *xproto.ScreenInfo) bool {
	if d.setup.ImageByteOrder != xproto.ImageOrderLSBFirst {
		return false
	}
	bpp := 0
	for _, f := range d.setup.PixmapFormats {
		if f.Depth == scr.RootDepth {
			bpp = int(f.BitsPerPixel)
		}
	}
	if bpp != 32 {
		return false
	}
	for _, dep := range scr.AllowedDepths {
		for _, v := range dep.Visuals {
			if v.VisualId == scr.RootVisual {
				return v.RedMask == 0xff0000 && v.GreenMask == 0xff00 && v.BlueMask == 0xff
			}
		}
	}
	return false
}

func (d *Display) atom(name string) (xproto.Atom, error) {
	r, err := xproto.InternAtom(d.conn, true, uint16(len(name)), name).Reply()
	if err != nil {
		return 0, fmt.Errorf("x11: intern %s: %w", name, err)
	}
	return r.Atom, nil
}

// SHM is nil when captures share memory with the X server (MIT-SHM: the
// server writes each frame into a segment mapped by both sides), else the
// reason they fall back to GetImage (no extension, a server on another
// host, another OS), which copies every frame through the socket.
func (d *Display) SHM() error { return d.shmErr }

// Close ends the connection.
func (d *Display) Close() error {
	d.closeOnce.Do(d.conn.Close)
	return nil
}

// RootSize is the size of the default screen's root window.
func (d *Display) RootSize() (width, height int) {
	scr := d.setup.DefaultScreen(d.conn)
	return int(scr.WidthInPixels), int(scr.HeightInPixels)
}

// Screens lists the monitors, ordered as RandR (or Xinerama) reports
// them; a display without either has one screen, the root window.
func (d *Display) Screens() ([]Screen, error) {
	if d.randr {
		if s, err := d.randrScreens(); err == nil && len(s) > 0 {
			return s, nil
		}
	}
	if d.xinerama {
		if s, err := d.xineramaScreens(); err == nil && len(s) > 0 {
			return s, nil
		}
	}
	w, h := d.RootSize()
	return []Screen{{Width: w, Height: h}}, nil
}

func (d *Display) randrScreens() ([]Screen, error) {
	res, err := randr.GetScreenResourcesCurrent(d.conn, d.root).Reply()
	if err != nil {
		return nil, err
	}
	var out []Screen
	for _, crtc := range res.Crtcs {
		ci, err := randr.GetCrtcInfo(d.conn, crtc, res.ConfigTimestamp).Reply()
		if err != nil {
			return nil, err
		}
		if ci.Mode == 0 || ci.Width == 0 || ci.Height == 0 || len(ci.Outputs) == 0 {
			continue
		}
		s := Screen{X: int(ci.X), Y: int(ci.Y), Width: int(ci.Width), Height: int(ci.Height)}
		if oi, err := randr.GetOutputInfo(d.conn, ci.Outputs[0], res.ConfigTimestamp).Reply(); err == nil {
			s.Name = string(oi.Name)
		}
		out = append(out, s)
	}
	// CRTC order is the driver's; sort left to right, top to bottom so
	// screenlive1 is stable.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].X != out[j].X {
			return out[i].X < out[j].X
		}
		return out[i].Y < out[j].Y
	})
	for i := range out {
		out[i].Index = i
	}
	return out, nil
}

func (d *Display) xineramaScreens() ([]Screen, error) {
	act, err := xinerama.IsActive(d.conn).Reply()
	if err != nil || act.State == 0 {
		return nil, err
	}
	r, err := xinerama.QueryScreens(d.conn).Reply()
	if err != nil {
		return nil, err
	}
	out := make([]Screen, 0, len(r.ScreenInfo))
	for i, s := range r.ScreenInfo {
		out = append(out, Screen{Index: i, X: int(s.XOrg), Y: int(s.YOrg), Width: int(s.Width), Height: int(s.Height)})
	}
	return out, nil
}

// Windows lists the viewable top-level windows that have a title, in
// stacking order from the bottom. Under a window manager the titled client
// window inside each frame is reported, at the frame's position.
func (d *Display) Windows() ([]Window, error) {
	tree, err := xproto.QueryTree(d.conn, d.root).Reply()
	if err != nil {
		return nil, fmt.Errorf("x11: list windows: %w", err)
	}
	var out []Window
	for _, top := range tree.Children {
		attr, err := xproto.GetWindowAttributes(d.conn, top).Reply()
		if err != nil || attr.MapState != xproto.MapStateViewable || attr.Class == xproto.WindowClassInputOnly {
			continue // gone meanwhile, hidden, or not drawable
		}
		id, title := top, d.title(top)
		if title == "" {
			id, title = d.titledChild(top)
		}
		if title == "" {
			continue
		}
		w, err := d.geometry(id)
		if err != nil {
			continue
		}
		w.Title = title
		out = append(out, w)
	}
	return out, nil
}

// titledChild looks one level down for a window manager's client window.
func (d *Display) titledChild(frame xproto.Window) (xproto.Window, string) {
	tree, err := xproto.QueryTree(d.conn, frame).Reply()
	if err != nil {
		return 0, ""
	}
	for _, c := range tree.Children {
		if t := d.title(c); t != "" {
			return c, t
		}
	}
	return 0, ""
}

// title reads _NET_WM_NAME (UTF-8), else WM_NAME.
func (d *Display) title(w xproto.Window) string {
	if d.atomNet != 0 {
		r, err := xproto.GetProperty(d.conn, false, w, d.atomNet, d.atomUTF8, 0, 1024).Reply()
		if err == nil && r.Format == 8 && len(r.Value) > 0 {
			return string(r.Value)
		}
	}
	r, err := xproto.GetProperty(d.conn, false, w, xproto.AtomWmName, xproto.GetPropertyTypeAny, 0, 1024).Reply()
	if err == nil && r.Format == 8 && len(r.Value) > 0 {
		return string(r.Value)
	}
	return ""
}

// geometry is w's size and its position on the root window.
func (d *Display) geometry(w xproto.Window) (Window, error) {
	g, err := xproto.GetGeometry(d.conn, xproto.Drawable(w)).Reply()
	if err != nil {
		return Window{}, err
	}
	tr, err := xproto.TranslateCoordinates(d.conn, w, d.root, 0, 0).Reply()
	if err != nil {
		return Window{}, err
	}
	return Window{ID: uint32(w), X: int(tr.DstX), Y: int(tr.DstY), Width: int(g.Width), Height: int(g.Height)}, nil
}

// FindWindow finds a viewable window by title, case-insensitively: an
// exact match first, else the first title containing it.
func (d *Display) FindWindow(title string) (Window, error) {
	ws, err := d.Windows()
	if err != nil {
		return Window{}, err
	}
	return MatchWindow(ws, title)
}

// CaptureScreen returns a capturer of monitor index (see Screens).
func (d *Display) CaptureScreen(index int) (*Capturer, error) {
	if !d.bgrx {
		return nil, ErrPixelFormat
	}
	ss, err := d.Screens()
	if err != nil {
		return nil, err
	}
	if index < 0 || index >= len(ss) {
		return nil, fmt.Errorf("%w: %d (the display has %d)", ErrNoScreen, index, len(ss))
	}
	s := ss[index]
	return d.newCapturer(&Capturer{d: d, drawable: xproto.Drawable(d.root), x: s.X, y: s.Y, width: s.Width, height: s.Height}), nil
}

// CaptureWindow returns a capturer of w's contents at its present size.
func (d *Display) CaptureWindow(w Window) (*Capturer, error) {
	if !d.bgrx {
		return nil, ErrPixelFormat
	}
	if w.Width <= 0 || w.Height <= 0 {
		return nil, fmt.Errorf("x11: window %q has no area", w.Title)
	}
	return d.newCapturer(&Capturer{d: d, drawable: xproto.Drawable(w.ID), window: true, title: w.Title, width: w.Width, height: w.Height}), nil
}

// newCapturer gives c a shared memory segment for its whole area when the
// display has MIT-SHM; without one, c grabs with GetImage.
func (d *Display) newCapturer(c *Capturer) *Capturer {
	if d.shmErr == nil {
		if seg, err := newSegment(d.conn, 4*c.width*c.height); err == nil {
			c.seg = seg
		}
	}
	return c
}

// Open returns a Grabber for t, looking a window up by title.
func (d *Display) Open(t Target) (Grabber, error) {
	if t.Window != "" {
		w, err := d.FindWindow(t.Window)
		if err != nil {
			return nil, err
		}
		return d.CaptureWindow(w)
	}
	return d.CaptureScreen(t.Screen)
}

// windowGone tells whether err means the drawable no longer exists.
func windowGone(err error) bool {
	var we xproto.WindowError
	var de xproto.DrawableError
	return errors.As(err, &we) || errors.As(err, &de)
}
