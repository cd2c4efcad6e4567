package alsa

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"rtspcam/drivers/audio"
)

// fallbackFormat is what a device that cannot be asked (busy) is listed
// with.
var fallbackFormat = audio.Format{Rate: 48000, Channels: 2}

// probe asks the device which S16_LE interleaved formats it takes and
// picks 48000 Hz stereo where it can, else the nearest.
func (s *System) probe(a Address, capture bool) audio.Format {
	fd, err := unix.Open(devPath(s.devDir(), a, capture), unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fallbackFormat
	}
	defer unix.Close(fd)
	hw := anyParams()
	hw.setMask(paramAccess, accessRWInterleaved)
	hw.setMask(paramFormat, formatS16LE)
	if err := ioctl(fd, ioctlHWRefine, unsafe.Pointer(hw)); err != nil {
		return fallbackFormat
	}
	return audio.Format{
		Rate:     int(clamp(48000, hw.interval(paramRate))),
		Channels: int(clamp(2, hw.interval(paramChannels))),
	}
}
