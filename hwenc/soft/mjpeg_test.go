package soft

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"os/exec"
	"strings"
	"testing"
)

// gradient fills a 4:2:0 picture with a smooth pattern that JPEG keeps well.
func gradient(w, h int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Y[y*img.YStride+x] = uint8((x + y) * 255 / (w + h))
		}
	}
	for y := 0; y < h/2; y++ {
		for x := 0; x < w/2; x++ {
			img.Cb[y*img.CStride+x] = uint8(x * 255 / (w / 2))
			img.Cr[y*img.CStride+x] = uint8(y * 255 / (h / 2))
		}
	}
	return img
}

// sof0 finds the baseline start-of-frame segment and returns its body.
func sof0(t *testing.T, b []byte) []byte {
	t.Helper()
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xff {
			t.Fatalf("no marker at %d", i)
		}
		m := b[i+1]
		n := int(b[i+2])<<8 | int(b[i+3])
		if m == 0xc0 {
			return b[i+4 : i+2+n]
		}
		if m == 0xc1 || m == 0xc2 {
			t.Fatalf("not baseline: marker %#x", m)
		}
		i += 2 + n
	}
	t.Fatal("no SOF0")
	return nil
}

func TestMJPEGEncodeDecodes(t *testing.T) {
	enc, err := NewMJPEGEncoder(640, 480, 75)
	if err != nil {
		t.Fatal(err)
	}
	src := gradient(640, 480)
	out, err := enc.Encode(nil, src)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, []byte{0xff, 0xd8}) || !bytes.HasSuffix(out, []byte{0xff, 0xd9}) {
		t.Fatal("not SOI … EOI")
	}
	// SOF0: precision 8, height, width, 3 components: Y 2x2, Cb 1x1, Cr 1x1.
	sof := sof0(t, out)
	if sof[0] != 8 || int(sof[1])<<8|int(sof[2]) != 480 || int(sof[3])<<8|int(sof[4]) != 640 || sof[5] != 3 {
		t.Fatalf("SOF0 % x", sof)
	}
	if sof[7] != 0x22 || sof[10] != 0x11 || sof[13] != 0x11 {
		t.Fatalf("sampling not 4:2:0: % x", sof)
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 640 || img.Bounds().Dy() != 480 {
		t.Fatalf("decoded %v", img.Bounds())
	}
	got := img.(*image.YCbCr)
	if d := int(got.Y[240*got.YStride+320]) - int(src.Y[240*src.YStride+320]); d < -4 || d > 4 {
		t.Fatalf("luma off by %d", d)
	}

	// Encode appends: a second frame after the first in one slice.
	two, err := enc.Encode(out, src)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(two[:len(out)], out) || !bytes.Equal(two[len(out):], out) {
		t.Fatal("Encode does not append")
	}

	// FFmpeg decodes it too.
	cmd := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height,pix_fmt",
		"-of", "compact", "-f", "jpeg_pipe", "-i", "-")
	cmd.Stdin = bytes.NewReader(out)
	res, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v: %s", err, res)
	}
	if s := string(res); !strings.Contains(s, "codec_name=mjpeg") || !strings.Contains(s, "width=640") ||
		!strings.Contains(s, "height=480") || !strings.Contains(s, "yuvj420p") {
		t.Fatalf("ffprobe: %s", s)
	}
}

func TestMJPEGEncoderRejects(t *testing.T) {
	for _, c := range []struct{ w, h, q int }{{0, 480, 75}, {641, 480, 75}, {640, 481, 75}, {2042, 480, 75}, {640, 480, 101}, {640, 480, -1}} {
		if _, err := NewMJPEGEncoder(c.w, c.h, c.q); err == nil {
			t.Errorf("NewMJPEGEncoder(%d, %d, %d) accepted", c.w, c.h, c.q)
		}
	}
	enc, err := NewMJPEGEncoder(320, 240, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enc.Encode(nil, gradient(640, 480)); !errors.Is(err, ErrFrameSize) {
		t.Fatalf("wrong size: %v", err)
	}
	if _, err := enc.Encode(nil, nil); err == nil {
		t.Fatal("nil image accepted")
	}
}

// TestMJPEGAllocs bounds image/jpeg's own per-call garbage: the encoder's
// state (quantization and Huffman scratch) is allocated inside jpeg.Encode
// on every call and cannot be kept; ours adds nothing once dst and the
// buffer have grown.
func TestMJPEGAllocs(t *testing.T) {
	enc, err := NewMJPEGEncoder(640, 480, 75)
	if err != nil {
		t.Fatal(err)
	}
	src := gradient(640, 480)
	dst, _ := enc.Encode(nil, src)
	allocs := testing.AllocsPerRun(20, func() {
		dst, _ = enc.Encode(dst[:0], src)
	})
	t.Logf("allocs per 640x480 frame: %v", allocs)
	if allocs > 8 {
		t.Fatalf("allocs per frame = %v, want ≤ 8", allocs)
	}
}

func BenchmarkMJPEGEncode640x480(b *testing.B) {
	enc, err := NewMJPEGEncoder(640, 480, 75)
	if err != nil {
		b.Fatal(err)
	}
	src := gradient(640, 480)
	dst, _ := enc.Encode(nil, src)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		dst, _ = enc.Encode(dst[:0], src)
	}
	b.SetBytes(int64(len(dst)))
}
