//go:build !linux

package alsa

import (
	"context"
	"fmt"

	"rtspcam/drivers/audio"
)

func (s *System) probe(Address, bool) audio.Format { return audio.Format{Rate: 48000, Channels: 2} }

// Capture is not available off Linux.
func (s *System) Capture(context.Context, string, audio.Format, audio.Handler) error {
	return fmt.Errorf("%w: alsa is Linux only", audio.ErrUnavailable)
}

// Play is not available off Linux.
func (s *System) Play(string, audio.Format) (audio.Player, error) {
	return nil, fmt.Errorf("%w: alsa is Linux only", audio.ErrUnavailable)
}
