package hwenc

import (
	"fmt"
	"image"
	"testing"
	"time"
)

// BenchmarkSoftMJPEGEncode is CPU per frame of the pure-Go encoder of
// last resort, to set beside hwenc/ffmpeg's BenchmarkVideoEncode.
func BenchmarkSoftMJPEGEncode(b *testing.B) {
	for _, size := range []image.Point{{640, 480}, {1920, 1080}} {
		b.Run(fmt.Sprintf("%dx%d", size.X, size.Y), func(b *testing.B) {
			e, err := Soft{}.NewVideoEncoder(VideoParams{Codec: MJPEG, Width: size.X, Height: size.Y, FPS: 25})
			if err != nil {
				b.Fatal(err)
			}
			img := image.NewYCbCr(image.Rect(0, 0, size.X, size.Y), image.YCbCrSubsampleRatio420)
			for i := range img.Y {
				img.Y[i] = uint8(i*7 + i/size.X*3)
			}
			for i := range img.Cb {
				img.Cb[i], img.Cr[i] = uint8(i), uint8(255-i)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, _, err := e.Encode(img, time.Duration(i)*40*time.Millisecond, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
