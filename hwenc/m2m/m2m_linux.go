//go:build linux && cgo

package m2m

/*
#include <linux/videodev2.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"rtspcam/drivers/v4l2"
)

// Controls of the codec class (linux/v4l2-controls.h).
const (
	cidCodecBase    = 0x00990000 | 0x900
	cidGOPSize      = cidCodecBase + 203
	cidBitrate      = cidCodecBase + 207
	cidForceKey     = cidCodecBase + 229
	cidH264Profile  = cidCodecBase + 363
	cidRepeatHeader = cidCodecBase + 226 // V4L2_CID_MPEG_VIDEO_REPEAT_SEQ_HEADER
)

var h264Profiles = map[string]int32{"baseline": 0, "main": 2, "high": 4}

// encodeTimeout bounds the wait for the driver to hand a buffer back.
const encodeTimeout = 2 * time.Second

// Buffer counts: two raw frames in flight, four coded slots.
const (
	inputBuffers = 2
	codedBuffers = 4
)

func ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		return nil
	}
}

// Find lists the mem2mem encoders under root (/dev when empty): nodes
// with the M2M or M2M_MPLANE capability whose CAPTURE queue offers a
// compressed format, in node order.
func Find(root string) ([]Device, error) {
	paths, err := v4l2.Nodes(root)
	if err != nil {
		return nil, err
	}
	var out []Device
	for _, p := range paths {
		if d, ok := probe(p); ok {
			out = append(out, d)
		}
	}
	return out, nil
}

func probe(path string) (Device, bool) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return Device{}, false
	}
	defer unix.Close(fd)
	var cp C.struct_v4l2_capability
	if ioctl(fd, C.VIDIOC_QUERYCAP, unsafe.Pointer(&cp)) != nil {
		return Device{}, false
	}
	caps := uint32(cp.capabilities)
	if caps&C.V4L2_CAP_DEVICE_CAPS != 0 {
		caps = uint32(cp.device_caps)
	}
	d := Device{
		Path:   path,
		Card:   C.GoString((*C.char)(unsafe.Pointer(&cp.card[0]))),
		Driver: C.GoString((*C.char)(unsafe.Pointer(&cp.driver[0]))),
	}
	switch {
	case caps&C.V4L2_CAP_VIDEO_M2M_MPLANE != 0:
		d.MPlane = true
	case caps&C.V4L2_CAP_VIDEO_M2M != 0:
	default:
		return Device{}, false
	}
	outT, capT := queueTypes(d.MPlane)
	for i := 0; ; i++ {
		var f C.struct_v4l2_fmtdesc
		f.index, f._type = C.__u32(i), capT
		if ioctl(fd, C.VIDIOC_ENUM_FMT, unsafe.Pointer(&f)) != nil {
			break
		}
		if f.flags&C.V4L2_FMT_FLAG_COMPRESSED != 0 {
			d.Coded = append(d.Coded, v4l2.PixelFormat(f.pixelformat))
		}
	}
	for i := 0; ; i++ {
		var f C.struct_v4l2_fmtdesc
		f.index, f._type = C.__u32(i), outT
		if ioctl(fd, C.VIDIOC_ENUM_FMT, unsafe.Pointer(&f)) != nil {
			break
		}
		if f.flags&C.V4L2_FMT_FLAG_COMPRESSED == 0 {
			d.Raw = append(d.Raw, v4l2.PixelFormat(f.pixelformat))
		}
	}
	if len(d.Coded) == 0 || len(d.Raw) == 0 {
		return Device{}, false // a decoder or a scaler
	}
	return d, true
}

func queueTypes(mplane bool) (out, capt C.__u32) {
	if mplane {
		return C.V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, C.V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE
	}
	return C.V4L2_BUF_TYPE_VIDEO_OUTPUT, C.V4L2_BUF_TYPE_VIDEO_CAPTURE
}

// queue is one side of the codec: its type and mmapped buffers.
type queue struct {
	typ  C.__u32
	bufs [][]byte
}

// Encoder is an open stateful encoder. It is not safe for concurrent use.
type Encoder struct {
	fd         int
	dev        Device
	cfg        Config
	in, out    queue
	freeIn     []int
	stride     int
	sizeimage  int
	streaming  bool
	forceKey   bool
	noForceCtl bool // the driver lacks FORCE_KEY_FRAME: restart the CAPTURE queue instead
	pfd        [1]unix.PollFd
	// ioctl arguments kept off the stack: see drivers/v4l2.
	buf    C.struct_v4l2_buffer
	planes [1]C.struct_v4l2_plane
	ctrl   C.struct_v4l2_control
	qtype  C.int
}

// Open sets both queues' formats on dev, applies the controls the driver
// supports, maps the buffers and starts streaming.
func Open(dev Device, cfg Config) (*Encoder, error) {
	if !dev.Encodes(cfg.Coded) {
		return nil, fmt.Errorf("%w: %s does not encode %s", ErrNoEncoder, dev.Path, cfg.Coded)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("m2m: size %dx%d", cfg.Width, cfg.Height)
	}
	fd, err := unix.Open(dev.Path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("m2m: open %s: %w", dev.Path, err)
	}
	e := &Encoder{fd: fd, dev: dev, cfg: cfg}
	e.in.typ, e.out.typ = queueTypes(dev.MPlane)
	e.pfd[0] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN | unix.POLLOUT}
	if err := e.setup(); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *Encoder) setup() error {
	// The coded side first: the stateful encoder API derives the raw
	// side's constraints from it.
	if _, _, err := e.setFormat(e.out.typ, e.cfg.Coded, e.cfg.Width*e.cfg.Height); err != nil {
		return fmt.Errorf("m2m: %s: coded format %s: %w", e.dev.Path, e.cfg.Coded, err)
	}
	stride, size, err := e.setFormat(e.in.typ, e.cfg.Input, 0)
	if err != nil {
		return fmt.Errorf("m2m: %s: raw format %s: %w", e.dev.Path, e.cfg.Input, err)
	}
	e.stride, e.sizeimage = stride, size
	if e.cfg.FPS > 0 {
		var p C.struct_v4l2_streamparm
		p._type = e.in.typ
		o := (*C.struct_v4l2_outputparm)(unsafe.Pointer(&p.parm[0]))
		o.timeperframe.numerator, o.timeperframe.denominator = 1000, C.__u32(e.cfg.FPS*1000+0.5)
		_ = ioctl(e.fd, C.VIDIOC_S_PARM, unsafe.Pointer(&p)) // optional for encoders
	}
	// Controls are best effort: each driver has its own subset.
	if e.cfg.Bitrate > 0 {
		_ = e.setCtrl(cidBitrate, int32(e.cfg.Bitrate))
	}
	if e.cfg.GOP > 0 {
		_ = e.setCtrl(cidGOPSize, int32(e.cfg.GOP))
	}
	if p, ok := h264Profiles[e.cfg.Profile]; ok && e.cfg.Coded == v4l2.PixH264 {
		_ = e.setCtrl(cidH264Profile, p)
	}
	if e.cfg.Coded == v4l2.PixH264 {
		// SPS/PPS before every IDR, so a reader joining at a keyframe
		// can decode.
		_ = e.setCtrl(cidRepeatHeader, 1)
	}
	if err := e.mapQueue(&e.in, inputBuffers); err != nil {
		return err
	}
	if err := e.mapQueue(&e.out, codedBuffers); err != nil {
		return err
	}
	e.freeIn = make([]int, 0, len(e.in.bufs))
	for i := range e.in.bufs {
		e.freeIn = append(e.freeIn, i)
	}
	for i := range e.out.bufs {
		if err := e.qbuf(e.out.typ, i, 0, 0); err != nil {
			return err
		}
	}
	for _, t := range []C.__u32{e.in.typ, e.out.typ} {
		if err := e.stream(t, true); err != nil {
			return err
		}
	}
	e.streaming = true
	return nil
}

// setFormat sets queue t to pixel format p at the configured size and
// returns the bytes per line and image size the driver chose.
func (e *Encoder) setFormat(t C.__u32, p v4l2.PixelFormat, sizeimage int) (int, int, error) {
	var f C.struct_v4l2_format
	f._type = t
	if e.dev.MPlane {
		pix := (*C.struct_v4l2_pix_format_mplane)(unsafe.Pointer(&f.fmt[0]))
		pix.width, pix.height, pix.pixelformat, pix.field = C.__u32(e.cfg.Width), C.__u32(e.cfg.Height), C.__u32(p), C.V4L2_FIELD_NONE
		pix.num_planes = 1
		pix.plane_fmt[0].sizeimage = C.__u32(sizeimage)
		if err := ioctl(e.fd, C.VIDIOC_S_FMT, unsafe.Pointer(&f)); err != nil {
			return 0, 0, err
		}
		if v4l2.PixelFormat(pix.pixelformat) != p {
			return 0, 0, fmt.Errorf("driver chose %s", v4l2.PixelFormat(pix.pixelformat))
		}
		if pix.num_planes != 1 {
			return 0, 0, fmt.Errorf("%d planes: only single-plane layouts are supported", pix.num_planes)
		}
		return int(pix.plane_fmt[0].bytesperline), int(pix.plane_fmt[0].sizeimage), nil
	}
	pix := (*C.struct_v4l2_pix_format)(unsafe.Pointer(&f.fmt[0]))
	pix.width, pix.height, pix.pixelformat, pix.field = C.__u32(e.cfg.Width), C.__u32(e.cfg.Height), C.__u32(p), C.V4L2_FIELD_NONE
	pix.sizeimage = C.__u32(sizeimage)
	if err := ioctl(e.fd, C.VIDIOC_S_FMT, unsafe.Pointer(&f)); err != nil {
		return 0, 0, err
	}
	if v4l2.PixelFormat(pix.pixelformat) != p {
		return 0, 0, fmt.Errorf("driver chose %s", v4l2.PixelFormat(pix.pixelformat))
	}
	if int(pix.width) != e.cfg.Width || int(pix.height) != e.cfg.Height {
		return 0, 0, fmt.Errorf("driver chose %dx%d", pix.width, pix.height)
	}
	return int(pix.bytesperline), int(pix.sizeimage), nil
}

func (e *Encoder) setCtrl(id uint32, v int32) error {
	e.ctrl.id, e.ctrl.value = C.__u32(id), C.__s32(v)
	return ioctl(e.fd, C.VIDIOC_S_CTRL, unsafe.Pointer(&e.ctrl))
}

func (e *Encoder) stream(t C.__u32, on bool) error {
	e.qtype = C.int(t)
	req := uintptr(C.VIDIOC_STREAMON)
	if !on {
		req = C.VIDIOC_STREAMOFF
	}
	if err := ioctl(e.fd, req, unsafe.Pointer(&e.qtype)); err != nil {
		return fmt.Errorf("m2m: %s: stream on=%v type %d: %w", e.dev.Path, on, t, err)
	}
	return nil
}

func (e *Encoder) mapQueue(q *queue, n int) error {
	var rb C.struct_v4l2_requestbuffers
	rb.count, rb._type, rb.memory = C.__u32(n), q.typ, C.V4L2_MEMORY_MMAP
	if err := ioctl(e.fd, C.VIDIOC_REQBUFS, unsafe.Pointer(&rb)); err != nil {
		return fmt.Errorf("m2m: %s: REQBUFS: %w", e.dev.Path, err)
	}
	for i := 0; i < int(rb.count); i++ {
		e.resetBuf(q.typ)
		e.buf.index = C.__u32(i)
		if err := ioctl(e.fd, C.VIDIOC_QUERYBUF, unsafe.Pointer(&e.buf)); err != nil {
			return fmt.Errorf("m2m: %s: QUERYBUF: %w", e.dev.Path, err)
		}
		off, length := *(*C.__u32)(unsafe.Pointer(&e.buf.m[0])), e.buf.length
		if e.dev.MPlane {
			off, length = *(*C.__u32)(unsafe.Pointer(&e.planes[0].m[0])), e.planes[0].length
		}
		m, err := unix.Mmap(e.fd, int64(off), int(length), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if err != nil {
			return fmt.Errorf("m2m: %s: mmap: %w", e.dev.Path, err)
		}
		q.bufs = append(q.bufs, m)
	}
	return nil
}

// resetBuf clears the shared v4l2_buffer for queue t, pointing a
// multi-planar buffer at the one plane.
func (e *Encoder) resetBuf(t C.__u32) {
	e.buf = C.struct_v4l2_buffer{}
	e.buf._type, e.buf.memory = t, C.V4L2_MEMORY_MMAP
	if e.dev.MPlane {
		e.planes[0] = C.struct_v4l2_plane{}
		*(**C.struct_v4l2_plane)(unsafe.Pointer(&e.buf.m[0])) = &e.planes[0]
		e.buf.length = 1
	}
}

func (e *Encoder) qbuf(t C.__u32, i, used int, ts time.Duration) error {
	e.resetBuf(t)
	e.buf.index = C.__u32(i)
	if e.dev.MPlane {
		e.planes[0].bytesused = C.__u32(used)
		if t == e.out.typ {
			e.planes[0].length = C.__u32(len(e.out.bufs[i]))
		} else {
			e.planes[0].length = C.__u32(len(e.in.bufs[i]))
		}
	} else {
		e.buf.bytesused = C.__u32(used)
	}
	e.buf.timestamp.tv_sec = C.__time_t(ts / time.Second)
	e.buf.timestamp.tv_usec = C.__suseconds_t((ts % time.Second) / time.Microsecond)
	if err := ioctl(e.fd, C.VIDIOC_QBUF, unsafe.Pointer(&e.buf)); err != nil {
		return fmt.Errorf("m2m: %s: QBUF: %w", e.dev.Path, err)
	}
	return nil
}

// dqbuf takes a finished buffer off queue t, waiting up to the deadline;
// it leaves the result in e.buf (and e.planes).
func (e *Encoder) dqbuf(t C.__u32, deadline time.Time) error {
	for {
		e.resetBuf(t)
		err := ioctl(e.fd, C.VIDIOC_DQBUF, unsafe.Pointer(&e.buf))
		if err == nil {
			return nil
		}
		if err != unix.EAGAIN {
			return fmt.Errorf("m2m: %s: DQBUF: %w", e.dev.Path, err)
		}
		left := time.Until(deadline)
		if left <= 0 {
			return ErrTimeout
		}
		e.pfd[0].Revents = 0
		if _, err := unix.Poll(e.pfd[:], int(left/time.Millisecond)+1); err != nil && err != unix.EINTR {
			return fmt.Errorf("m2m: %s: poll: %w", e.dev.Path, err)
		}
	}
}

// InputFormat is the raw layout Encode expects: bytes per line of the
// luma plane and the size of a whole frame.
func (e *Encoder) InputFormat() (stride, size int) { return e.stride, e.sizeimage }

// Device is what the encoder runs on.
func (e *Encoder) Device() Device { return e.dev }

// ForceKeyFrame makes the next frame a keyframe (a new reader joined a
// stream with no keyframe cached). Drivers without the control start a
// new coded stream instead, which begins with a keyframe.
func (e *Encoder) ForceKeyFrame() { e.forceKey = true }

// Encode feeds one raw frame (src, in the input format, at most a frame's
// size) with timestamp ts and waits for the coded frame, which it appends
// to dst. It allocates nothing when dst has room.
func (e *Encoder) Encode(src []byte, ts time.Duration, dst []byte) (Packet, error) {
	deadline := time.Now().Add(encodeTimeout)
	var idx int
	if n := len(e.freeIn); n > 0 {
		idx = e.freeIn[n-1]
		e.freeIn = e.freeIn[:n-1]
	} else {
		if err := e.dqbuf(e.in.typ, deadline); err != nil {
			return Packet{Data: dst}, err
		}
		idx = int(e.buf.index)
	}
	b := e.in.bufs[idx]
	if len(src) > len(b) {
		e.freeIn = append(e.freeIn, idx)
		return Packet{Data: dst}, fmt.Errorf("m2m: frame of %d bytes, buffers hold %d", len(src), len(b))
	}
	copy(b, src)
	if e.forceKey {
		e.forceKey = false
		if err := e.keyFrame(); err != nil {
			e.freeIn = append(e.freeIn, idx)
			return Packet{Data: dst}, err
		}
	}
	if err := e.qbuf(e.in.typ, idx, len(src), ts); err != nil {
		e.freeIn = append(e.freeIn, idx)
		return Packet{Data: dst}, err
	}
	if err := e.dqbuf(e.out.typ, deadline); err != nil {
		return Packet{Data: dst}, err
	}
	i := int(e.buf.index)
	used := int(e.buf.bytesused)
	if e.dev.MPlane {
		used = int(e.planes[0].bytesused)
	}
	used = min(used, len(e.out.bufs[i]))
	coded := e.out.bufs[i][:used]
	p := Packet{
		Data: append(dst, coded...),
		Key:  e.buf.flags&C.V4L2_BUF_FLAG_KEYFRAME != 0 || (e.cfg.Coded == PixFWHT && fwhtKey(coded)),
		Time: time.Duration(e.buf.timestamp.tv_sec)*time.Second + time.Duration(e.buf.timestamp.tv_usec)*time.Microsecond,
	}
	if err := e.qbuf(e.out.typ, i, 0, 0); err != nil {
		return p, err
	}
	return p, nil
}

// keyFrame asks for a keyframe through the control, or by restarting the
// CAPTURE queue where the driver has no such control (vicodec).
func (e *Encoder) keyFrame() error {
	if !e.noForceCtl {
		err := e.setCtrl(cidForceKey, 1)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOTTY) {
			return fmt.Errorf("m2m: %s: force keyframe: %w", e.dev.Path, err)
		}
		e.noForceCtl = true
	}
	if err := e.stream(e.out.typ, false); err != nil {
		return err
	}
	for i := range e.out.bufs {
		if err := e.qbuf(e.out.typ, i, 0, 0); err != nil {
			return err
		}
	}
	return e.stream(e.out.typ, true)
}

// Close drains the encoder (V4L2_ENC_CMD_STOP, then coded buffers up to
// the one flagged LAST), stops both queues and releases the buffers and
// the device.
func (e *Encoder) Close() error {
	if e.fd < 0 {
		return nil
	}
	if e.streaming {
		var cmd C.struct_v4l2_encoder_cmd
		cmd.cmd = C.V4L2_ENC_CMD_STOP
		if ioctl(e.fd, C.VIDIOC_ENCODER_CMD, unsafe.Pointer(&cmd)) == nil {
			deadline := time.Now().Add(500 * time.Millisecond)
			for e.dqbuf(e.out.typ, deadline) == nil && e.buf.flags&C.V4L2_BUF_FLAG_LAST == 0 {
			}
		}
		_ = e.stream(e.in.typ, false)
		_ = e.stream(e.out.typ, false)
		e.streaming = false
	}
	for _, q := range []*queue{&e.in, &e.out} {
		for _, b := range q.bufs {
			_ = unix.Munmap(b)
		}
		q.bufs = nil
		var rb C.struct_v4l2_requestbuffers
		rb._type, rb.memory = q.typ, C.V4L2_MEMORY_MMAP
		_ = ioctl(e.fd, C.VIDIOC_REQBUFS, unsafe.Pointer(&rb))
	}
	err := unix.Close(e.fd)
	e.fd = -1
	return err
}
