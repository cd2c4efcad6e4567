// Package audio is what the firmware needs from a sound system: list the
// capture sources and playback sinks, record 16-bit PCM from a source and
// play 16-bit PCM to a sink. drivers/pulse implements it over PulseAudio;
// audiotest is a fake for unit tests.
package audio

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrNoDevice reports a source or sink that does not exist.
var ErrNoDevice = errors.New("audio: no such device")

// ErrGone reports a capture or playback ended because its device or the
// sound server went away; the device may come back later.
var ErrGone = errors.New("audio: device or sound server gone")

// ErrUnavailable reports that no sound system answers on this host.
var ErrUnavailable = errors.New("audio: no sound system")

// Device is one capture source or playback sink.
type Device struct {
	// Index is the device's place in the list, the N of audiodeviceN.
	Index int
	// Name is the system's name for it, as audiodevice=Name gives it.
	Name string
	// Description is the human-readable name.
	Description string
	// Format is the device's own sample rate and channel count.
	Format Format
	// Default marks the system's default device.
	Default bool
	// Aliases are other names the system accepts for the device (ALSA's
	// "hw:1,0" for "hw:Loopback,0,0"); Find matches them after Name.
	Aliases []string
}

// Format describes interleaved signed 16-bit PCM in host byte order.
type Format struct {
	Rate     int // frames per second
	Channels int
}

// FrameDuration is the duration of frames frames.
func (f Format) FrameDuration(frames int) time.Duration {
	if f.Rate <= 0 {
		return 0
	}
	return time.Duration(frames) * time.Second / time.Duration(f.Rate)
}

// Handler receives captured PCM: pcm holds whole frames and is valid only
// during the call; at is when the first frame was captured. A handler must
// not block: it runs on the sound system's delivery path.
type Handler func(pcm []int16, at time.Time)

// System is a sound system.
type System interface {
	// Sources lists the capture sources in the system's order.
	Sources() ([]Device, error)
	// Sinks lists the playback sinks in the system's order.
	Sinks() ([]Device, error)
	// Capture records from the source named name ("" for the default) in
	// format f, converted by the system if the source runs otherwise,
	// until ctx ends (nil) or the source or the system vanish (an error
	// wrapping ErrGone).
	Capture(ctx context.Context, name string, f Format, h Handler) error
	// Play opens playback of format f to the sink named name ("" for the
	// default).
	Play(name string, f Format) (Player, error)
}

// Player plays PCM to a sink.
type Player interface {
	// Write queues whole frames of pcm, blocking while the queue is full;
	// gaps between writes play as silence.
	Write(pcm []int16) (int, error)
	// Close stops playback and frees the stream.
	Close() error
}

// Find picks the device a path argument names: "" is the default (or the
// first), a number is the index in devs, anything else a name (exact, then
// case-insensitive, then an alias, then the description). The error wraps ErrNoDevice
// and lists what exists.
func Find(devs []Device, arg string) (Device, error) {
	if arg == "" {
		for _, d := range devs {
			if d.Default {
				return d, nil
			}
		}
		if len(devs) > 0 {
			return devs[0], nil
		}
		return Device{}, fmt.Errorf("%w: the system has no devices", ErrNoDevice)
	}
	if n, err := strconv.Atoi(arg); err == nil {
		for _, d := range devs {
			if d.Index == n {
				return d, nil
			}
		}
		return Device{}, fmt.Errorf("%w: index %d; %s", ErrNoDevice, n, Describe(devs))
	}
	for _, d := range devs {
		if d.Name == arg {
			return d, nil
		}
	}
	for _, d := range devs {
		if strings.EqualFold(d.Name, arg) {
			return d, nil
		}
	}
	for _, d := range devs {
		for _, a := range d.Aliases {
			if strings.EqualFold(a, arg) {
				return d, nil
			}
		}
	}
	for _, d := range devs {
		if strings.EqualFold(d.Description, arg) {
			return d, nil
		}
	}
	return Device{}, fmt.Errorf("%w: %q; %s", ErrNoDevice, arg, Describe(devs))
}

// Describe lists devs on one line, for errors and logs.
func Describe(devs []Device) string {
	if len(devs) == 0 {
		return "there are no devices"
	}
	parts := make([]string, len(devs))
	for i, d := range devs {
		parts[i] = fmt.Sprintf("%d: %s (%s)", d.Index, d.Name, d.Description)
	}
	return "the devices are " + strings.Join(parts, ", ")
}
