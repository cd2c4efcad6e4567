//go:build ffmpeg && cgo

package firmware

import (
	"context"
	"image"
	"testing"
	"time"

	"rtspcam/firmware/source"
	"rtspcam/hwenc"
	"rtspcam/hwenc/ffmpeg"
	"rtspcam/hwenc/soft"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/mjpeg"
)

// mjpegOnly is a live source that hands over MJPEG access units only
// (as a proxy or an MJPEG camera would): the transcoder must decode.
type mjpegOnly struct{}

func (mjpegOnly) Formats() []payload.Format                      { return []payload.Format{&mjpeg.Format{}} }
func (mjpegOnly) Run(ctx context.Context, _ source.Writer) error { <-ctx.Done(); return ctx.Err() }

// rawSource stands for the test pattern and screens (a rawRunner).
type rawSource struct{ mjpegOnly }

func (rawSource) raw() {}

type discard struct{ n int }

func (d *discard) WriteAU(int, time.Duration, [][]byte, bool) error { d.n++; return nil }

// busyPicture is a 640x480 picture with detail in every block.
func busyPicture() *image.YCbCr {
	pic := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	for y := range 480 {
		for x := range 640 {
			pic.Y[y*pic.YStride+x] = uint8(x*7 ^ y*13)
		}
	}
	for i := range pic.Cb {
		pic.Cb[i], pic.Cr[i] = uint8(i*3), uint8(i*5)
	}
	return pic
}

// BenchmarkPatternTranscode is the CPU per frame of the test pattern or a
// screen transcoded to 640x480 H.264: before, the source encoded JPEG and
// the transcoder decoded it again; now the raw picture goes straight to
// the encoder.
func BenchmarkPatternTranscode(b *testing.B) {
	sel := &hwenc.Selector{Backends: []hwenc.Backend{ffmpeg.Backend{}, hwenc.Soft{}}}
	p := hwenc.VideoParams{Codec: hwenc.H264, Width: 640, Height: 480, FPS: 25}
	src := sourceVideo{Codec: hwenc.MJPEG, Width: 640, Height: 480, FPS: 25}
	pic := busyPicture()
	b.Run("jpeg-encode-decode-encode", func(b *testing.B) {
		tr, err := newTranscoder(mjpegOnly{}, 0, sel, src, p)
		if err != nil {
			b.Fatal(err)
		}
		defer tr.close()
		tr.w = &discard{}
		jenc, err := soft.NewMJPEGEncoder(640, 480, 75)
		if err != nil {
			b.Fatal(err)
		}
		var buf []byte
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if buf, err = jenc.Encode(buf[:0], pic); err != nil {
				b.Fatal(err)
			}
			if err := tr.WriteAU(0, time.Duration(i)*40*time.Millisecond, [][]byte{buf}, true); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("raw-encode", func(b *testing.B) {
		tr, err := newTranscoder(rawSource{}, 0, sel, src, p)
		if err != nil {
			b.Fatal(err)
		}
		defer tr.close()
		tr.w = &discard{}
		if tr.dec != nil {
			b.Fatal("a raw source got a decoder")
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := tr.WriteFrame(0, time.Duration(i)*40*time.Millisecond, pic); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// A raw picture reaches the encoder without a decoder and allocates
// nothing per frame.
func TestTranscoderRawFrames(t *testing.T) {
	sel := &hwenc.Selector{Backends: []hwenc.Backend{ffmpeg.Backend{}, hwenc.Soft{}}}
	tr, err := newTranscoder(rawSource{}, 0, sel, sourceVideo{Codec: hwenc.MJPEG, Width: 640, Height: 480, FPS: 25},
		hwenc.VideoParams{Codec: hwenc.H264, Width: 320, Height: 240, FPS: 25})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.close()
	d := &discard{}
	tr.w = d
	pic := busyPicture()
	i := 0
	step := func() {
		if err := tr.WriteFrame(0, time.Duration(i)*40*time.Millisecond, pic); err != nil {
			t.Fatal(err)
		}
		i++
	}
	for range 10 {
		step()
	}
	if n := testing.AllocsPerRun(50, step); n != 0 {
		t.Errorf("%.1f allocations per frame", n)
	}
	if tr.dec != nil || d.n != 61 { // AllocsPerRun runs once more to warm up
		t.Errorf("decoder %v, %d frames encoded of 61", tr.dec, d.n)
	}
}
