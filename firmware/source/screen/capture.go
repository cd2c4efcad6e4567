package screen

import (
	"fmt"
	"image"
	"time"

	"rtspcam/drivers/x11"
	"rtspcam/hwenc/soft"
)

// capture is one run's per-frame machinery, made once at the start so a
// frame reuses everything: the grabber (and its shared memory segment),
// the 4:2:0 picture it converts into, the JPEG encoder and its output.
type capture struct {
	g   x11.Grabber
	pic *image.YCbCr
	enc *soft.MJPEGEncoder
	buf []byte
	au  [1][]byte
}

// newCapture sizes the picture to g's area cropped to whole 8x8 blocks
// (RFC 2435 sends size/8: a receiver would show a 300-pixel-wide picture
// as 304 with garbage on the right), losing up to 7 pixels on the right
// and bottom edges.
func newCapture(g x11.Grabber, quality int) (*capture, error) {
	gw, gh := g.Size()
	width, height := gw&^7, gh&^7
	if width == 0 || height == 0 {
		return nil, fmt.Errorf("size %dx%d too small", gw, gh)
	}
	enc, err := soft.NewMJPEGEncoder(width, height, quality)
	if err != nil {
		return nil, err
	}
	return &capture{
		g:   g,
		pic: image.NewYCbCr(image.Rect(0, 0, width, height), image.YCbCrSubsampleRatio420),
		enc: enc,
		buf: make([]byte, 0, width*height/4),
	}, nil
}

// frame grabs, encodes and writes one frame with pts. Beyond what the
// grabber and image/jpeg allocate inside, it allocates nothing.
func (c *capture) frame(w Writer, pts time.Duration) error {
	if err := c.g.Capture(c.pic); err != nil {
		return err
	}
	if fw, ok := w.(FrameWriter); ok {
		// A transcoder: the picture itself, no JPEG to decode again.
		if err := fw.WriteFrame(0, pts, c.pic); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		return nil
	}
	var err error
	if c.buf, err = c.enc.Encode(c.buf[:0], c.pic); err != nil {
		return err
	}
	c.au[0] = c.buf
	err = w.WriteAU(0, pts, c.au[:], true)
	c.au[0] = nil
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}
