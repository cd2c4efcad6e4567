package firmware

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"rtspcam/firmware/config"
	"rtspcam/rtsp/client"
)

// loadReaders is how many readers TestLoadTestPattern runs at once.
const loadReaders = 200

// loadDuration is 30 s unless RTSPCAM_LOAD_SECONDS shortens it for a
// local run.
func loadDuration(t *testing.T) time.Duration {
	v := os.Getenv("RTSPCAM_LOAD_SECONDS")
	if v == "" {
		return 30 * time.Second
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 3 {
		t.Fatalf("RTSPCAM_LOAD_SECONDS=%q: want whole seconds, at least 3", v)
	}
	return time.Duration(n) * time.Second
}

func loadFreePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestLoadTestPattern plays the shared test pattern to 200 TCP readers at
// once and checks that each got every packet the stream sent while it
// listened, then that nothing (goroutine, fd) outlives them.
func TestLoadTestPattern(t *testing.T) {
	d := loadDuration(t)
	cfg := config.Default()
	cfg.RTSPPort = loadFreePort(t)
	cfg.MediaDir = t.TempDir()
	cfg.LogEnable = false
	app, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	port := app.Addrs()[0].(*net.TCPAddr).Port
	url := fmt.Sprintf("rtsp://127.0.0.1:%d/testpattern", port)

	// One connection in and out, so the server's own background
	// goroutines (started by Serve) are part of the baseline.
	c, err := net.Dial("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	time.Sleep(200 * time.Millisecond)
	baseG := runtime.NumGoroutine()
	baseFD := openFDs(t)

	ctx, cancel := context.WithTimeout(context.Background(), d+time.Minute)
	defer cancel()
	s := client.Load(ctx, client.LoadOptions{URL: url, Readers: loadReaders, Duration: d})
	t.Logf("%d readers for %v: %d packets, %d bytes, %d gaps, %d errors",
		s.Readers, d, s.Packets, s.Bytes, s.Gaps, s.Errors)

	// The test pattern's tracks: MJPEG at 90 kHz, then PCMU at 8 kHz.
	clocks := []float64{90000, 8000}
	counts := make([][]uint64, len(clocks))
	for i, r := range s.Results {
		if r.Err != nil {
			t.Errorf("reader %d: %v", i, r.Err)
			continue
		}
		if len(r.Stats.Tracks) != len(clocks) {
			t.Errorf("reader %d: %d tracks, want %d", i, len(r.Stats.Tracks), len(clocks))
			continue
		}
		for k, tr := range r.Stats.Tracks {
			if tr.Gaps != 0 || tr.Reorders != 0 || tr.SSRCChanges != 0 {
				t.Errorf("reader %d track %d: %d gaps, %d reorders, %d SSRC changes", i, k, tr.Gaps, tr.Reorders, tr.SSRCChanges)
			}
			// Sequence numbers are the stream's own count: the reader
			// got every packet sent between its first and last.
			if sent := tr.LastSeq - tr.FirstSeq + 1; tr.Packets != sent {
				t.Errorf("reader %d track %d: received %d packets of the %d the stream sent meanwhile", i, k, tr.Packets, sent)
			}
			// And it was fed for the whole interval, not only at first.
			if span := float64(tr.LastTS-tr.FirstTS) / clocks[k]; span < (d - 2*time.Second).Seconds() {
				t.Errorf("reader %d track %d: media covers %.1f s of a %v play", i, k, span, d)
			}
			counts[k] = append(counts[k], tr.Packets)
		}
	}
	// Every reader played the same interval give or take its start time,
	// so counts agree within a second's worth of packets.
	for k, c := range counts {
		if len(c) == 0 {
			continue
		}
		slices.Sort(c)
		med := c[len(c)/2]
		slack := med / uint64(d/time.Second) // one second's packets
		if c[0]+slack < med || c[len(c)-1] > med+slack {
			t.Errorf("track %d: packet counts range %d..%d around median %d (slack %d)", k, c[0], c[len(c)-1], med, slack)
		}
	}
	if t.Failed() {
		return
	}

	// The live source lingers a few seconds after its last reader, so
	// give the count time to settle.
	var g, fds int
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		g, fds = runtime.NumGoroutine(), openFDs(t)
		if g <= baseG && fds <= baseFD {
			return
		}
	}
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	t.Fatalf("after the readers left: %d goroutines (baseline %d), %d fds (baseline %d)\n%s", g, baseG, fds, baseFD, buf[:n])
}
