// Package source turns what the firmware can stream — live generators and
// devices, media files — into rtsp.Media for sessions.
package source

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"rtspcam/rtsp"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/stream"
)

// Writer receives a source's access units; *stream.Stream is one.
type Writer interface {
	WriteAU(track int, pts time.Duration, au [][]byte, key bool) error
}

// Runner is a live source: it produces access units into w until ctx ends
// or it fails.
type Runner interface {
	Formats() []payload.Format
	Run(ctx context.Context, w Writer) error
}

// KeyFrameRequester is a Runner whose encoder can make a keyframe on
// demand, for a reader that joins a running stream.
type KeyFrameRequester interface {
	RequestKeyFrame()
}

// DefaultLinger is how long a live source keeps running after its last
// reader left, so a client that reconnects at once finds it warm.
const DefaultLinger = 3 * time.Second

// Live shares one running source among every session of a path: it starts
// the source with the first reader and stops it Linger after the last.
type Live struct {
	Name   string
	Runner Runner
	Linger time.Duration
	Logger *slog.Logger

	mu      sync.Mutex
	st      *stream.Stream
	gen     int // bumped when the source fails: handles of the old run are void
	readers int
	cancel  context.CancelFunc
	done    chan struct{}
	stop    *time.Timer
}

// NewLive returns a Live for runner.
func NewLive(name string, runner Runner, logger *slog.Logger) *Live {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Live{Name: name, Runner: runner, Linger: DefaultLinger, Logger: logger}
}

// Open returns a session's handle on the live source.
func (l *Live) Open() rtsp.Media { return &liveHandle{l: l} }

// Readers is the number of sessions playing.
func (l *Live) Readers() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.readers
}

// Running tells whether the source runs now.
func (l *Live) Running() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cancel != nil
}

func (l *Live) streamLocked() *stream.Stream {
	if l.st == nil {
		l.st = stream.New(l.Runner.Formats())
	}
	return l.st
}

func (l *Live) attach(r *stream.Reader) ([]stream.TrackState, int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.streamLocked()
	if err := st.AddReader(r); err != nil {
		return nil, 0, err
	}
	l.readers++
	if l.stop != nil {
		l.stop.Stop()
		l.stop = nil
	}
	if l.cancel != nil {
		// A reader joining a running encoder waits for the next
		// keyframe: ask for one now where the source can make it.
		if k, ok := l.Runner.(KeyFrameRequester); ok {
			k.RequestKeyFrame()
		}
	} else {
		// A run stopped for idleness may still be ending: two runs at
		// once would share the runner's buffers. A cancelled run exits
		// without taking l.mu, and a failed one has released it before
		// cancel became nil, so waiting here cannot deadlock.
		if l.done != nil {
			<-l.done
		}
		ctx, cancel := context.WithCancel(context.Background())
		l.cancel = cancel
		l.done = make(chan struct{})
		go l.run(ctx, st, l.done)
		l.Logger.Info("live source started", "path", l.Name)
	}
	states := make([]stream.TrackState, len(st.Formats()))
	for i := range states {
		states[i] = st.LiveState(i)
	}
	return states, l.gen, nil
}

func (l *Live) detach(r *stream.Reader, gen int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if gen != l.gen {
		return // the run it joined failed and was forgotten
	}
	if l.st != nil {
		l.st.RemoveReader(r)
	}
	l.readers--
	if l.readers == 0 && l.cancel != nil && l.stop == nil {
		l.stop = time.AfterFunc(l.Linger, l.stopIdle)
	}
}

func (l *Live) stopIdle() {
	l.mu.Lock()
	if l.readers > 0 || l.cancel == nil {
		l.mu.Unlock()
		return
	}
	cancel, done := l.cancel, l.done
	l.cancel, l.stop = nil, nil
	l.mu.Unlock()
	cancel()
	<-done
	l.Logger.Info("live source stopped, no readers", "path", l.Name)
}

func (l *Live) run(ctx context.Context, st *stream.Stream, done chan struct{}) {
	defer close(done)
	err := l.Runner.Run(ctx, st)
	if ctx.Err() != nil {
		return
	}
	l.Logger.Warn("live source ended", "path", l.Name, "err", err)
	// The readers get RTCP BYE; the next reader starts the source anew.
	l.mu.Lock()
	if l.st == st {
		l.st = nil
	}
	l.cancel = nil
	l.readers = 0
	l.gen++
	l.mu.Unlock()
	st.Close()
}

// Close stops the source now and ends every reader.
func (l *Live) Close() {
	l.mu.Lock()
	cancel, done, st := l.cancel, l.done, l.st
	l.cancel, l.st = nil, nil
	if l.stop != nil {
		l.stop.Stop()
		l.stop = nil
	}
	l.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	if st != nil {
		st.Close()
	}
}

// liveHandle is one session's view of a Live.
type liveHandle struct {
	l       *Live
	gen     int
	playing *stream.Reader
	ssrc    []uint32
}

func (h *liveHandle) Formats() []payload.Format { return h.l.Runner.Formats() }
func (h *liveHandle) Duration() time.Duration   { return 0 }

func (h *liveHandle) Play(r *stream.Reader, _ *time.Duration) (time.Duration, []stream.TrackState, error) {
	if h.playing != nil {
		h.l.detach(h.playing, h.gen)
		h.playing = nil
	}
	states, gen, err := h.l.attach(r)
	if err != nil {
		return 0, nil, &rtsp.StatusError{Code: 503, Reason: "source unavailable"}
	}
	h.playing, h.gen = r, gen
	h.ssrc = h.ssrc[:0]
	for _, s := range states {
		h.ssrc = append(h.ssrc, s.SSRC)
	}
	return 0, states, nil
}

func (h *liveHandle) Pause(r *stream.Reader) (time.Duration, error) {
	if h.playing != nil {
		h.l.detach(h.playing, h.gen)
		h.playing = nil
	}
	return 0, nil
}

func (h *liveHandle) Close() {
	if h.playing != nil {
		h.l.detach(h.playing, h.gen)
		h.playing = nil
	}
}

// SSRC is the track's SSRC, for RTCP BYE.
func (h *liveHandle) SSRC(track int) uint32 {
	if track < len(h.ssrc) {
		return h.ssrc[track]
	}
	return 0
}
