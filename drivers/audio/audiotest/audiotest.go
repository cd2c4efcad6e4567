// Package audiotest is a fake audio.System for unit tests: its sources
// produce a sine in real time, its sinks record what is played, and a
// test can make a source vanish and come back.
package audiotest

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"rtspcam/drivers/audio"
)

// System is a fake sound system. The zero value has no devices.
type System struct {
	mu      sync.Mutex
	sources []audio.Device
	sinks   []audio.Device
	tone    map[string]float64 // source name → frequency
	gone    map[string]chan struct{}
	played  map[string][]int16
	active  int
}

var _ audio.System = (*System)(nil)

// AddSource adds a source that captures a sine of freq Hz at half scale.
func (s *System) AddSource(name, desc string, f audio.Format, freq float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sources = append(s.sources, audio.Device{Index: len(s.sources), Name: name, Description: desc, Format: f,
		Default: len(s.sources) == 0})
	if s.tone == nil {
		s.tone = make(map[string]float64)
	}
	s.tone[name] = freq
}

// AddSink adds a sink.
func (s *System) AddSink(name, desc string, f audio.Format) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sinks = append(s.sinks, audio.Device{Index: len(s.sinks), Name: name, Description: desc, Format: f,
		Default: len(s.sinks) == 0})
}

// Remove takes the source name away: its captures end with ErrGone.
func (s *System) Remove(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, d := range s.sources {
		if d.Name == name {
			s.sources = append(s.sources[:i], s.sources[i+1:]...)
			break
		}
	}
	for i := range s.sources {
		s.sources[i].Index = i
	}
	if ch := s.gone[name]; ch != nil {
		close(ch)
		delete(s.gone, name)
	}
}

// Captures is the number of captures running now.
func (s *System) Captures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active
}

// Played returns what was played to the sink name.
func (s *System) Played(name string) []int16 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int16(nil), s.played[name]...)
}

// Sources lists the sources.
func (s *System) Sources() ([]audio.Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]audio.Device(nil), s.sources...), nil
}

// Sinks lists the sinks.
func (s *System) Sinks() ([]audio.Device, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]audio.Device(nil), s.sinks...), nil
}

func (s *System) find(list []audio.Device, name string) (audio.Device, bool) {
	for _, d := range list {
		if d.Name == name || (name == "" && d.Default) {
			return d, true
		}
	}
	return audio.Device{}, false
}

// Capture delivers the source's sine in f, 10 ms at a time, paced by the
// wall clock.
func (s *System) Capture(ctx context.Context, name string, f audio.Format, h audio.Handler) error {
	if f.Rate <= 0 || f.Channels <= 0 {
		return fmt.Errorf("audiotest: bad format %+v", f)
	}
	s.mu.Lock()
	d, ok := s.find(s.sources, name)
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("%w: %q", audio.ErrNoDevice, name)
	}
	if s.gone == nil {
		s.gone = make(map[string]chan struct{})
	}
	gone := s.gone[d.Name]
	if gone == nil {
		gone = make(chan struct{})
		s.gone[d.Name] = gone
	}
	freq := s.tone[d.Name]
	s.active++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.active--
		s.mu.Unlock()
	}()
	frames := f.Rate / 100
	pcm := make([]int16, frames*f.Channels)
	start := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-gone:
			return fmt.Errorf("%w: %q", audio.ErrGone, d.Name)
		case <-tick.C:
		}
		for i := range frames {
			v := int16(16384 * math.Sin(2*math.Pi*freq*float64(n+i)/float64(f.Rate)))
			for c := range f.Channels {
				pcm[i*f.Channels+c] = v
			}
		}
		h(pcm, start.Add(f.FrameDuration(n)))
		n += frames
	}
}

// Play records what is written to the sink name.
func (s *System) Play(name string, f audio.Format) (audio.Player, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.find(s.sinks, name)
	if !ok {
		return nil, fmt.Errorf("%w: %q", audio.ErrNoDevice, name)
	}
	return &player{s: s, name: d.Name}, nil
}

type player struct {
	s      *System
	name   string
	closed bool
}

func (p *player) Write(pcm []int16) (int, error) {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	if p.closed {
		return 0, fmt.Errorf("audiotest: player closed")
	}
	if p.s.played == nil {
		p.s.played = make(map[string][]int16)
	}
	p.s.played[p.name] = append(p.s.played[p.name], pcm...)
	return len(pcm), nil
}

func (p *player) Close() error {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	p.closed = true
	return nil
}
