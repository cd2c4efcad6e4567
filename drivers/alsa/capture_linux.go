package alsa

import (
	"context"
	"time"

	"rtspcam/drivers/audio"
)

// pollTimeout is how long a capture waits in poll before it looks at its
// context again.
const pollTimeout = 100 * time.Millisecond

// Capture records from the PCM named name ("" for the first capture
// device) in format f, which the device must support as it is, until ctx
// ends (nil) or the device goes away (an error wrapping audio.ErrGone).
// The handler gets a period at a time; an overrun loses what the device
// dropped and the capture goes on. A period costs no allocation.
func (s *System) Capture(ctx context.Context, name string, f audio.Format, h audio.Handler) error {
	if err := checkFormat(f); err != nil {
		return err
	}
	a, err := s.resolve(name, true)
	if err != nil {
		return err
	}
	p, err := openPCM(s.devDir(), a, true, f, s.periodTime(), s.Xrun)
	if err != nil {
		return err
	}
	defer p.close()
	return p.captureLoop(ctx, make([]int16, p.period*f.Channels), h)
}

func (p *pcm) captureLoop(ctx context.Context, buf []int16, h audio.Handler) error {
	for ctx.Err() == nil {
		ready, err := p.wait(pollTimeout)
		if err != nil {
			return err
		}
		if !ready {
			continue
		}
		n, err := p.transfer(buf)
		if err != nil {
			if err := p.recover(err); err != nil {
				return err
			}
			continue
		}
		if n > 0 {
			h(buf[:n*p.format.Channels], time.Now().Add(-p.format.FrameDuration(n)))
		}
	}
	return nil
}
