package alsa

import (
	"errors"
	"fmt"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"rtspcam/drivers/audio"
)

// pcm is one open PCM subdevice configured for interleaved S16_LE.
type pcm struct {
	fd      int
	name    string
	capture bool
	format  audio.Format
	period  int // frames
	buffer  int // frames
	xfer    xferi
	poll    [1]unix.PollFd
	xruns   int
	onXrun  func(name string)
}

// devPath is the node of a PCM: /dev/snd/pcmC1D0c.
func devPath(dir string, a Address, capture bool) string {
	d := 'p'
	if capture {
		d = 'c'
	}
	return fmt.Sprintf("%s/pcmC%dD%d%c", dir, a.Card, a.Device, d)
}

// openPCM opens the subdevice a names (non-blocking, so that a capture
// can wait in poll and notice its context) and configures it for f with
// periods of about periodTime.
func openPCM(dir string, a Address, capture bool, f audio.Format, periodTime time.Duration, onXrun func(string)) (*pcm, error) {
	path := devPath(dir, a, capture)
	fd, err := openSubdevice(dir, path, a)
	if err != nil {
		return nil, err
	}
	p := &pcm{fd: fd, name: path, capture: capture, format: f, onXrun: onXrun}
	if err := p.configure(periodTime); err != nil {
		unix.Close(fd)
		return nil, err
	}
	p.poll[0] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
	if !capture {
		p.poll[0].Events = unix.POLLOUT
	}
	return p, nil
}

// openSubdevice opens path; for a chosen subdevice it first tells the
// card's control device which one (SNDRV_CTL_IOCTL_PCM_PREFER_SUBDEVICE,
// held for this process while its control fd is open) and checks what the
// kernel gave.
func openSubdevice(dir, path string, a Address) (int, error) {
	if a.Subdevice >= 0 {
		ctl, err := unix.Open(fmt.Sprintf("%s/controlC%d", dir, a.Card), unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			return -1, openError(path, err)
		}
		defer unix.Close(ctl)
		sub := int32(a.Subdevice)
		if err := ioctl(ctl, ioctlPreferSub, unsafe.Pointer(&sub)); err != nil {
			return -1, fmt.Errorf("alsa: %s: prefer subdevice %d: %w", path, a.Subdevice, err)
		}
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, openError(path, err)
	}
	if a.Subdevice >= 0 {
		var info pcmInfo
		if err := ioctl(fd, ioctlInfo, unsafe.Pointer(&info)); err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("alsa: %s: info: %w", path, err)
		}
		if int(info.Subdevice) != a.Subdevice {
			unix.Close(fd)
			return -1, fmt.Errorf("alsa: %s: subdevice %d is busy (got %d)", path, a.Subdevice, info.Subdevice)
		}
	}
	return fd, nil
}

func openError(path string, err error) error {
	switch {
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENXIO):
		return fmt.Errorf("%w: alsa: %s: %v", audio.ErrNoDevice, path, err)
	}
	return fmt.Errorf("alsa: open %s: %w", path, err)
}

// configure sets the hardware parameters (interleaved S16_LE, the rate
// and channels of p.format exactly, a period near periodTime and a buffer
// of 16 periods for capture, 8 for playback, where the device allows) and the software ones, then
// prepares the stream.
func (p *pcm) configure(periodTime time.Duration) error {
	hw := anyParams()
	hw.setMask(paramAccess, accessRWInterleaved)
	hw.setMask(paramFormat, formatS16LE)
	hw.setMask(paramSubformat, subformatStd)
	hw.setRange(paramChannels, uint32(p.format.Channels), uint32(p.format.Channels))
	hw.setRange(paramRate, uint32(p.format.Rate), uint32(p.format.Rate))
	if err := ioctl(p.fd, ioctlHWRefine, unsafe.Pointer(hw)); err != nil {
		return fmt.Errorf("alsa: %s does not take S16_LE interleaved %d Hz × %d channels: %w",
			p.name, p.format.Rate, p.format.Channels, err)
	}
	want := uint32(int64(p.format.Rate) * int64(periodTime) / int64(time.Second))
	period := clamp(want, hw.interval(paramPeriodSize))
	hw.setRange(paramPeriodSize, period, period)
	if err := ioctl(p.fd, ioctlHWRefine, unsafe.Pointer(hw)); err != nil {
		return fmt.Errorf("alsa: %s: period of %d frames: %w", p.name, period, err)
	}
	// A capture's buffer only absorbs a late reader (it is read a period
	// at a time as soon as one is ready), so it is long; a playback's
	// buffer is its latency.
	periods := uint32(8)
	if p.capture {
		periods = 16
	}
	buffer := clamp(periods*period, hw.interval(paramBufferSize))
	hw.setRange(paramBufferSize, buffer, buffer)
	if err := ioctl(p.fd, ioctlHWParams, unsafe.Pointer(hw)); err != nil {
		return fmt.Errorf("alsa: %s: hw params (period %d, buffer %d frames): %w", p.name, period, buffer, err)
	}
	p.period = int(hw.interval(paramPeriodSize).Min)
	p.buffer = int(hw.interval(paramBufferSize).Min)
	sw := swParams{PeriodStep: 1, AvailMin: uint(p.period), StopThreshold: uint(p.buffer)}
	if p.capture {
		sw.StartThreshold = 1
	} else {
		// Playback starts once half the buffer is queued: enough margin
		// against a writer's jitter, little latency.
		sw.StartThreshold = uint(max(p.buffer/2, p.period))
	}
	if err := ioctl(p.fd, ioctlSWParams, unsafe.Pointer(&sw)); err != nil {
		return fmt.Errorf("alsa: %s: sw params: %w", p.name, err)
	}
	return p.prepare()
}

// clamp picks want inside iv, or the nearest end.
func clamp(want uint32, iv *interval) uint32 {
	lo, hi := iv.Min, iv.Max
	if iv.Flags&intervalOpenMin != 0 {
		lo++
	}
	if iv.Flags&intervalOpenMax != 0 && hi > 0 {
		hi--
	}
	return min(max(want, lo), hi)
}

// prepare readies the stream; a capture is started at once, because a
// prepared capture never wakes poll.
func (p *pcm) prepare() error {
	if err := ioctl(p.fd, ioctlPrepare, nil); err != nil {
		return p.fail("prepare", err)
	}
	if p.capture {
		if err := ioctl(p.fd, ioctlStart, nil); err != nil {
			return p.fail("start", err)
		}
	}
	return nil
}

// recover brings the stream back after err: an overrun or underrun
// (EPIPE) prepares it again, a suspend (ESTRPIPE) resumes or prepares.
// Anything else is returned as the stream's end.
func (p *pcm) recover(err error) error {
	switch {
	case errors.Is(err, unix.EPIPE):
		p.xruns++
		if p.onXrun != nil {
			p.onXrun(p.name)
		}
		return p.prepare()
	case errors.Is(err, unix.ESTRPIPE):
		for {
			e := ioctl(p.fd, ioctlResume, nil)
			if !errors.Is(e, unix.EAGAIN) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		return p.prepare()
	}
	return p.fail("transfer", err)
}

// fail wraps err: a device that went away (unplugged, module removed)
// ends the stream with audio.ErrGone.
func (p *pcm) fail(op string, err error) error {
	if errors.Is(err, unix.ENODEV) || errors.Is(err, unix.EBADFD) || errors.Is(err, unix.EIO) || errors.Is(err, unix.ENXIO) {
		return fmt.Errorf("%w: alsa: %s: %s: %v", audio.ErrGone, p.name, op, err)
	}
	return fmt.Errorf("alsa: %s: %s: %w", p.name, op, err)
}

// wait polls the stream for up to timeout; false when it timed out.
func (p *pcm) wait(timeout time.Duration) (bool, error) {
	n, err := unix.Poll(p.poll[:], int(timeout/time.Millisecond))
	if err != nil {
		if errors.Is(err, unix.EINTR) {
			return false, nil
		}
		return false, p.fail("poll", err)
	}
	if n > 0 && p.poll[0].Revents&(unix.POLLERR|unix.POLLNVAL|unix.POLLHUP) != 0 &&
		p.poll[0].Revents&(unix.POLLIN|unix.POLLOUT) == 0 {
		// The next transfer tells an xrun (recoverable) from a gone device.
		return true, nil
	}
	return n > 0, nil
}

// transfer reads (capture) or writes (playback) up to len(buf)/channels
// frames without blocking: the frames moved, 0 when the device had none
// ready, or the error of a failed transfer (not yet recovered).
func (p *pcm) transfer(buf []int16) (int, error) {
	frames := len(buf) / p.format.Channels
	if frames == 0 {
		return 0, nil
	}
	p.xfer = xferi{Buf: unsafe.Pointer(&buf[0]), Frames: uint(frames)}
	req := ioctlReadI
	if !p.capture {
		req = ioctlWriteI
	}
	err := ioctl(p.fd, req, unsafe.Pointer(&p.xfer))
	runtime.KeepAlive(buf)
	if err != nil {
		if errors.Is(err, unix.EAGAIN) {
			return 0, nil
		}
		return 0, err
	}
	return p.xfer.Result, nil
}

// close stops the stream at once and releases the device.
func (p *pcm) close() error {
	if p.fd < 0 {
		return nil
	}
	_ = ioctl(p.fd, ioctlDrop, nil)
	_ = ioctl(p.fd, ioctlHWFree, nil)
	err := unix.Close(p.fd)
	p.fd = -1
	return err
}
