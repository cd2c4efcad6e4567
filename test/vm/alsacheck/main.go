// Command alsacheck runs inside a QEMU guest with snd-aloop loaded. By
// default it checks drivers/alsa on the loopback: a 1 kHz tone played to
// hw:Loopback,0,0 with Play is captured from hw:Loopback,1,0 with Capture
// and checked (frequency and level by Goertzel, no gap in any 10 ms
// block, the frame count matching the time taken), along with allocations
// per period, CPU per second of audio, descriptors released on close, and
// recovery from an overrun and an underrun (a handler and a writer
// stalled past their buffers), and a card that vanishes (unbound from
// its driver) ending the capture with
// audio.ErrGone and capturing again once it is back. It prints
// "ALSACHECK …" lines and "ALSACHECK PASS" or "ALSACHECK FAIL …", which the
// host test reads from the console. With -play it plays the tone until
// killed, for the server test.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"rtspcam/drivers/alsa"
	"rtspcam/drivers/audio"
)

const (
	toneHz    = 1000
	toneLevel = 0.5
	playName  = "hw:Loopback,0,0"
	capName   = "hw:Loopback,1,0"
)

var format = audio.Format{Rate: 48000, Channels: 2}

const period = 50 * time.Millisecond

func main() {
	play := flag.Bool("play", false, "play the tone until killed")
	flag.Parse()
	if *play {
		err := playTone(context.Background(), &alsa.System{}, nil)
		fmt.Println("ALSACHECK player ended:", err)
		os.Exit(1)
	}
	if err := run(); err != nil {
		fmt.Println("ALSACHECK FAIL:", err)
		fmt.Println("ALSACHECK END")
		os.Exit(1)
	}
	fmt.Println("ALSACHECK PASS")
	fmt.Println("ALSACHECK END")
}

// playTone writes the tone in 10 ms chunks, its phase continuous, until
// ctx ends; started (if not nil) is closed after the first write.
func playTone(ctx context.Context, sys audio.System, started chan<- struct{}) error {
	pl, err := sys.Play(playName, format)
	if err != nil {
		return err
	}
	defer pl.Close()
	// 10 ms of a tone whose period divides 10 ms: the chunk repeats
	// with its phase continuous.
	chunk := make([]int16, format.Rate/100*format.Channels)
	for i := 0; i < len(chunk); i += format.Channels {
		v := int16(toneLevel * 32767 * math.Sin(2*math.Pi*toneHz*float64(i/format.Channels)/float64(format.Rate)))
		for c := 0; c < format.Channels; c++ {
			chunk[i+c] = v
		}
	}
	for ctx.Err() == nil {
		if _, err := pl.Write(chunk); err != nil {
			return err
		}
		if started != nil {
			close(started)
			started = nil
		}
	}
	return nil
}

func openFDs() int {
	ents, _ := os.ReadDir("/proc/self/fd")
	n := 0
	for _, e := range ents {
		if t, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && len(t) > 8 && t[:8] == "/dev/snd" {
			n++
		}
	}
	return n
}

// cpuTime is the CPU time of the process (who=RUSAGE_SELF) or of the
// calling thread (rusageThread).
func cpuTime(who int, ru *syscall.Rusage) time.Duration {
	_ = syscall.Getrusage(who, ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const rusageThread = 1 // RUSAGE_THREAD

// level is the amplitude (of full scale) of freq in mono pcm (Goertzel).
func level(pcm []float64, rate int, freq float64) float64 {
	w := 2 * math.Pi * freq / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range pcm {
		s0 := x + c*s1 - s2
		s2, s1 = s1, s0
	}
	p := s1*s1 + s2*s2 - c*s1*s2
	return 2 * math.Sqrt(math.Max(p, 0)) / float64(len(pcm))
}

func run() error {
	var xruns atomic.Int32
	var capXruns atomic.Int32
	// Periods of 50 ms (buffers of 0.8 s capture, 0.4 s playback): the
	// emulated guest shares a loaded host and is late by tenths of a
	// second at times.
	sys := &alsa.System{PeriodTime: period, Xrun: func(node string) {
		xruns.Add(1)
		if strings.HasSuffix(node, "c") {
			capXruns.Add(1)
		}
	}}
	src, err := sys.Sources()
	if err != nil {
		return err
	}
	fmt.Println("ALSACHECK sources", audio.Describe(src))
	if d, err := audio.Find(src, "Loopback,1,0"); err != nil || d.Name != capName {
		return fmt.Errorf("find Loopback,1,0: %q, %v", d.Name, err)
	}
	fds := openFDs()

	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	playErr := make(chan error, 1)
	go func() { playErr <- playTone(ctx, sys, started) }()
	select {
	case <-started:
	case err := <-playErr:
		cancel()
		return fmt.Errorf("play: %w", err)
	}

	// Capture 70 periods (3.5 s): the first 0.5 s settle, the rest is
	// checked; allocations and CPU are counted over periods 20…60; the handler only copies, so the driver's allocations are
	// what counts.
	const seconds = 4
	rec := make([]int16, 0, (seconds+1)*format.Rate*format.Channels)
	var periods, mallocsAt100, mallocsAt300 int
	var cpuAt100, cpuAt300, threadAt100, threadAt300 time.Duration
	var ms runtime.MemStats
	var ru syscall.Rusage
	// The capture runs on this goroutine: on its own thread, the thread's
	// CPU time is the capture's alone (the player runs on another).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var first, last time.Time
	capCtx, capCancel := context.WithTimeout(ctx, 10*time.Second)
	err = sys.Capture(capCtx, capName, format, func(pcm []int16, at time.Time) {
		if first.IsZero() {
			first = at
		}
		last = at.Add(format.FrameDuration(len(pcm) / format.Channels))
		if len(rec)+len(pcm) <= cap(rec) {
			rec = append(rec, pcm...)
		}
		periods++
		switch periods {
		case 20:
			cpuAt100, threadAt100 = cpuTime(syscall.RUSAGE_SELF, &ru), cpuTime(rusageThread, &ru)
			runtime.ReadMemStats(&ms)
			mallocsAt100 = int(ms.Mallocs)
		case 60:
			runtime.ReadMemStats(&ms)
			mallocsAt300 = int(ms.Mallocs)
			cpuAt300, threadAt300 = cpuTime(syscall.RUSAGE_SELF, &ru), cpuTime(rusageThread, &ru)
		case 70:
			capCancel()
		}
	})
	capCancel()
	cancel()
	if perr := <-playErr; perr != nil {
		return fmt.Errorf("play: %w", perr)
	}
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	if periods < 70 {
		return fmt.Errorf("only %d periods in 10 s", periods)
	}
	frames := len(rec) / format.Channels
	span := last.Sub(first)
	// Mono, from the left channel, past the settling time.
	mono := make([]float64, 0, frames)
	for i := format.Rate / 2 * format.Channels; i < len(rec); i += format.Channels {
		mono = append(mono, float64(rec[i])/32768)
	}
	off := level(mono, format.Rate, 1500) / level(mono, format.Rate, toneHz)
	gaps := 0
	block := format.Rate / 100
	var levels []float64
	for i := 0; i+block <= len(mono); i += block {
		l := level(mono[i:i+block], format.Rate, toneHz)
		levels = append(levels, l)
		if l < toneLevel/2 {
			gaps++
		}
	}
	sort.Float64s(levels)
	lv := levels[len(levels)/2]
	allocs := float64(mallocsAt300-mallocsAt100) / 40
	audioSec := 40 * period.Seconds()
	cpuPerSec := time.Duration(float64(cpuAt300-cpuAt100) / audioSec)
	capPerSec := time.Duration(float64(threadAt300-threadAt100) / audioSec)
	fmt.Printf("ALSACHECK frames=%d span=%.2fs periods=%d level=%.3f (median of 10 ms blocks) 1.5kHz/1kHz=%.4f gaps=%d overruns=%d underruns=%d allocs/period=%.3f\n",
		frames, span.Seconds(), periods, lv, off, gaps, capXruns.Load(), xruns.Load()-capXruns.Load(), allocs)
	fmt.Printf("ALSACHECK cpu per second of 48 kHz stereo audio under TCG: capture thread %v, process (capture+play) %v\n",
		capPerSec.Round(time.Microsecond), cpuPerSec.Round(time.Microsecond))
	if math.Abs(lv-toneLevel) > 0.05 || off > 0.01 {
		return fmt.Errorf("tone level %.3f (want %.2f), 1.5 kHz %.4f of it", lv, toneLevel, off)
	}
	// A playback underrun (the emulator starving the player) plays
	// silence into the loopback; silence without one is a lost capture.
	if gaps != 0 && xruns.Load() == capXruns.Load() {
		return fmt.Errorf("%d blocks of 10 ms without the tone and no underrun", gaps)
	}
	if n := capXruns.Load(); n != 0 {
		return fmt.Errorf("%d capture overruns: audio lost", n)
	}
	// The guest's wall clock and the loopback's timer drift apart under
	// TCG by several per cent: the frame count is checked loosely, the
	// overrun count above is the continuity check.
	if want := span.Seconds() * float64(format.Rate); math.Abs(float64(frames)-want) > 0.15*want {
		return fmt.Errorf("%d frames in %.2f s, want about %.0f", frames, span.Seconds(), want)
	}
	if allocs != 0 {
		return fmt.Errorf("%.3f allocations per period", allocs)
	}
	if n := openFDs(); n != fds {
		return fmt.Errorf("%d sound descriptors open after close, %d before", n, fds)
	}
	fmt.Println("ALSACHECK descriptors released")
	if err := xrun(sys, &capXruns, &xruns); err != nil {
		return err
	}
	return vanish(sys)
}

// xrun stalls a capture's handler and a player's writer past their
// buffers: each must report the xrun, prepare the stream again and go on.
func xrun(sys *alsa.System, capXruns, xruns *atomic.Int32) error {
	capBefore, playBefore := capXruns.Load(), xruns.Load()-capXruns.Load()
	pl, err := sys.Play(playName, format)
	if err != nil {
		return err
	}
	defer pl.Close()
	chunk := make([]int16, format.Rate/10*format.Channels) // 100 ms
	for range 5 {
		if _, err := pl.Write(chunk); err != nil {
			return fmt.Errorf("write before the pause: %w", err)
		}
	}
	time.Sleep(time.Second) // the 0.4 s buffer runs dry
	for range 5 {
		if _, err := pl.Write(chunk); err != nil {
			return fmt.Errorf("write after an underrun: %w", err)
		}
	}
	n := 0
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = sys.Capture(ctx, capName, format, func([]int16, time.Time) {
		if n++; n == 5 {
			time.Sleep(1500 * time.Millisecond) // the 0.8 s buffer overflows
		}
		if n == 15 {
			cancel()
		}
	})
	if err != nil || n < 15 {
		return fmt.Errorf("capture across an overrun: %d periods, %v", n, err)
	}
	over, under := capXruns.Load()-capBefore, xruns.Load()-capXruns.Load()-playBefore
	fmt.Printf("ALSACHECK recovered from %d overruns and %d underruns\n", over, under)
	if over < 1 || under < 1 {
		return fmt.Errorf("stalls past the buffers gave %d overruns and %d underruns, want both", over, under)
	}
	return nil
}

// vanish unbinds the loopback card from its driver while capturing: the
// capture must end with audio.ErrGone; bound again, it captures again.
func vanish(sys *alsa.System) error {
	const drv = "/sys/bus/platform/drivers/snd_aloop/"
	errc := make(chan error, 1)
	got := make(chan struct{}, 1)
	go func() {
		errc <- sys.Capture(context.Background(), capName, format, func([]int16, time.Time) {
			select {
			case got <- struct{}{}:
			default:
			}
		})
	}()
	select {
	case <-got:
	case err := <-errc:
		return fmt.Errorf("capture before unbind: %v", err)
	case <-time.After(5 * time.Second):
		return errors.New("no capture before unbind")
	}
	if err := os.WriteFile(drv+"unbind", []byte("snd_aloop.0"), 0); err != nil {
		return fmt.Errorf("unbind: %w", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, audio.ErrGone) {
			return fmt.Errorf("capture of an unbound card ended with %v, want ErrGone", err)
		}
		fmt.Println("ALSACHECK gone:", err)
	case <-time.After(5 * time.Second):
		return errors.New("capture did not end when the card went away")
	}
	if err := os.WriteFile(drv+"bind", []byte("snd_aloop.0"), 0); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n := 0
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		err = sys.Capture(ctx, capName, format, func([]int16, time.Time) { n++ })
		if err == nil || n > 0 {
			break
		}
	}
	if err != nil || n == 0 {
		return fmt.Errorf("after bind: %d periods, %v", n, err)
	}
	fmt.Printf("ALSACHECK back: %d periods\n", n)
	return nil
}
