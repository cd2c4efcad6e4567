// Package v4l2test is a fake V4L2 system for unit tests: devices with
// given formats that produce paced synthetic frames (a flat colour per
// device, a counter in the first byte) and can be unplugged and plugged
// back.
package v4l2test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"rtspcam/drivers/v4l2"
)

// System is a fake v4l2.System. The zero value has no devices.
type System struct {
	mu      sync.Mutex
	devs    []v4l2.DeviceInfo
	gone    map[string]chan struct{} // closed when the device is unplugged
	opens   int
	open    int
	Payload func(f v4l2.Format, seq uint32) []byte // frame content; nil: FillFrame
}

// New returns a system with devs (their Index and Path are filled in).
func New(devs ...v4l2.DeviceInfo) *System {
	s := &System{gone: map[string]chan struct{}{}}
	for _, d := range devs {
		s.Plug(d)
	}
	return s
}

// Camera describes a typical device offering the given formats at
// 320x240 and 640x480.
func Camera(name string, pix ...v4l2.PixelFormat) v4l2.DeviceInfo {
	d := v4l2.DeviceInfo{Name: name, Driver: "fake"}
	for _, p := range pix {
		d.Formats = append(d.Formats, v4l2.FormatInfo{Pixel: p, Description: p.String(),
			Sizes: []v4l2.Size{{Width: 320, Height: 240}, {Width: 640, Height: 480}}})
	}
	return d
}

// Plug adds d (again).
func (s *System) Plug(d v4l2.DeviceInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d.Index = len(s.devs)
	if d.Path == "" {
		d.Path = fmt.Sprintf("/dev/video%d", 2*d.Index)
	}
	s.devs = append(s.devs, d)
	s.gone[d.Path] = make(chan struct{})
}

// Unplug removes the device named name: its captures end with ErrGone.
func (s *System) Unplug(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, d := range s.devs {
		if d.Name == name {
			close(s.gone[d.Path])
			delete(s.gone, d.Path)
			s.devs = append(s.devs[:i], s.devs[i+1:]...)
			for j := range s.devs {
				s.devs[j].Index = j
			}
			return
		}
	}
}

// Devices lists the plugged devices.
func (s *System) Devices() ([]v4l2.DeviceInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]v4l2.DeviceInfo(nil), s.devs...), nil
}

// Opens counts the captures ever opened; Open the ones still open.
func (s *System) Opens() (total, open int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opens, s.open
}

// Open starts a fake capture at f (30 fps when f.FPS is 0).
func (s *System) Open(dev v4l2.DeviceInfo, f v4l2.Format) (v4l2.Capture, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gone, ok := s.gone[dev.Path]
	if !ok {
		return nil, fmt.Errorf("%s: %w", dev.Path, v4l2.ErrGone)
	}
	if f.FPS == 0 {
		f.FPS = 30
	}
	s.opens++
	s.open++
	c := &Capture{sys: s, f: f, gone: gone, start: time.Now(), base: monotonic()}
	c.buf = FillFrame(f, 0)
	return c, nil
}

// Capture is a fake running capture.
type Capture struct {
	sys    *System
	f      v4l2.Format
	gone   chan struct{}
	start  time.Time
	base   time.Duration // CLOCK_MONOTONIC at the start, as kernel timestamps count
	seq    uint32
	buf    []byte
	closed bool
	timer  *time.Timer
}

// Format is the capture's format.
func (c *Capture) Format() v4l2.Format { return c.f }

// Next waits for the next frame period and returns a frame whose Time is
// the period's due time on CLOCK_MONOTONIC, as a kernel timestamp is.
func (c *Capture) Next(ctx context.Context) (v4l2.Frame, error) {
	period := time.Duration(float64(time.Second) / c.f.FPS)
	due := time.Duration(c.seq) * period
	if wait := due - time.Since(c.start); wait > 0 {
		if c.timer == nil {
			c.timer = time.NewTimer(wait)
		} else {
			c.timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return v4l2.Frame{}, ctx.Err()
		case <-c.gone:
			return v4l2.Frame{}, v4l2.ErrGone
		case <-c.timer.C:
		}
	}
	select {
	case <-c.gone:
		return v4l2.Frame{}, v4l2.ErrGone
	default:
	}
	if err := ctx.Err(); err != nil {
		return v4l2.Frame{}, err
	}
	if c.sys.Payload != nil {
		c.buf = c.sys.Payload(c.f, c.seq)
	} else if len(c.buf) > 0 {
		c.buf[0] = byte(c.seq)
	}
	fr := v4l2.Frame{Data: c.buf, Time: c.base + due, Seq: c.seq, Key: true}
	c.seq++
	return fr, nil
}

// Close ends the capture.
func (c *Capture) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	if c.timer != nil {
		c.timer.Stop()
	}
	c.sys.mu.Lock()
	c.sys.open--
	c.sys.mu.Unlock()
	return nil
}

// FillFrame makes a frame of f: raw formats get mid-grey luma with a
// blue-ish chroma (Cb 160, Cr 100); coded formats get a tiny marker
// payload (tests that need a decodable picture set System.Payload).
func FillFrame(f v4l2.Format, seq uint32) []byte {
	w, h := f.Width, f.Height
	switch f.Pixel {
	case v4l2.PixYUYV:
		b := make([]byte, 2*w*h)
		for i := 0; i < len(b); i += 4 {
			b[i], b[i+1], b[i+2], b[i+3] = 128, 160, 128, 100
		}
		return b
	case v4l2.PixUYVY:
		b := make([]byte, 2*w*h)
		for i := 0; i < len(b); i += 4 {
			b[i], b[i+1], b[i+2], b[i+3] = 160, 128, 100, 128
		}
		return b
	case v4l2.PixNV12:
		b := make([]byte, w*h*3/2)
		for i := range w * h {
			b[i] = 128
		}
		for i := w * h; i < len(b); i += 2 {
			b[i], b[i+1] = 160, 100
		}
		return b
	case v4l2.PixYU12, v4l2.PixYV12:
		b := make([]byte, w*h*3/2)
		for i := range w * h {
			b[i] = 128
		}
		u, v := byte(160), byte(100)
		if f.Pixel == v4l2.PixYV12 {
			u, v = v, u
		}
		for i := w * h; i < w*h*5/4; i++ {
			b[i] = u
		}
		for i := w * h * 5 / 4; i < len(b); i++ {
			b[i] = v
		}
		return b
	}
	return []byte{byte(seq), 0, 0, 1}
}

func monotonic() time.Duration {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return time.Duration(ts.Nano())
}
