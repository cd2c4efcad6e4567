//go:build linux && cgo

package v4l2

/*
#include <linux/videodev2.h>
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	gv "github.com/vladimirvivien/go4vl/v4l2"
	"golang.org/x/sys/unix"
)

// Host is the machine's V4L2 devices under Root (/dev when empty).
type Host struct{ Root string }

// captureBuffers is how many buffers the driver fills in turn: one held
// by the reader, one being filled, spares against scheduling jitter.
const captureBuffers = 4

func (h Host) root() string {
	if h.Root == "" {
		return "/dev"
	}
	return h.Root
}

// Devices lists the video capture devices (not outputs, codecs or
// metadata nodes) in /dev/videoN order.
func (h Host) Devices() ([]DeviceInfo, error) {
	paths, err := Nodes(h.root())
	if err != nil {
		return nil, err
	}
	var out []DeviceInfo
	for _, p := range paths {
		d, ok := probe(p)
		if !ok {
			continue
		}
		d.Index = len(out)
		out = append(out, d)
	}
	return out, nil
}

// probe reads one node's card name and formats; ok is false for nodes
// that are not single-planar video capture devices.
func probe(path string) (DeviceInfo, bool) {
	fd, err := gv.OpenDevice(path, unix.O_RDWR|unix.O_NONBLOCK, 0)
	if err != nil {
		return DeviceInfo{}, false
	}
	defer gv.CloseDevice(fd)
	c, err := gv.GetCapability(fd)
	if err != nil || c.GetCapabilities()&gv.CapVideoCapture == 0 || c.GetCapabilities()&gv.CapStreaming == 0 {
		return DeviceInfo{}, false
	}
	d := DeviceInfo{Path: path, Name: c.Card, Driver: c.Driver, Bus: c.BusInfo}
	descs, _ := gv.GetAllFormatDescriptions(fd)
	for _, fd0 := range descs {
		fi := FormatInfo{Pixel: PixelFormat(fd0.PixelFormat), Description: fd0.Description}
		sizes, _ := gv.GetFormatFrameSizes(fd, fd0.PixelFormat)
		for _, s := range sizes {
			fs := s.Size
			if fs.MaxWidth == 0 || fs.MaxWidth == fs.MinWidth {
				fi.Sizes = append(fi.Sizes, Size{int(fs.MinWidth), int(fs.MinHeight)})
				continue
			}
			// Stepwise: offer the common sizes in range, and its ends.
			fi.Sizes = append(fi.Sizes, Size{int(fs.MinWidth), int(fs.MinHeight)})
			for _, c := range []Size{{320, 240}, {640, 480}, {1280, 720}, {1920, 1080}} {
				if c.Width > int(fs.MinWidth) && c.Width < int(fs.MaxWidth) && c.Height > int(fs.MinHeight) && c.Height < int(fs.MaxHeight) {
					fi.Sizes = append(fi.Sizes, c)
				}
			}
			fi.Sizes = append(fi.Sizes, Size{int(fs.MaxWidth), int(fs.MaxHeight)})
		}
		d.Formats = append(d.Formats, fi)
	}
	return d, true
}

// Open starts capturing dev in format f (Stride is filled in from the
// driver). The driver may adjust the size; Format says what it chose.
func (h Host) Open(dev DeviceInfo, f Format) (Capture, error) {
	fd, err := gv.OpenDevice(dev.Path, unix.O_RDWR|unix.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO) {
			return nil, fmt.Errorf("%s: %w", dev.Path, ErrGone)
		}
		return nil, fmt.Errorf("v4l2: open %s: %w", dev.Path, err)
	}
	c := &hostCapture{fd: fd, path: dev.Path}
	if err := c.start(f); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

type hostCapture struct {
	fd      uintptr
	path    string
	format  Format
	bufs    [][]byte
	held    int // index of the buffer the reader holds, or -1
	started bool
	pfd     [1]unix.PollFd
	// The ioctl arguments live here, not on the stack: a pointer handed
	// to ioctl escapes, and a per-frame local would be a per-frame
	// allocation.
	qb, dqb C.struct_v4l2_buffer
}

func ioctl(fd uintptr, req uintptr, arg unsafe.Pointer) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, fd, req, uintptr(arg))
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		return nil
	}
}

func (c *hostCapture) start(f Format) error {
	pf := gv.PixFormat{Width: uint32(f.Width), Height: uint32(f.Height), PixelFormat: gv.FourCCType(f.Pixel), Field: gv.FieldNone}
	if err := gv.SetPixFormat(c.fd, pf); err != nil {
		return fmt.Errorf("v4l2: %s: set format %s: %w", c.path, f, err)
	}
	got, err := gv.GetPixFormat(c.fd)
	if err != nil {
		return fmt.Errorf("v4l2: %s: get format: %w", c.path, err)
	}
	if PixelFormat(got.PixelFormat) != f.Pixel {
		return fmt.Errorf("v4l2: %s: asked %s, driver chose %s: %w", c.path, f.Pixel, PixelFormat(got.PixelFormat), ErrNoFormat)
	}
	c.format = Format{Pixel: f.Pixel, Width: int(got.Width), Height: int(got.Height), Stride: int(got.BytesPerLine), FPS: f.FPS}
	if f.FPS > 0 {
		if sp, err := gv.GetStreamParam(c.fd, gv.BufTypeVideoCapture); err == nil && sp.Capture.Capability&gv.StreamParamTimePerFrame != 0 {
			sp.Capture.TimePerFrame = gv.Fract{Numerator: 1000, Denominator: uint32(f.FPS*1000 + 0.5)}
			_ = gv.SetStreamParam(c.fd, gv.BufTypeVideoCapture, sp) // best effort: the driver keeps its rate otherwise
		}
	}
	if sp, err := gv.GetStreamParam(c.fd, gv.BufTypeVideoCapture); err == nil && sp.Capture.TimePerFrame.Numerator > 0 {
		c.format.FPS = float64(sp.Capture.TimePerFrame.Denominator) / float64(sp.Capture.TimePerFrame.Numerator)
	}
	var rb C.struct_v4l2_requestbuffers
	rb.count, rb._type, rb.memory = captureBuffers, C.V4L2_BUF_TYPE_VIDEO_CAPTURE, C.V4L2_MEMORY_MMAP
	if err := ioctl(c.fd, C.VIDIOC_REQBUFS, unsafe.Pointer(&rb)); err != nil {
		return fmt.Errorf("v4l2: %s: REQBUFS: %w", c.path, err)
	}
	for i := 0; i < int(rb.count); i++ {
		var b C.struct_v4l2_buffer
		b.index, b._type, b.memory = C.__u32(i), C.V4L2_BUF_TYPE_VIDEO_CAPTURE, C.V4L2_MEMORY_MMAP
		if err := ioctl(c.fd, C.VIDIOC_QUERYBUF, unsafe.Pointer(&b)); err != nil {
			return fmt.Errorf("v4l2: %s: QUERYBUF: %w", c.path, err)
		}
		off := *(*C.__u32)(unsafe.Pointer(&b.m[0]))
		m, err := unix.Mmap(int(c.fd), int64(off), int(b.length), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if err != nil {
			return fmt.Errorf("v4l2: %s: mmap: %w", c.path, err)
		}
		c.bufs = append(c.bufs, m)
		if err := c.qbuf(i); err != nil {
			return err
		}
	}
	c.held = -1
	t := C.int(C.V4L2_BUF_TYPE_VIDEO_CAPTURE)
	if err := ioctl(c.fd, C.VIDIOC_STREAMON, unsafe.Pointer(&t)); err != nil {
		return fmt.Errorf("v4l2: %s: STREAMON: %w", c.path, err)
	}
	c.started = true
	c.pfd[0] = unix.PollFd{Fd: int32(c.fd), Events: unix.POLLIN}
	return nil
}

func (c *hostCapture) qbuf(i int) error {
	c.qb = C.struct_v4l2_buffer{}
	c.qb.index, c.qb._type, c.qb.memory = C.__u32(i), C.V4L2_BUF_TYPE_VIDEO_CAPTURE, C.V4L2_MEMORY_MMAP
	if err := ioctl(c.fd, C.VIDIOC_QBUF, unsafe.Pointer(&c.qb)); err != nil {
		return c.wrap("QBUF", err)
	}
	return nil
}

func (c *hostCapture) wrap(op string, err error) error {
	if errors.Is(err, unix.ENODEV) || errors.Is(err, unix.EIO) && !c.exists() {
		return fmt.Errorf("v4l2: %s: %s: %w", c.path, op, ErrGone)
	}
	return fmt.Errorf("v4l2: %s: %s: %w", c.path, op, err)
}

func (c *hostCapture) exists() bool {
	_, err := os.Stat(c.path)
	return err == nil
}

func (c *hostCapture) Format() Format { return c.format }

// pollSlice bounds how long Next sleeps in poll before it looks at ctx.
const pollSlice = 100 * time.Millisecond

func (c *hostCapture) Next(ctx context.Context) (Frame, error) {
	if c.held >= 0 {
		if err := c.qbuf(c.held); err != nil {
			return Frame{}, err
		}
		c.held = -1
	}
	for {
		if err := ctx.Err(); err != nil {
			return Frame{}, err
		}
		c.pfd[0].Revents = 0
		n, err := unix.Poll(c.pfd[:], int(pollSlice/time.Millisecond))
		if err == unix.EINTR || n == 0 {
			continue
		}
		if err != nil {
			return Frame{}, c.wrap("poll", err)
		}
		c.dqb = C.struct_v4l2_buffer{}
		c.dqb._type, c.dqb.memory = C.V4L2_BUF_TYPE_VIDEO_CAPTURE, C.V4L2_MEMORY_MMAP
		if err := ioctl(c.fd, C.VIDIOC_DQBUF, unsafe.Pointer(&c.dqb)); err != nil {
			if err == unix.EAGAIN {
				if c.pfd[0].Revents&(unix.POLLERR|unix.POLLHUP) != 0 {
					return Frame{}, c.wrap("poll", unix.ENODEV)
				}
				continue
			}
			return Frame{}, c.wrap("DQBUF", err)
		}
		b := &c.dqb
		i := int(b.index)
		if b.flags&C.V4L2_BUF_FLAG_ERROR != 0 || int(b.bytesused) > len(c.bufs[i]) {
			// A damaged frame: give the buffer back, wait for the next.
			if err := c.qbuf(i); err != nil {
				return Frame{}, err
			}
			continue
		}
		c.held = i
		tv := b.timestamp
		return Frame{
			Data: c.bufs[i][:b.bytesused],
			Time: time.Duration(tv.tv_sec)*time.Second + time.Duration(tv.tv_usec)*time.Microsecond,
			Seq:  uint32(b.sequence),
			Key:  b.flags&C.V4L2_BUF_FLAG_KEYFRAME != 0 || c.format.Pixel == PixMJPEG || c.format.Pixel == PixJPEG,
		}, nil
	}
}

// Close stops streaming, unmaps the buffers and closes the device.
func (c *hostCapture) Close() error {
	if c.fd == ^uintptr(0) {
		return nil
	}
	if c.started {
		t := C.int(C.V4L2_BUF_TYPE_VIDEO_CAPTURE)
		_ = ioctl(c.fd, C.VIDIOC_STREAMOFF, unsafe.Pointer(&t)) // fails on an unplugged device: nothing to do
	}
	for _, b := range c.bufs {
		_ = unix.Munmap(b)
	}
	c.bufs = nil
	err := gv.CloseDevice(c.fd)
	c.fd = ^uintptr(0)
	return err
}
