package mjpeg

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// goJPEG encodes a w×h test picture (varying with seed) with Go's
// image/jpeg: baseline, 4:2:0, annex K Huffman tables.
func goJPEG(t testing.TB, w, h, seed, quality int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x*3 + seed*20), uint8(y*2 + seed*7), uint8((x ^ y) + seed), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// splitJPEGs cuts a stream of concatenated JPEG files (FFmpeg's -f mjpeg)
// into files, walking the segments so table bytes are never taken for EOI.
func splitJPEGs(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 || b[0] != 0xff || b[1] != 0xd8 {
			t.Fatalf("no SOI at a frame start")
		}
		pos := 2
		for {
			m := b[pos+1]
			l := int(b[pos+2])<<8 | int(b[pos+3])
			pos += 2 + l
			if m == 0xda {
				break
			}
		}
		end := bytes.Index(b[pos:], []byte{0xff, 0xd9})
		if end < 0 {
			t.Fatal("no EOI")
		}
		out = append(out, b[:pos+end+2])
		b = b[pos+end+2:]
	}
	return out
}

// gstJPEG422 encodes one 4:2:2 picture with GStreamer's jpegenc (libjpeg),
// which samples luma 2x1 as V4L2 cameras do.
func gstJPEG422(t *testing.T, pattern string) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.jpg")
	cmd := exec.Command("gst-launch-1.0", "-q", "videotestsrc", "num-buffers=1", "pattern="+pattern, "!",
		"video/x-raw,format=Y42B,width=320,height=240", "!", "jpegenc", "!", "filesink", "location="+path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gst-launch-1.0: %v\n%s", err, out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decode decodes a JPEG file with image/jpeg.
func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("image/jpeg: %v", err)
	}
	return img
}

// samePixels compares two decoded pictures over the first one's bounds
// (the rebuilt file may be larger: RFC 2435 sizes are multiples of 8).
func samePixels(t *testing.T, want, got image.Image) {
	t.Helper()
	r := want.Bounds()
	if !r.In(got.Bounds()) {
		t.Fatalf("rebuilt picture %v does not cover %v", got.Bounds(), r)
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if want.At(x, y) != got.At(x, y) {
				t.Fatalf("pixel (%d,%d): %v, want %v", x, y, got.At(x, y), want.At(x, y))
			}
		}
	}
}
