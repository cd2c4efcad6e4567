package alsa

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"rtspcam/drivers/audio"
)

// stallLimit is how long a Write waits for room before it gives up on a
// device that stopped playing.
const stallLimit = 2 * time.Second

// errPlayerClosed reports a Write after Close.
var errPlayerClosed = errors.New("alsa: player closed")

// Player plays PCM to a playback PCM. The device's buffer holds eight
// periods (80 ms at the default period); playback starts when half of it is queued, and a writer that
// falls behind (an underrun) restarts it, so a pause plays as silence.
type Player struct {
	mu     sync.Mutex
	p      *pcm
	closed bool
}

var _ audio.Player = (*Player)(nil)

// Play opens playback of f, which the device must support as it is, to
// the PCM named name ("" for the first playback device).
func (s *System) Play(name string, f audio.Format) (audio.Player, error) {
	if err := checkFormat(f); err != nil {
		return nil, err
	}
	a, err := s.resolve(name, false)
	if err != nil {
		return nil, err
	}
	p, err := openPCM(s.devDir(), a, false, f, s.periodTime(), s.Xrun)
	if err != nil {
		return nil, err
	}
	return &Player{p: p}, nil
}

// Write queues pcm (whole frames; a trailing partial frame is dropped),
// waiting while the device's buffer is full. It returns the samples
// written.
func (pl *Player) Write(pcm []int16) (int, error) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.closed {
		return 0, errPlayerClosed
	}
	p := pl.p
	ch := p.format.Channels
	done := 0
	stalled := time.Duration(0)
	for len(pcm)-done >= ch {
		n, err := p.transfer(pcm[done:])
		if err != nil {
			if err := p.recover(err); err != nil {
				return done, err
			}
			continue
		}
		if n > 0 {
			done += n * ch
			stalled = 0
			continue
		}
		ready, err := p.wait(pollTimeout)
		if err != nil {
			return done, err
		}
		if !ready {
			if stalled += pollTimeout; stalled >= stallLimit {
				return done, fmt.Errorf("%w: alsa: %s stopped playing", audio.ErrGone, p.name)
			}
		}
	}
	return done, nil
}

// Underruns is how many times the device ran dry and was restarted.
func (pl *Player) Underruns() int {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return pl.p.xruns
}

// Close stops playback now (what is queued is dropped) and frees the
// device.
func (pl *Player) Close() error {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.closed {
		return nil
	}
	pl.closed = true
	return pl.p.close()
}
