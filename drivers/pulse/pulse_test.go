package pulse

import (
	"context"
	"errors"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	"rtspcam/drivers/audio"
	"rtspcam/drivers/audio/audiotest"
	"rtspcam/drivers/pulse/pulsetest"
)

// peak is the highest level of freq over 200 ms windows of pcm: the
// capture starts before the player's first samples reach the sink, so
// only part of a recording holds the tone.
func peak(pcm []int16, rate int, freq float64) float64 {
	best := 0.0
	w := rate / 5
	for i := 0; i+w <= len(pcm); i += w / 2 {
		best = math.Max(best, audiotest.Level(pcm[i:i+w], rate, freq))
	}
	return best
}

// record captures from name for d and returns the mono PCM.
func record(t *testing.T, s *System, name string, f audio.Format, d time.Duration) ([]int16, error) {
	t.Helper()
	var mu sync.Mutex
	var pcm []int16
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	err := s.Capture(ctx, name, f, func(b []int16, _ time.Time) {
		mu.Lock()
		for i := 0; i < len(b); i += f.Channels {
			pcm = append(pcm, b[i])
		}
		mu.Unlock()
	})
	mu.Lock()
	defer mu.Unlock()
	return pcm, err
}

func TestPulse(t *testing.T) {
	top := t
	srv := pulsetest.Start(t, "test")
	srv.Setenv(t)
	s := &System{}
	g0 := runtime.NumGoroutine()

	devs, err := s.Sources()
	if err != nil {
		t.Fatal(err)
	}
	d, err := audio.Find(devs, "test.monitor")
	if err != nil {
		t.Fatalf("%v (%v)", err, devs)
	}
	if d.Description == "" || d.Format.Rate == 0 {
		t.Errorf("monitor source without description or format: %+v", d)
	}
	if byIdx, err := audio.Find(devs, "0"); err != nil || byIdx.Name != devs[0].Name {
		t.Errorf("index 0: %+v, %v", byIdx, err)
	}
	if _, err := audio.Find(devs, "nope"); !errors.Is(err, audio.ErrNoDevice) {
		t.Errorf("unknown source: %v", err)
	}
	sinks, err := s.Sinks()
	if err != nil || len(sinks) != 1 || sinks[0].Name != "test" {
		t.Fatalf("sinks %+v, %v", sinks, err)
	}

	t.Run("capture", func(t *testing.T) {
		srv.PlayTone(t, 1000, 0.5, 3)
		f := audio.Format{Rate: 16000, Channels: 2}
		pcm, err := record(t, s, "test.monitor", f, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(pcm) < 16000 {
			t.Fatalf("%d frames in 1.5 s at 16 kHz", len(pcm))
		}
		if a := peak(pcm, 16000, 1000); math.Abs(a-0.5) > 0.05 {
			t.Errorf("1 kHz at %.3f of full scale, played at 0.5", a)
		}
		if a := peak(pcm, 16000, 1500); a > 0.01 {
			t.Errorf("1.5 kHz at %.3f: the tone is not where it was played", a)
		}
	})

	t.Run("playback", func(t *testing.T) {
		p, err := s.Play("test", audio.Format{Rate: 8000, Channels: 1})
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			tone := make([]int16, 160)
			n := 0
			for {
				for i := range tone {
					tone[i] = int16(0.4 * 32767 * math.Sin(2*math.Pi*600*float64(n+i)/8000))
				}
				n += len(tone)
				if _, err := p.Write(tone); err != nil {
					t.Error(err)
					return
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		}()
		pcm, err := record(t, s, "test.monitor", audio.Format{Rate: 8000, Channels: 1}, 1200*time.Millisecond)
		close(stop)
		<-done
		p.Close()
		if err != nil {
			t.Fatal(err)
		}
		if a := peak(pcm, 8000, 600); math.Abs(a-0.4) > 0.05 {
			t.Errorf("600 Hz played through Player at %.3f of full scale, want 0.4", a)
		}
	})

	t.Run("missing", func(t *testing.T) {
		err := s.Capture(context.Background(), "nope", audio.Format{Rate: 8000, Channels: 1}, func([]int16, time.Time) {})
		if !errors.Is(err, audio.ErrNoDevice) {
			t.Fatalf("capture of a missing source: %v", err)
		}
	})

	t.Run("server gone and back", func(t *testing.T) {
		errc := make(chan error, 1)
		go func() {
			errc <- s.Capture(context.Background(), "test.monitor", audio.Format{Rate: 8000, Channels: 1}, func([]int16, time.Time) {})
		}()
		time.Sleep(300 * time.Millisecond)
		srv.Stop()
		select {
		case err := <-errc:
			if !errors.Is(err, audio.ErrGone) {
				t.Fatalf("capture ended with %v, want ErrGone", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("capture did not end when the server died")
		}
		if _, err := s.Sources(); !errors.Is(err, audio.ErrUnavailable) {
			t.Fatalf("Sources with no server: %v", err)
		}
		srv.Restart(top) // lives as long as the whole test
		srv.PlayTone(t, 700, 0.5, 3)
		pcm, err := record(t, s, "test.monitor", audio.Format{Rate: 8000, Channels: 1}, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if a := peak(pcm, 8000, 700); a < 0.45 {
			t.Errorf("after the restart 700 Hz at %.3f", a)
		}
	})

	t.Run("source gone", func(t *testing.T) {
		srv.LoadSink(t, "extra")
		errc := make(chan error, 1)
		go func() {
			errc <- s.Capture(context.Background(), "extra.monitor", audio.Format{Rate: 8000, Channels: 1}, func([]int16, time.Time) {})
		}()
		time.Sleep(300 * time.Millisecond)
		if out, err := srv.Command("pactl", "unload-module", "module-null-sink").CombinedOutput(); err != nil {
			t.Fatalf("pactl: %v: %s", err, out)
		}
		select {
		case err := <-errc:
			if !errors.Is(err, audio.ErrGone) {
				t.Fatalf("capture ended with %v, want ErrGone", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("capture did not end when its source went away")
		}
	})

	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > g0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > g0 {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines left (had %d):\n%s", n, g0, buf[:runtime.Stack(buf, true)])
	}
}
