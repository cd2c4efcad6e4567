package camera

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/jpeg"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"image"
	"rtspcam/drivers/v4l2"
	"rtspcam/drivers/v4l2/v4l2test"
	"rtspcam/hwenc"
	"rtspcam/rtsp/stream"
)

type au struct {
	pts   time.Duration
	key   bool
	nalus [][]byte
}

type recorder struct {
	mu   sync.Mutex
	aus  []au
	at   []time.Time // capture times, when written with WriteAUAt
	onAU func(n int)
}

// atRecorder is a recorder that takes capture times, as *stream.Stream.
type atRecorder struct{ recorder }

func (r *atRecorder) WriteAUAt(track int, pts time.Duration, at time.Time, a [][]byte, key bool) error {
	r.mu.Lock()
	r.at = append(r.at, at)
	if d := time.Since(at); at.IsZero() || d < 0 || d > 100*time.Millisecond {
		r.mu.Unlock()
		return fmt.Errorf("capture time %v is %v ago", at, d)
	}
	r.mu.Unlock()
	return r.WriteAU(track, pts, a, key)
}

func TestCaptureTimesReachTheStream(t *testing.T) {
	sys := v4l2test.New(v4l2test.Camera("cam", v4l2.PixMJPEG))
	devs, _ := sys.Devices()
	s, _ := New(sys, devs[0], Options{Request: v4l2.Request{FPS: 100}})
	ctx, cancel := context.WithCancel(context.Background())
	rec := &atRecorder{}
	rec.onAU = func(n int) {
		if n == 3 {
			cancel()
		}
	}
	if err := s.Run(ctx, rec); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	if len(rec.at) != 3 || !rec.at[1].After(rec.at[0]) {
		t.Fatalf("capture times %v", rec.at)
	}
}

func (r *recorder) WriteAU(track int, pts time.Duration, a [][]byte, key bool) error {
	r.mu.Lock()
	c := au{pts: pts, key: key}
	for _, n := range a {
		c.nalus = append(c.nalus, bytes.Clone(n))
	}
	r.aus = append(r.aus, c)
	n := len(r.aus)
	r.mu.Unlock()
	if r.onAU != nil {
		r.onAU(n)
	}
	return nil
}

func runFrames(t *testing.T, s *Source, n int) *recorder {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rec := &recorder{onAU: func(k int) {
		if k == n {
			cancel()
		}
	}}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, rec) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		cancel()
		t.Fatal("no frames")
	}
	return rec
}

func TestRawCameraIsSentAsMJPEGWithCaptureTimes(t *testing.T) {
	sys := v4l2test.New(v4l2test.Camera("Integrated Camera", v4l2.PixYUYV))
	devs, _ := sys.Devices()
	s, err := New(sys, devs[0], Options{Request: v4l2.Request{Width: 320, Height: 240, FPS: 50}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Mode() != EncodeMJPEG || s.Formats()[0].RTPMap() != "JPEG/90000" || s.Note() != "" {
		t.Fatalf("mode %v formats %v note %q", s.Mode(), s.Formats()[0].RTPMap(), s.Note())
	}
	rec := runFrames(t, s, 5)
	for i, a := range rec.aus {
		// The fake stamps frame n at its due time: pts counts from the first.
		if a.pts != time.Duration(i)*20*time.Millisecond || !a.key {
			t.Fatalf("frame %d: pts %v key %v", i, a.pts, a.key)
		}
	}
	img, err := jpeg.Decode(bytes.NewReader(rec.aus[0].nalus[0]))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 320 || b.Dy() != 240 {
		t.Fatalf("size %v", b)
	}
	// Y128 Cb160 Cr100 is a muted blue-green; check the channels' order.
	r, g, b, _ := img.At(160, 120).RGBA()
	if !(b>>8 > r>>8+40 && g>>8 > r>>8) {
		t.Fatalf("centre r%d g%d b%d, want bluish", r>>8, g>>8, b>>8)
	}
	if total, open := sys.Opens(); total != 1 || open != 0 {
		t.Fatalf("captures opened %d, still open %d", total, open)
	}
}

func TestH264CameraIsPassedThroughAsNALUnits(t *testing.T) {
	sys := v4l2test.New(v4l2test.Camera("Pi Camera", v4l2.PixYUYV, v4l2.PixH264))
	sys.Payload = func(f v4l2.Format, seq uint32) []byte {
		if seq%3 == 0 {
			return []byte{0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 1, 0x65, 4, 5, 6}
		}
		return []byte{0, 0, 0, 1, 0x41, 7, 8}
	}
	devs, _ := sys.Devices()
	s, err := New(sys, devs[0], Options{Request: v4l2.Request{Codec: v4l2.CodecH264, FPS: 100}})
	if err != nil || s.Mode() != PassH264 {
		t.Fatalf("%v %v", s.Mode(), err)
	}
	rec := runFrames(t, s, 4)
	if n := len(rec.aus[0].nalus); n != 3 || !bytes.Equal(rec.aus[0].nalus[2], []byte{0x65, 4, 5, 6}) {
		t.Fatalf("first AU %x", rec.aus[0].nalus)
	}
	if !rec.aus[0].key || !bytes.Equal(rec.aus[1].nalus[0], []byte{0x41, 7, 8}) {
		t.Fatalf("AUs %+v", rec.aus[:2])
	}
}

type fakeEncoder struct {
	forced int
	closed bool
	n      int
	pics   []image.Image
	nalu   [1][]byte
}

func (e *fakeEncoder) Encode(img image.Image, pts time.Duration, force bool) ([][]byte, bool, error) {
	e.n++
	e.pics = append(e.pics, img)
	if force {
		e.forced++
	}
	nal := byte(0x41)
	if e.n == 1 || force {
		nal = 0x65
	}
	e.nalu[0] = []byte{nal, byte(e.n)}
	return e.nalu[:], nal == 0x65, nil
}
func (e *fakeEncoder) Params() hwenc.VideoParams { return hwenc.VideoParams{} }
func (e *fakeEncoder) Header() [][]byte          { return nil }
func (e *fakeEncoder) Close() error              { e.closed = true; return nil }

func TestRawToH264GoesThroughTheEncoderAndForcesKeyFrames(t *testing.T) {
	sys := v4l2test.New(v4l2test.Camera("cam", v4l2.PixYUYV, v4l2.PixNV12))
	devs, _ := sys.Devices()
	enc := &fakeEncoder{}
	var got v4l2.Format
	s, err := New(sys, devs[0], Options{Request: v4l2.Request{Codec: v4l2.CodecH264, FPS: 100},
		H264: func(f v4l2.Format) (hwenc.VideoEncoder, error) { got = f; return enc, nil }})
	if err != nil || s.Mode() != EncodeH264 || s.Format().Pixel != v4l2.PixNV12 {
		t.Fatalf("%v %v %v", s.Mode(), s.Format(), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rec := &recorder{onAU: func(n int) {
		if n == 1 {
			s.RequestKeyFrame() // a reader joins after the first frame
		}
		if n == 3 {
			cancel()
		}
	}}
	if err := s.Run(ctx, rec); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if got.Pixel != v4l2.PixNV12 || got.Width != 640 || enc.forced != 1 || !enc.closed {
		t.Fatalf("encoder format %v forced %d closed %v", got, enc.forced, enc.closed)
	}
	// NV12 goes to the encoder as the capture buffer, not converted.
	if raw, ok := enc.pics[0].(*hwenc.Raw); !ok || raw.Format != hwenc.NV12 || raw.Stride != 640 || raw.Width != 640 {
		t.Fatalf("encoder got %T %+v", enc.pics[0], enc.pics[0])
	}
	if !rec.aus[0].key || !rec.aus[1].key || rec.aus[2].key || rec.aus[1].pts != 10*time.Millisecond {
		t.Fatalf("AUs %+v", rec.aus)
	}
	// Without an encoder, H.264 falls back to MJPEG and says so.
	s, _ = New(sys, devs[0], Options{Request: v4l2.Request{Codec: v4l2.CodecH264}})
	if s.Mode() != EncodeMJPEG || s.Note() == "" {
		t.Fatalf("fallback %v %q", s.Mode(), s.Note())
	}
}

func TestUnpluggedCameraEndsTheRun(t *testing.T) {
	sys := v4l2test.New(v4l2test.Camera("USB Camera", v4l2.PixMJPEG))
	devs, _ := sys.Devices()
	s, _ := New(sys, devs[0], Options{Request: v4l2.Request{FPS: 100}})
	rec := &recorder{onAU: func(n int) {
		if n == 2 {
			sys.Unplug("USB Camera")
		}
	}}
	err := s.Run(context.Background(), rec)
	if !errors.Is(err, v4l2.ErrGone) {
		t.Fatalf("Run: %v", err)
	}
	if _, open := sys.Opens(); open != 0 {
		t.Fatal("capture left open")
	}
	// Plugged back, the same source runs again.
	sys.Plug(devs[0])
	if rec := runFrames(t, s, 2); len(rec.aus) < 2 {
		t.Fatal("no frames after replug")
	}
}

// streamFixture is a real stream with one reader that drains, as a
// session would.
func streamFixture(t testing.TB, s *Source) (*stream.Stream, *stream.Reader) {
	st := stream.New(s.Formats())
	r := stream.NewReader(64)
	if err := st.AddReader(r); err != nil {
		t.Fatal(err)
	}
	return st, r
}

func drain(r *stream.Reader, pk []*stream.Packet) {
	for {
		n, _ := r.Read(pk)
		for _, p := range pk[:n] {
			p.Release()
		}
		if n < len(pk) {
			return
		}
	}
}

func newPipelineFor(t testing.TB, pix v4l2.PixelFormat, w, h int) (*pipeline, v4l2.Frame, *stream.Reader) {
	sys := v4l2test.New(v4l2.DeviceInfo{Name: "cam", Formats: []v4l2.FormatInfo{{Pixel: pix, Sizes: []v4l2.Size{{Width: w, Height: h}}}}})
	devs, _ := sys.Devices()
	s, err := New(sys, devs[0], Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, r := streamFixture(t, s)
	f := s.Format()
	p, err := s.newPipeline(f, st)
	if err != nil {
		t.Fatal(err)
	}
	data := v4l2test.FillFrame(f, 0)
	if pix == v4l2.PixMJPEG {
		data = jpegFrame(t, w, h)
	}
	return p, v4l2.Frame{Data: data, Key: true}, r
}

func jpegFrame(t testing.TB, w, h int) []byte {
	sys := v4l2test.New(v4l2test.Camera("c", v4l2.PixYUYV))
	devs, _ := sys.Devices()
	s, _ := New(sys, devs[0], Options{Request: v4l2.Request{Width: w, Height: h}})
	rec := &recorder{}
	p, err := s.newPipeline(s.Format(), rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.frame(v4l2.Frame{Data: v4l2test.FillFrame(s.Format(), 0)}); err != nil {
		t.Fatal(err)
	}
	return rec.aus[0].nalus[0]
}

func TestFrameToStreamAllocatesNothingOfItsOwn(t *testing.T) {
	for _, pix := range []v4l2.PixelFormat{v4l2.PixYUYV, v4l2.PixMJPEG} {
		p, fr, r := newPipelineFor(t, pix, 320, 240)
		pk := make([]*stream.Packet, 64)
		i := 0
		n := testing.AllocsPerRun(50, func() {
			i++
			fr.Time = time.Duration(i) * 40 * time.Millisecond
			if err := p.frame(fr); err != nil {
				t.Fatal(err)
			}
			drain(r, pk)
		})
		// image/jpeg allocates its scratch inside every Encode call
		// (bounded in hwenc/soft); everything around it must add nothing.
		var own float64
		if p.jpeg != nil {
			own = testing.AllocsPerRun(50, func() { _, _ = p.jpeg.Encode(p.out[:0], p.crop) })
		}
		if n != own {
			t.Errorf("%s: %v allocations per frame, the JPEG encoder alone makes %v", pix, n, own)
		}
	}
}

// BenchmarkFrameToRTP measures one frame from the capture buffer to its
// RTP packets in a reader's queue: conversion and pure-Go JPEG encoding
// for raw cameras, packetizing alone for MJPEG cameras. It reports the
// per-frame latency percentiles.
func BenchmarkFrameToRTP(b *testing.B) {
	for _, c := range []struct {
		name string
		pix  v4l2.PixelFormat
		w, h int
	}{
		{"YUYV-to-MJPEG-640x480", v4l2.PixYUYV, 640, 480},
		{"YUYV-to-MJPEG-1920x1080", v4l2.PixYUYV, 1920, 1080},
		{"MJPEG-passthrough-640x480", v4l2.PixMJPEG, 640, 480},
	} {
		b.Run(c.name, func(b *testing.B) {
			p, fr, r := newPipelineFor(b, c.pix, c.w, c.h)
			pk := make([]*stream.Packet, 64)
			lat := make([]time.Duration, 0, 1<<16)
			b.ReportAllocs()
			cpu0 := processCPU()
			i := 0
			for b.Loop() {
				i++
				fr.Time = time.Duration(i) * 40 * time.Millisecond
				t0 := time.Now()
				if err := p.frame(fr); err != nil {
					b.Fatal(err)
				}
				if len(lat) < cap(lat) {
					lat = append(lat, time.Since(t0))
				}
				drain(r, pk)
			}
			// CPU time, unlike ns/op, holds on a machine shared with
			// other work.
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(i)/1000, "cpu-ms/frame")
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
				b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
			}
		})
	}
}

// processCPU is the user and system CPU time the process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
