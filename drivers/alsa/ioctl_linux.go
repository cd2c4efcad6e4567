package alsa

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The kernel's PCM ABI (include/uapi/sound/asound.h). The structures are
// laid out as the C compiler lays them out on the generic ioctl
// architectures (amd64, 386, arm, arm64, riscv64): snd_pcm_uframes_t and
// snd_pcm_sframes_t are C longs, which is Go's uint and int there.
// layout_linux_test.go checks the sizes against the header's ioctl
// numbers.

// Hardware parameter indices.
const (
	paramAccess     = 0
	paramFormat     = 1
	paramSubformat  = 2
	firstMask       = paramAccess
	lastMask        = paramSubformat
	paramSampleBits = 8
	paramFrameBits  = 9
	paramChannels   = 10
	paramRate       = 11
	paramPeriodTime = 12
	paramPeriodSize = 13
	paramPeriodByte = 14
	paramPeriods    = 15
	paramBufferTime = 16
	paramBufferSize = 17
	paramBufferByte = 18
	paramTickTime   = 19
	firstInterval   = paramSampleBits
	lastInterval    = paramTickTime
)

const (
	accessRWInterleaved = 3 // SNDRV_PCM_ACCESS_RW_INTERLEAVED
	formatS16LE         = 2 // SNDRV_PCM_FORMAT_S16_LE
	subformatStd        = 0 // SNDRV_PCM_SUBFORMAT_STD
)

// Stream directions, as snd_pcm_info.stream gives them.
const (
	streamPlayback = 0
	streamCapture  = 1
)

// snd_interval's bit fields, lowest bit first.
const (
	intervalOpenMin = 1 << iota
	intervalOpenMax
	intervalInteger
	intervalEmpty
)

type interval struct {
	Min, Max uint32
	Flags    uint32
}

type mask struct {
	Bits [8]uint32 // SNDRV_MASK_MAX = 256 bits
}

// hwParams is struct snd_pcm_hw_params.
type hwParams struct {
	Flags     uint32
	Masks     [lastMask - firstMask + 1]mask
	MRes      [5]mask
	Intervals [lastInterval - firstInterval + 1]interval
	IRes      [9]interval
	RMask     uint32
	CMask     uint32
	Info      uint32
	MSBits    uint32
	RateNum   uint32
	RateDen   uint32
	FifoSize  uint
	Reserved  [64]byte
}

// swParams is struct snd_pcm_sw_params.
type swParams struct {
	TstampMode       int32
	PeriodStep       uint32
	SleepMin         uint32
	AvailMin         uint
	XferAlign        uint
	StartThreshold   uint
	StopThreshold    uint
	SilenceThreshold uint
	SilenceSize      uint
	Boundary         uint
	Proto            uint32
	TstampType       uint32
	Reserved         [56]byte
}

// xferi is struct snd_xferi, the argument of READI/WRITEI_FRAMES.
type xferi struct {
	Result int
	Buf    unsafe.Pointer // a pointer, so the buffer is kept alive and never on a stack
	Frames uint
}

// pcmInfo is struct snd_pcm_info.
type pcmInfo struct {
	Device          uint32
	Subdevice       uint32
	Stream          int32
	Card            int32
	ID              [64]byte
	Name            [80]byte
	Subname         [32]byte
	DevClass        int32
	DevSubclass     int32
	SubdevicesCount uint32
	SubdevicesAvail uint32
	Sync            [16]byte
	Reserved        [64]byte
}

// Linux's generic _IOC encoding.
const (
	iocNone  = 0
	iocWrite = 1
	iocRead  = 2
)

func ioc(dir, typ, nr, size uintptr) uintptr {
	return dir<<30 | size<<16 | typ<<8 | nr
}

var (
	ioctlInfo      = ioc(iocRead, 'A', 0x01, unsafe.Sizeof(pcmInfo{}))
	ioctlHWRefine  = ioc(iocRead|iocWrite, 'A', 0x10, unsafe.Sizeof(hwParams{}))
	ioctlHWParams  = ioc(iocRead|iocWrite, 'A', 0x11, unsafe.Sizeof(hwParams{}))
	ioctlHWFree    = ioc(iocNone, 'A', 0x12, 0)
	ioctlSWParams  = ioc(iocRead|iocWrite, 'A', 0x13, unsafe.Sizeof(swParams{}))
	ioctlPrepare   = ioc(iocNone, 'A', 0x40, 0)
	ioctlStart     = ioc(iocNone, 'A', 0x42, 0)
	ioctlDrop      = ioc(iocNone, 'A', 0x43, 0)
	ioctlResume    = ioc(iocNone, 'A', 0x47, 0)
	ioctlWriteI    = ioc(iocWrite, 'A', 0x50, unsafe.Sizeof(xferi{}))
	ioctlReadI     = ioc(iocRead, 'A', 0x51, unsafe.Sizeof(xferi{}))
	ioctlPreferSub = ioc(iocWrite, 'U', 0x32, unsafe.Sizeof(int32(0)))
)

// ioctl passes arg to the kernel; it allocates nothing.
func ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
	if e != 0 {
		return e
	}
	return nil
}

// anyParams is snd_pcm_hw_params with every configuration allowed, the
// start of a refinement.
func anyParams() *hwParams {
	p := &hwParams{RMask: ^uint32(0), Info: ^uint32(0)}
	for i := range p.Masks {
		for j := range p.Masks[i].Bits {
			p.Masks[i].Bits[j] = ^uint32(0)
		}
	}
	for i := range p.Intervals {
		p.Intervals[i] = interval{Min: 0, Max: ^uint32(0)}
	}
	return p
}

func (p *hwParams) setMask(param int, v uint32) {
	m := &p.Masks[param-firstMask]
	m.Bits = [8]uint32{}
	m.Bits[v>>5] = 1 << (v & 31)
}

func (p *hwParams) hasMask(param int, v uint32) bool {
	return p.Masks[param-firstMask].Bits[v>>5]&(1<<(v&31)) != 0
}

func (p *hwParams) interval(param int) *interval {
	return &p.Intervals[param-firstInterval]
}

// setRange narrows param to [lo, hi] of whole numbers.
func (p *hwParams) setRange(param int, lo, hi uint32) {
	iv := p.interval(param)
	*iv = interval{Min: lo, Max: hi, Flags: intervalInteger}
}
