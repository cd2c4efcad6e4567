package mic

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"rtspcam/drivers/audio"
	"rtspcam/drivers/audio/audiotest"
	"rtspcam/hwenc/soft"
)

type capture struct {
	mu   sync.Mutex
	pts  []time.Duration
	at   []time.Time
	size []int
}

func (c *capture) WriteAU(track int, pts time.Duration, au [][]byte, key bool) error {
	return c.WriteAUAt(track, pts, time.Time{}, au, key)
}

func (c *capture) WriteAUAt(track int, pts time.Duration, at time.Time, au [][]byte, key bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pts = append(c.pts, pts)
	c.at = append(c.at, at)
	c.size = append(c.size, len(au[0]))
	return nil
}

func TestSourceTimestamps(t *testing.T) {
	sys := &audiotest.System{}
	sys.AddSource("mic", "Test microphone", audio.Format{Rate: 48000, Channels: 2}, 440)
	s, err := New(sys, Options{Device: "mic", Capture: audio.Format{Rate: 48000, Channels: 2},
		Encoder: soft.AudioEncoderConfig{Codec: soft.CodecG726, Bitrate: 24000}})
	if err != nil {
		t.Fatal(err)
	}
	if f := s.Formats()[0]; f.RTPMap() != "G726-24/8000" {
		t.Fatalf("rtpmap %q", f.RTPMap())
	}
	var c capture
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := s.Run(ctx, &c); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pts) < 15 {
		t.Fatalf("%d frames in 0.5 s", len(c.pts))
	}
	for i := range c.pts {
		if c.pts[i] != time.Duration(i)*20*time.Millisecond || c.size[i] != 60 {
			t.Fatalf("frame %d at %v with %d octets, want %v and 60", i, c.pts[i], c.size[i], time.Duration(i)*20*time.Millisecond)
		}
		if i > 0 && c.at[i].Sub(c.at[i-1]) != 20*time.Millisecond {
			t.Fatalf("capture times %v apart", c.at[i].Sub(c.at[i-1]))
		}
	}
	if p50, p99, n := s.Latency(); n == 0 || p50 <= 0 || p99 < p50 {
		t.Fatalf("latency p50 %v p99 %v over %d", p50, p99, n)
	}
}

func TestSourceGone(t *testing.T) {
	sys := &audiotest.System{}
	sys.AddSource("mic", "", audio.Format{Rate: 8000, Channels: 1}, 440)
	s, err := New(sys, Options{Device: "mic", Capture: audio.Format{Rate: 8000, Channels: 1},
		Encoder: soft.AudioEncoderConfig{Codec: soft.CodecPCMU}})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Run(context.Background(), &capture{}) }()
	time.Sleep(100 * time.Millisecond)
	sys.Remove("mic")
	select {
	case err := <-errc:
		if !errors.Is(err, audio.ErrGone) {
			t.Fatalf("Run ended with %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not end when the device went away")
	}
}
