//go:build ffmpeg && cgo

package ffmpeg

import (
	"fmt"
	"image"
	"testing"
	"time"

	"rtspcam/hwenc"
)

// BenchmarkVideoEncode is CPU per frame of a moving picture; ns/op is one
// frame.
func BenchmarkVideoEncode(b *testing.B) {
	for _, size := range []image.Point{{640, 480}, {1920, 1080}} {
		for _, codec := range []hwenc.Codec{hwenc.H264, hwenc.H265, hwenc.MJPEG, hwenc.MPEG4} {
			b.Run(fmt.Sprintf("%s/%dx%d", codec, size.X, size.Y), func(b *testing.B) {
				e, err := NewVideoEncoder(hwenc.VideoParams{Codec: codec, Width: size.X, Height: size.Y, FPS: 25, Bitrate: 2000})
				if err != nil {
					b.Fatal(err)
				}
				defer e.Close()
				pics := make([]*image.YCbCr, 8)
				for i := range pics {
					pics[i] = image.NewYCbCr(image.Rect(0, 0, size.X, size.Y), image.YCbCrSubsampleRatio420)
					movingPicture(pics[i], i)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					if _, _, err := e.Encode(pics[i%len(pics)], time.Duration(i)*40*time.Millisecond, false); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkAudioEncode is one second of 48 kHz stereo per op.
func BenchmarkAudioEncode(b *testing.B) {
	for _, codec := range []hwenc.Codec{hwenc.AAC, hwenc.Opus} {
		b.Run(string(codec), func(b *testing.B) {
			e, err := NewAudioEncoder(hwenc.AudioParams{Codec: codec, SampleRate: 48000, Channels: 2})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			pcm := tone(48000, 2, 1)
			b.ReportAllocs()
			for b.Loop() {
				for i := 0; i < len(pcm); i += 1920 {
					if _, err := e.Encode(pcm[i : i+1920]); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkAudioDecode is one second of 48 kHz stereo per op.
func BenchmarkAudioDecode(b *testing.B) {
	for _, codec := range []hwenc.Codec{hwenc.AAC, hwenc.Opus} {
		b.Run(string(codec), func(b *testing.B) {
			e, err := NewAudioEncoder(hwenc.AudioParams{Codec: codec, SampleRate: 48000, Channels: 2})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			var pkts [][]byte
			pcm := tone(48000, 2, 1)
			for i := 0; i < len(pcm); i += 1920 {
				out, _ := e.Encode(pcm[i : i+1920])
				for _, p := range out {
					pkts = append(pkts, append([]byte(nil), p...))
				}
			}
			d, err := NewAudioDecoder(hwenc.AudioParams{Codec: codec, SampleRate: 48000, Channels: 2, Config: e.Config()})
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			b.ReportAllocs()
			for b.Loop() {
				for _, p := range pkts {
					if _, err := d.Decode(p); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
