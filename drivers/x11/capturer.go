package x11

import (
	"errors"
	"fmt"
	"image"

	"github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xproto"
)

// Capturer grabs one screen rectangle or one window: with ShmGetImage into
// a shared memory segment the size of the area, reused frame after frame,
// when the display has MIT-SHM, else with GetImage (which makes xgb
// allocate the whole frame on every call). A window is grabbed from its
// own drawable, so windows above it do not show. It is not safe for
// concurrent use.
type Capturer struct {
	d             *Display
	drawable      xproto.Drawable
	window        bool
	title         string
	x, y          int
	width, height int
	seg           *segment // nil: GetImage
}

var _ Grabber = (*Capturer)(nil)

// Size is the size of the captured area when the capturer was made.
func (c *Capturer) Size() (width, height int) { return c.width, c.height }

// SHM tells whether frames come through MIT-SHM shared memory.
func (c *Capturer) SHM() bool { return c.seg != nil }

// Close frees the shared memory segment, if any. The capturer then grabs
// with GetImage.
func (c *Capturer) Close() error {
	if c.seg == nil {
		return nil
	}
	err := c.seg.close()
	c.seg = nil
	return err
}

// Capture grabs the area into dst (even bounds from (0, 0), at most Size;
// a smaller dst crops the right and bottom edges). A window that was
// destroyed or unmapped gives ErrWindowGone; one that shrank is grabbed
// where it still is, the rest of dst keeping the last frame.
func (c *Capturer) Capture(dst *image.YCbCr) error {
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	if w > c.width || h > c.height {
		return fmt.Errorf("x11: capture: picture %dx%d larger than the area %dx%d", w, h, c.width, c.height)
	}
	data, err := c.grab(w, h)
	if err == nil {
		return ConvertBGRX(dst, data, 4*w)
	}
	if !c.window {
		return fmt.Errorf("x11: capture screen: %w", err)
	}
	if windowGone(err) {
		return fmt.Errorf("%w: %q", ErrWindowGone, c.title)
	}
	var me xproto.MatchError
	if !errors.As(err, &me) {
		return fmt.Errorf("x11: capture window %q: %w", c.title, err)
	}
	// BadMatch: unmapped, resized smaller or partly off the screen.
	attr, aerr := xproto.GetWindowAttributes(c.d.conn, xproto.Window(c.drawable)).Reply()
	if aerr != nil || attr.MapState != xproto.MapStateViewable {
		return fmt.Errorf("%w: %q", ErrWindowGone, c.title)
	}
	g, gerr := c.d.geometry(xproto.Window(c.drawable))
	if gerr != nil {
		return fmt.Errorf("%w: %q", ErrWindowGone, c.title)
	}
	cw, ch := min(w, g.Width)&^1, min(h, g.Height)&^1
	if cw == 0 || ch == 0 {
		return nil
	}
	data, err = c.grab(cw, ch)
	if err != nil {
		if windowGone(err) {
			return fmt.Errorf("%w: %q", ErrWindowGone, c.title)
		}
		return fmt.Errorf("x11: capture window %q: %w", c.title, err)
	}
	part, _ := dst.SubImage(image.Rect(0, 0, cw, ch)).(*image.YCbCr)
	return ConvertBGRX(part, data, 4*cw)
}

// grab fetches the w x h area at the capturer's origin as rows of 4*w
// bytes. With MIT-SHM the bytes are in the segment, valid until the next
// grab; the one round trip carries no pixels.
func (c *Capturer) grab(w, h int) ([]byte, error) {
	if c.seg != nil {
		r, err := shm.GetImage(c.d.conn, c.drawable, int16(c.x), int16(c.y), uint16(w), uint16(h),
			0xffffffff, xproto.ImageFormatZPixmap, c.seg.id, 0).Reply()
		if err != nil {
			return nil, err
		}
		if int(r.Size) < 4*w*h {
			return nil, fmt.Errorf("x11: ShmGetImage gave %d bytes for %dx%d", r.Size, w, h)
		}
		return c.seg.mem[:4*w*h], nil
	}
	r, err := xproto.GetImage(c.d.conn, xproto.ImageFormatZPixmap, c.drawable,
		int16(c.x), int16(c.y), uint16(w), uint16(h), 0xffffffff).Reply()
	if err != nil {
		return nil, err
	}
	if len(r.Data) < 4*w*h {
		return nil, fmt.Errorf("x11: GetImage gave %d bytes for %dx%d", len(r.Data), w, h)
	}
	return r.Data, nil
}
