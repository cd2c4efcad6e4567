// Package alsa captures from and plays to ALSA PCM devices straight on the
// kernel's PCM ioctls (/dev/snd/pcmC*D*[cp]), as an audio.System, for
// boards with no sound server. It is pure Go (golang.org/x/sys/unix): no
// alsa-lib, so the firmware stays one static binary that cross-builds for
// arm64 and armv7 without a C toolchain or libasound in the image.
//
// Devices are named in ALSA's hw syntax with the card's id,
// "hw:Loopback,1,0" (card, device, subdevice); the card's number
// ("hw:1,1,0"), the form without "hw:" ("Loopback,1,0"), a name without
// subdevice ("hw:1,0": any free one) and "CARD=…,DEV=…" are accepted too.
// Only interleaved signed 16-bit little-endian PCM at the device's own
// rates and channel counts is supported: there is no plug layer to
// convert, so Capture and Play fail on a format the hardware refuses.
package alsa

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"rtspcam/drivers/audio"
)

// System is the host's ALSA cards.
type System struct {
	// ProcDir is /proc/asound unless set.
	ProcDir string
	// DevDir is /dev/snd unless set.
	DevDir string
	// PeriodTime is the capture and playback period, 10 ms unless set:
	// the handler of a capture gets a period at a time.
	PeriodTime time.Duration
	// Xrun, if set, is called with the device node after each overrun
	// (capture) or underrun (playback) the driver recovered from: a
	// capture lost audio there, a playback played silence.
	Xrun func(node string)
}

var _ audio.System = (*System)(nil)

func (s *System) procDir() string {
	if s.ProcDir != "" {
		return s.ProcDir
	}
	return "/proc/asound"
}

func (s *System) devDir() string {
	if s.DevDir != "" {
		return s.DevDir
	}
	return "/dev/snd"
}

func (s *System) periodTime() time.Duration {
	if s.PeriodTime > 0 {
		return s.PeriodTime
	}
	return 10 * time.Millisecond
}

// Cards and PCMs reads what /proc/asound lists. A host without ALSA (no
// /proc/asound) is audio.ErrUnavailable.
func (s *System) list() ([]Card, []PCM, error) {
	cardsText, err := os.ReadFile(filepath.Join(s.procDir(), "cards"))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: alsa: %v", audio.ErrUnavailable, err)
	}
	cards, err := ParseCards(string(cardsText))
	if err != nil {
		return nil, nil, err
	}
	pcmText, err := os.ReadFile(filepath.Join(s.procDir(), "pcm"))
	if err != nil {
		if os.IsNotExist(err) && len(cards) == 0 {
			return cards, nil, nil // no cards: the kernel has no pcm file yet
		}
		return nil, nil, fmt.Errorf("alsa: %w", err)
	}
	pcms, err := ParsePCMs(string(pcmText))
	if err != nil {
		return nil, nil, err
	}
	return cards, pcms, nil
}

// Sources lists the capture PCMs, subdevice 0 of each.
func (s *System) Sources() ([]audio.Device, error) { return s.devices(true) }

// Sinks lists the playback PCMs, subdevice 0 of each.
func (s *System) Sinks() ([]audio.Device, error) { return s.devices(false) }

func (s *System) devices(capture bool) ([]audio.Device, error) {
	cards, pcms, err := s.list()
	if err != nil {
		return nil, err
	}
	var out []audio.Device
	for _, p := range pcms {
		if (capture && p.Capture == 0) || (!capture && p.Playback == 0) {
			continue
		}
		c := Card{Number: p.Card, ID: fmt.Sprint(p.Card)}
		for _, cc := range cards {
			if cc.Number == p.Card {
				c = cc
			}
		}
		a := Address{Card: p.Card, Device: p.Device, Subdevice: 0}
		out = append(out, audio.Device{
			Index:       len(out),
			Name:        DeviceName(c.ID, p.Device, 0),
			Description: fmt.Sprintf("%s (%s, hw:%d,%d)", p.Name, c.Name, p.Card, p.Device),
			Format:      s.probe(a, capture),
			Default:     len(out) == 0,
			Aliases: []string{
				fmt.Sprintf("%s,%d,%d", c.ID, p.Device, 0),
				fmt.Sprintf("hw:%d,%d,%d", p.Card, p.Device, 0),
				fmt.Sprintf("hw:%d,%d", p.Card, p.Device),
				fmt.Sprintf("hw:%s,%d", c.ID, p.Device),
			},
		})
	}
	return out, nil
}

// resolve finds the PCM name names: "" is the first with a stream in
// that direction.
func (s *System) resolve(name string, capture bool) (Address, error) {
	cards, pcms, err := s.list()
	if err != nil {
		return Address{}, err
	}
	if name == "" {
		for _, p := range pcms {
			if (capture && p.Capture > 0) || (!capture && p.Playback > 0) {
				return Address{Card: p.Card, Device: p.Device, Subdevice: -1}, nil
			}
		}
		return Address{}, fmt.Errorf("%w: alsa: no PCM device", audio.ErrNoDevice)
	}
	a, err := ParseName(name, cards)
	if err != nil {
		return a, fmt.Errorf("%w: %v", audio.ErrNoDevice, err)
	}
	return a, nil
}

func checkFormat(f audio.Format) error {
	if f.Rate < 1000 || f.Rate > 384000 || f.Channels < 1 || f.Channels > 32 {
		return fmt.Errorf("alsa: unsupported format %d Hz × %d channels", f.Rate, f.Channels)
	}
	return nil
}
