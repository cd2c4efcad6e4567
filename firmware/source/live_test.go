package source

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/g711"
	"rtspcam/rtsp/stream"
)

// tickRunner writes one G.711 access unit every 10 ms and counts its runs.
type tickRunner struct {
	runs  atomic.Int32
	fail  atomic.Bool
	alive atomic.Int32
}

func (r *tickRunner) Formats() []payload.Format { return []payload.Format{&g711.Format{MuLaw: true}} }

func (r *tickRunner) Run(ctx context.Context, w Writer) error {
	r.runs.Add(1)
	r.alive.Add(1)
	defer r.alive.Add(-1)
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	au := [][]byte{make([]byte, 80)}
	start := time.Now()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case now := <-t.C:
			if r.fail.Load() {
				return errors.New("device unplugged")
			}
			w.WriteAU(0, now.Sub(start), au, true)
		}
	}
}

func readOne(t *testing.T, r *stream.Reader) {
	t.Helper()
	got := make(chan error, 1)
	go func() {
		buf := make([]*stream.Packet, 16)
		n, err := r.Read(buf)
		for _, p := range buf[:n] {
			p.Release()
		}
		got <- err
	}()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no packet from the live source")
	}
}

func TestLiveStartsWithFirstReaderAndStopsAfterLast(t *testing.T) {
	run := &tickRunner{}
	l := NewLive("x", run, nil)
	l.Linger = 50 * time.Millisecond
	defer l.Close()
	if l.Running() {
		t.Fatal("running before any reader")
	}
	h1, h2 := l.Open(), l.Open()
	r1, r2 := stream.NewReader(0), stream.NewReader(0)
	if _, _, err := h1.Play(r1, nil); err != nil {
		t.Fatal(err)
	}
	h2.Play(r2, nil)
	readOne(t, r1)
	readOne(t, r2)
	if run.runs.Load() != 1 {
		t.Fatalf("source started %d times for two readers", run.runs.Load())
	}
	h1.Close()
	time.Sleep(120 * time.Millisecond)
	if !l.Running() {
		t.Fatal("stopped while a reader remains")
	}
	h2.Pause(r2)
	time.Sleep(150 * time.Millisecond)
	if l.Running() || run.alive.Load() != 0 {
		t.Fatal("still running after the last reader left and the linger passed")
	}
	// A new reader starts it again.
	r3 := stream.NewReader(0)
	h2.Play(r3, nil)
	readOne(t, r3)
	if run.runs.Load() != 2 {
		t.Fatalf("runs %d, want 2", run.runs.Load())
	}
	h2.Close()
}

func TestLiveSourceFailureEndsReadersAndRecovers(t *testing.T) {
	run := &tickRunner{}
	l := NewLive("x", run, nil)
	defer l.Close()
	h := l.Open()
	r := stream.NewReader(0)
	h.Play(r, nil)
	readOne(t, r)
	run.fail.Store(true)
	select {
	case <-r.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("a failed source must end its readers")
	}
	h.Close()
	run.fail.Store(false)
	h2 := l.Open()
	r2 := stream.NewReader(0)
	if _, _, err := h2.Play(r2, nil); err != nil {
		t.Fatal(err)
	}
	readOne(t, r2)
	if l.Readers() != 1 {
		t.Fatalf("%d readers counted after the failed run's handle closed, want 1", l.Readers())
	}
	h2.Close()
}

// slowStopRunner takes a while to end after its context is cancelled, as a
// device that drains its buffers does, and records whether two runs ever
// overlapped.
type slowStopRunner struct {
	alive   atomic.Int32
	overlap atomic.Bool
}

func (r *slowStopRunner) Formats() []payload.Format {
	return []payload.Format{&g711.Format{MuLaw: true}}
}

func (r *slowStopRunner) Run(ctx context.Context, w Writer) error {
	if r.alive.Add(1) > 1 {
		r.overlap.Store(true)
	}
	defer r.alive.Add(-1)
	<-ctx.Done()
	time.Sleep(5 * time.Millisecond)
	return ctx.Err()
}

// A reader arriving while an idle run is still stopping must not start a
// second run beside it: the two would share the runner's buffers.
func TestLiveNeverRunsTwiceAtOnce(t *testing.T) {
	run := &slowStopRunner{}
	l := NewLive("x", run, nil)
	l.Linger = time.Millisecond
	defer l.Close()
	h := l.Open()
	for i := range 50 {
		r := stream.NewReader(0)
		if _, _, err := h.Play(r, nil); err != nil {
			t.Fatal(err)
		}
		h.Pause(r)
		r.Close()
		time.Sleep(time.Duration(i%4) * time.Millisecond)
	}
	if run.overlap.Load() {
		t.Fatal("a new run started while the previous one was still ending")
	}
}
