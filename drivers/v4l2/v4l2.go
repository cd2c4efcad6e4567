// Package v4l2 captures frames from Video4Linux2 cameras: it lists the
// capture devices and their formats, picks the device a URL names
// (videodevice, videodeviceN, videodevice=Name), negotiates the format
// that best fits the requested output, and hands out frames in reused
// buffers with the kernel's capture timestamps. The real devices are
// opened with go4vl (linux and cgo); v4l2test has a fake for tests.
package v4l2

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNoDevice is returned when no capture device matches what was asked.
var ErrNoDevice = errors.New("v4l2: no such video device")

// ErrGone is returned by Next once the device went away (unplugged).
var ErrGone = errors.New("v4l2: device gone")

// ErrNoFormat is returned when a device offers nothing usable.
var ErrNoFormat = errors.New("v4l2: no usable format")

// ErrUnsupported is returned by builds without V4L2 support (no cgo, not
// Linux).
var ErrUnsupported = errors.New("v4l2: not supported by this build")

// PixelFormat is a V4L2 fourcc.
type PixelFormat uint32

// FourCC builds a PixelFormat from its four characters.
func FourCC(s string) PixelFormat {
	if len(s) != 4 {
		return 0
	}
	return PixelFormat(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
}

// The formats the negotiation knows.
var (
	PixH264  = FourCC("H264")
	PixMJPEG = FourCC("MJPG")
	PixJPEG  = FourCC("JPEG")
	PixYUYV  = FourCC("YUYV")
	PixUYVY  = FourCC("UYVY")
	PixNV12  = FourCC("NV12")
	PixYU12  = FourCC("YU12")
	PixYV12  = FourCC("YV12")
)

func (p PixelFormat) String() string {
	b := [4]byte{byte(p), byte(p >> 8), byte(p >> 16), byte(p >> 24)}
	for _, c := range b {
		if c < ' ' || c > '~' {
			return fmt.Sprintf("%#08x", uint32(p))
		}
	}
	return string(b[:])
}

// Compressed tells whether frames of p are coded (H.264, JPEG).
func (p PixelFormat) Compressed() bool {
	return p == PixH264 || p == PixMJPEG || p == PixJPEG
}

// Size is a frame size in pixels.
type Size struct{ Width, Height int }

// FormatInfo is one pixel format a device offers and its discrete frame
// sizes (a stepwise range is given as its smallest and largest size).
type FormatInfo struct {
	Pixel       PixelFormat
	Description string
	Sizes       []Size
}

// DeviceInfo describes a capture device.
type DeviceInfo struct {
	Index   int    // position among the capture devices, as videodeviceN counts
	Path    string // /dev/videoX
	Name    string // the card name
	Driver  string
	Bus     string
	Formats []FormatInfo
}

// Format is a negotiated capture format.
type Format struct {
	Pixel         PixelFormat
	Width, Height int
	Stride        int // bytes per line of the first plane (0: packed)
	FPS           float64
}

func (f Format) String() string {
	return fmt.Sprintf("%s %dx%d@%gfps", f.Pixel, f.Width, f.Height, f.FPS)
}

// Frame is one captured frame. Data is a view of the capture buffer, valid
// until the next call to Next or Close.
type Frame struct {
	Data []byte
	// Time is the kernel's capture timestamp on the monotonic clock.
	Time time.Duration
	// Seq is the driver's frame counter; a gap means dropped frames.
	Seq uint32
	// Key is set for coded frames the driver marks as keyframes (and
	// for every JPEG frame).
	Key bool
}

// Capture is a running capture.
type Capture interface {
	Format() Format
	// Next waits for the next frame. It returns ctx.Err() when ctx ends
	// and an error wrapping ErrGone when the device disappeared.
	Next(ctx context.Context) (Frame, error)
	Close() error
}

// System finds and opens capture devices: Host is the real one.
type System interface {
	Devices() ([]DeviceInfo, error)
	Open(dev DeviceInfo, f Format) (Capture, error)
}
