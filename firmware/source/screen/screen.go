// Package screen is the live source of an X11 screen or window: it grabs
// frames at the output's frame rate and encodes them as MJPEG with the
// pure-Go encoder.
package screen

import (
	"context"
	"fmt"
	"image"
	"sync/atomic"
	"time"

	"rtspcam/drivers/x11"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/mjpeg"
)

// DefaultFPS is the frame rate when the configuration names none.
const DefaultFPS = 25

// MaxFPS bounds the frame rate a configuration may ask for.
const MaxFPS = 60

// lateLimit is how many frame periods capture may fall behind (a slow
// encoder, a big screen) before frames are skipped to catch up with the
// clock instead of being sent in a burst.
const lateLimit = 4

// Writer receives the access units; source.Writer and *stream.Stream are
// ones. The au slices are valid only during the call.
type Writer interface {
	WriteAU(track int, pts time.Duration, au [][]byte, key bool) error
}

// FrameWriter is a Writer that takes the captured picture itself (a
// transcoder): Run hands it the picture instead of encoding JPEG that
// would only be decoded again. The picture is valid only during the call.
type FrameWriter interface {
	Writer
	WriteFrame(track int, pts time.Duration, pic *image.YCbCr) error
}

// Options tunes a Source. Zero fields take the defaults (25 fps, JPEG
// quality 75).
type Options struct {
	FPS     float64
	Quality int
}

// Source captures one screen or window of a display. Run may be called
// again after it returns, but not concurrently.
type Source struct {
	dev     x11.Device
	target  x11.Target
	period  time.Duration
	quality int
	formats []payload.Format
	skipped atomic.Int64
}

// New returns the source of t on dev.
func New(dev x11.Device, t x11.Target, o Options) (*Source, error) {
	if o.FPS == 0 {
		o.FPS = DefaultFPS
	}
	if o.FPS < 0 || o.FPS > MaxFPS {
		return nil, fmt.Errorf("screen: %g fps: want up to %d", o.FPS, MaxFPS)
	}
	if o.Quality < 0 || o.Quality > 100 {
		return nil, fmt.Errorf("screen: quality %d out of 1..100", o.Quality)
	}
	return &Source{
		dev: dev, target: t, quality: o.Quality,
		period:  time.Duration(float64(time.Second) / o.FPS),
		formats: []payload.Format{&mjpeg.Format{}},
	}, nil
}

// Formats is one track: MJPEG (RFC 2435).
func (s *Source) Formats() []payload.Format { return s.formats }

// Skipped is how many frames of the clock's grid were never captured
// because capture fell more than a few frame periods behind (a slow
// encoder, a loaded machine), counted over every Run when the frame after
// them is captured: in a run, frames sent plus frames skipped account for
// every period up to the last frame sent.
func (s *Source) Skipped() int64 { return s.skipped.Load() }

// Target is what the source captures.
func (s *Source) Target() x11.Target { return s.target }

// Run captures and sends frames until ctx ends (it returns ctx.Err()), the
// window goes away (an error wrapping x11.ErrWindowGone) or capture or w
// fails. Frame n is due n periods after the start on the monotonic clock
// and carries that PTS, so the pace does not drift; frames more than a few
// periods late are skipped (see Skipped). Sizes are cropped to multiples
// of 8 (RFC 2435 sends size/8): the right and bottom edges lose up to 7
// pixels.
func (s *Source) Run(ctx context.Context, w Writer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	g, err := s.dev.Open(s.target)
	if err != nil {
		return fmt.Errorf("screen: %s: %w", s.target, err)
	}
	defer g.Close()
	c, err := newCapture(g, s.quality)
	if err != nil {
		return fmt.Errorf("screen: %s: %w", s.target, err)
	}

	start := time.Now()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for frame := int64(0); ; frame++ {
		due := time.Duration(frame) * s.period
		if wait := due - time.Since(start); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-timer.C:
			}
		} else if err := ctx.Err(); err != nil {
			return err
		} else if late := -wait; late > lateLimit*s.period {
			// Far behind: jump to the frame due now rather than
			// bursting, and count the frames left out.
			skip := int64(late / s.period)
			frame += skip
			due = time.Duration(frame) * s.period
			s.skipped.Add(skip)
		}
		if err := c.frame(w, due); err != nil {
			return fmt.Errorf("screen: %s: %w", s.target, err)
		}
	}
}
