// Package m2m drives V4L2 memory-to-memory stateful encoders (the kernel's
// encoder API): the Raspberry Pi's bcm2835-codec and other SoC blocks for
// H.264, vicodec (FWHT) in test kernels. Devices are found by capability,
// not by node number. Raw frames go into the OUTPUT queue, coded frames
// come out of the CAPTURE queue; both queues' buffers are mmapped once and
// reused, so encoding a frame allocates nothing. go4vl cannot open
// mem2mem nodes, so this package speaks the ioctls itself (linux and cgo;
// other builds report ErrUnsupported).
package m2m

import (
	"encoding/binary"
	"errors"
	"time"

	"rtspcam/drivers/v4l2"
)

// ErrUnsupported is returned by builds without V4L2 (no cgo, not Linux).
var ErrUnsupported = errors.New("m2m: not supported by this build")

// ErrNoEncoder is returned when no device encodes the asked format.
var ErrNoEncoder = errors.New("m2m: no mem2mem encoder for the format")

// ErrTimeout is returned when the device gives no buffer back in time.
var ErrTimeout = errors.New("m2m: encoder timed out")

// PixFWHT is vicodec's coded format.
var PixFWHT = v4l2.FourCC("FWHT")

// Device is a mem2mem encoder node.
type Device struct {
	Path   string
	Card   string
	Driver string
	MPlane bool               // the multi-planar API (bcm2835-codec)
	Coded  []v4l2.PixelFormat // CAPTURE queue formats (compressed)
	Raw    []v4l2.PixelFormat // OUTPUT queue formats (raw pictures)
}

// Encodes tells whether the device produces p.
func (d Device) Encodes(p v4l2.PixelFormat) bool {
	for _, c := range d.Coded {
		if c == p {
			return true
		}
	}
	return false
}

// Accepts tells whether the device takes raw p.
func (d Device) Accepts(p v4l2.PixelFormat) bool {
	for _, c := range d.Raw {
		if c == p {
			return true
		}
	}
	return false
}

// Config sets up an encoder. Zero fields keep the driver's defaults.
type Config struct {
	Input         v4l2.PixelFormat // raw format fed in (YU12, NV12, YUYV…)
	Coded         v4l2.PixelFormat // H264, FWHT…
	Width, Height int
	FPS           float64
	Bitrate       int    // bit/s
	GOP           int    // frames between keyframes
	Profile       string // H.264: "baseline", "main" or "high"
}

// Packet is one coded frame.
type Packet struct {
	Data []byte        // dst with the frame appended
	Key  bool          // a keyframe (IDR, FWHT I-frame)
	Time time.Duration // the input frame's timestamp, as the driver copied it
}

// fwhtKey reads the I-frame flag of a FWHT frame header (vicodec's
// struct fwht_cframe_hdr: two magic words, then big-endian version,
// width, height, flags).
func fwhtKey(b []byte) bool {
	const iFrame = 1 << 10
	return len(b) >= 24 && binary.BigEndian.Uint32(b[20:24])&iFrame != 0
}
