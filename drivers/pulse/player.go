package pulse

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jfreymuth/pulse"

	"rtspcam/drivers/audio"
)

// How a Write waits for room, and how long before it gives up.
const (
	stallPoll  = 5 * time.Millisecond
	stallLimit = 2 * time.Second
)

// errPlayerClosed reports a Write after Close.
var errPlayerClosed = errors.New("pulseaudio: player closed")

// Player plays PCM to a sink. Writes fill a queue of a quarter second; the
// server pulls from it as it plays and gets silence when it runs dry, so a
// talker who pauses leaves the stream running.
type Player struct {
	c      *pulse.Client
	ps     *pulse.PlaybackStream
	format audio.Format

	mu     sync.Mutex
	queue  []int16 // ring
	head   int
	n      int
	closed bool
}

var _ audio.Player = (*Player)(nil)

// Play opens playback of f to the sink named name ("" for the default).
func (s *System) Play(name string, f audio.Format) (audio.Player, error) {
	if err := checkFormat(f); err != nil {
		return nil, err
	}
	c, err := s.connect()
	if err != nil {
		return nil, err
	}
	var sink *pulse.Sink
	if name == "" {
		sink, err = c.DefaultSink()
	} else {
		sink, err = c.SinkByID(name)
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("%w: pulseaudio sink %q: %v", audio.ErrNoDevice, name, err)
	}
	p := &Player{c: c, format: f, queue: make([]int16, f.Rate/4*f.Channels)}
	p.ps, err = c.NewPlayback(pulse.Int16Reader(p.pull),
		pulse.PlaybackSink(sink),
		pulse.PlaybackChannels(channelMap(f.Channels)),
		pulse.PlaybackSampleRate(f.Rate),
		pulse.PlaybackLatency(0.05),
		pulse.PlaybackMediaName("rtspcam playback"),
	)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("pulseaudio: play to %q: %w", sink.ID(), err)
	}
	p.ps.Start()
	return p, nil
}

// pull hands the server what is queued, padded with silence.
func (p *Player) pull(out []int16) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, pulse.EndOfData
	}
	k := min(p.n, len(out))
	for i := range k {
		out[i] = p.queue[(p.head+i)%len(p.queue)]
	}
	p.head = (p.head + k) % len(p.queue)
	p.n -= k
	clear(out[k:])
	return len(out), nil
}

// Write queues pcm, blocking while the queue is full.
func (p *Player) Write(pcm []int16) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	done := 0
	var waited time.Duration
	for done < len(pcm) {
		if p.closed {
			return done, errPlayerClosed
		}
		free := len(p.queue) - p.n
		if free == 0 {
			// The server pulls every few tens of milliseconds; a queue
			// that stays full means it is gone.
			if waited >= stallLimit {
				return done, fmt.Errorf("%w: pulseaudio stopped pulling playback", audio.ErrGone)
			}
			p.mu.Unlock()
			time.Sleep(stallPoll)
			waited += stallPoll
			p.mu.Lock()
			continue
		}
		waited = 0
		k := min(free, len(pcm)-done)
		tail := (p.head + p.n) % len(p.queue)
		for i := range k {
			p.queue[(tail+i)%len(p.queue)] = pcm[done+i]
		}
		p.n += k
		done += k
	}
	return done, nil
}

// Close stops playback and closes the connection.
func (p *Player) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	p.ps.Stop()
	p.ps.Close()
	p.c.Close()
	return nil
}
