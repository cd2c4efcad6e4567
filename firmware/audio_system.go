package firmware

import (
	"fmt"

	"rtspcam/drivers/alsa"
	"rtspcam/drivers/audio"
	"rtspcam/drivers/pulse"
)

// AudioSystem picks the sound system audiodevice paths capture from:
// PulseAudio when a server answers (desktops, and boards that run one),
// else the kernel's ALSA devices when there are sound cards, else
// PulseAudio still, so a server started later is found. name is
// "pulseaudio" or "alsa"; why says what was found, for the start log and
// -l audiodevice. The choice holds for the process's life.
func AudioSystem() (sys audio.System, name, why string) {
	ps := &pulse.System{}
	_, perr := ps.Sources()
	if perr == nil {
		return ps, "pulseaudio", "a PulseAudio server answers"
	}
	as := &alsa.System{}
	devs, aerr := as.Sources()
	if aerr == nil && len(devs) > 0 {
		return as, "alsa", fmt.Sprintf("no PulseAudio server (%v); ALSA has %d capture devices", perr, len(devs))
	}
	if aerr == nil {
		aerr = fmt.Errorf("no capture devices")
	}
	return ps, "pulseaudio", fmt.Sprintf("no PulseAudio server (%v) and no ALSA capture (%v)", perr, aerr)
}
