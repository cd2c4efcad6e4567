//go:build ffmpeg && cgo

package ffmpeg

import (
	"image"
	"runtime"
	"testing"
	"time"

	"rtspcam/hwenc"
)

// Steady state allocates nothing: frames, packets and the output buffers
// are reused.
func TestEncodeDecodeAllocateNothing(t *testing.T) {
	for _, codec := range []hwenc.Codec{hwenc.H264, hwenc.H265, hwenc.MJPEG, hwenc.MPEG4} {
		t.Run(string(codec), func(t *testing.T) {
			e, err := NewVideoEncoder(hwenc.VideoParams{Codec: codec, Width: 160, Height: 120, FPS: 25, GOP: 5})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			d, err := NewVideoDecoder(codec)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			img := image.NewYCbCr(image.Rect(0, 0, 160, 120), image.YCbCrSubsampleRatio420)
			var n int
			step := func() {
				movingPicture(img, n)
				au, _, err := e.Encode(img, time.Duration(n)*40*time.Millisecond, n%7 == 0)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := d.Decode(au); err != nil {
					t.Fatal(err)
				}
				n++
			}
			for range 20 {
				step() // warm up: buffers reach their size
			}
			if a := testing.AllocsPerRun(50, step); a != 0 {
				t.Fatalf("%s encode+decode: %.1f allocations per frame, want 0", codec, a)
			}
		})
	}
	for _, codec := range []hwenc.Codec{hwenc.AAC, hwenc.Opus} {
		t.Run(string(codec), func(t *testing.T) {
			e, err := NewAudioEncoder(hwenc.AudioParams{Codec: codec, SampleRate: 48000, Channels: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			d, err := NewAudioDecoder(hwenc.AudioParams{Codec: codec, SampleRate: 48000, Channels: 2, Config: e.Config()})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			pcm := tone(48000, 2, 0.02) // one 20 ms capture period
			step := func() {
				pkts, err := e.Encode(pcm)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range pkts {
					if _, err := d.Decode(p); err != nil {
						t.Fatal(err)
					}
				}
			}
			for range 20 {
				step()
			}
			if a := testing.AllocsPerRun(100, step); a != 0 {
				t.Fatalf("%s encode+decode: %.1f allocations per 20 ms, want 0", codec, a)
			}
		})
	}
}

// Opening, using and closing codecs many times leaks no C memory: the
// bytes the C heap has out (mallinfo2: exact, unlike RSS) grow by less
// than 20 KiB a round, where leaking one 320x240 frame would add 115 KiB
// and an encoder context far more. The allowance is libx265 3.5's own:
// valgrind on a plain C program shows it loses about 12 KiB per encoder
// opened (lookahead tasks), which nothing outside it can free.
func TestNoLeakAcrossOpenClose(t *testing.T) {
	img := image.NewYCbCr(image.Rect(0, 0, 320, 240), image.YCbCrSubsampleRatio420)
	movingPicture(img, 1)
	pcm := tone(48000, 2, 0.1)
	round := func() {
		for _, codec := range []hwenc.Codec{hwenc.H264, hwenc.H265, hwenc.MJPEG, hwenc.MPEG4} {
			e, err := NewVideoEncoder(hwenc.VideoParams{Codec: codec, Width: 320, Height: 240, FPS: 25})
			if err != nil {
				t.Fatal(err)
			}
			d, err := NewVideoDecoder(codec)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				au, _, err := e.Encode(img, time.Duration(i)*40*time.Millisecond, false)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := d.Decode(au); err != nil {
					t.Fatal(err)
				}
			}
			e.Close()
			d.Close()
		}
		for _, codec := range []hwenc.Codec{hwenc.AAC, hwenc.Opus} {
			e, err := NewAudioEncoder(hwenc.AudioParams{Codec: codec, SampleRate: 48000, Channels: 2})
			if err != nil {
				t.Fatal(err)
			}
			d, err := NewAudioDecoder(hwenc.AudioParams{Codec: codec, Channels: 2, SampleRate: 48000, Config: e.Config()})
			if err != nil {
				t.Fatal(err)
			}
			pkts, err := e.Encode(pcm)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pkts {
				d.Decode(p)
			}
			e.Close()
			d.Close()
		}
	}
	// One OS thread, so glibc's per-thread caches do not blur the count.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for range 5 {
		round()
	}
	runtime.GC()
	before := cHeapInUse()
	const rounds = 30
	for range rounds {
		round()
	}
	runtime.GC()
	after := cHeapInUse()
	t.Logf("C heap in use: %d → %d bytes over %d open/use/close rounds", before, after, rounds)
	if after-before > rounds*20<<10 {
		t.Fatalf("C heap grew by %d bytes over %d rounds: C objects leak", after-before, rounds)
	}
}
