package camera

import (
	"context"
	"runtime"
	"testing"
	"time"

	"rtspcam/drivers/v4l2"
	"rtspcam/drivers/v4l2/v4l2test"
	"rtspcam/rtsp/stream"
)

// BenchmarkLivePathMemory reports the Go heap one running camera path
// holds (the pipeline's picture and JPEG buffers, the stream and one
// reader's queue), raw YUYV to pure-Go MJPEG. The fake device's frame
// buffer is counted too; a real device's capture buffers are kernel
// memory mapped in, not Go heap.
func BenchmarkLivePathMemory(b *testing.B) {
	for _, c := range []struct {
		name string
		w, h int
	}{{"640x480", 640, 480}, {"1920x1080", 1920, 1080}} {
		b.Run(c.name, func(b *testing.B) {
			var held uint64
			for b.Loop() {
				held = measureLivePath(b, c.w, c.h)
			}
			b.ReportMetric(float64(held)/1024, "KiB-held")
		})
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func measureLivePath(b *testing.B, w, h int) uint64 {
	sys := v4l2test.New(v4l2.DeviceInfo{Name: "cam", Formats: []v4l2.FormatInfo{{Pixel: v4l2.PixYUYV, Sizes: []v4l2.Size{{Width: w, Height: h}}}}})
	devs, _ := sys.Devices()
	before := heapInUse()
	s, err := New(sys, devs[0], Options{Request: v4l2.Request{FPS: 50}})
	if err != nil {
		b.Fatal(err)
	}
	st := stream.New(s.Formats())
	r := stream.NewReader(256)
	if err := st.AddReader(r); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, st) }()
	pk := make([]*stream.Packet, 64)
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) {
		drain(r, pk)
		time.Sleep(5 * time.Millisecond)
	}
	held := heapInUse() - before
	cancel()
	<-done
	st.Close()
	r.Close()
	return held
}
