package x11

import (
	"image"
	"image/color"
	"testing"
)

func bgrxFrame(w, h int, at func(x, y int) color.RGBA) []byte {
	src := make([]byte, 4*w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := at(x, y)
			o := 4 * (y*w + x)
			src[o], src[o+1], src[o+2], src[o+3] = c.B, c.G, c.R, 0xee
		}
	}
	return src
}

func TestConvertBGRXMatchesStandardLibrary(t *testing.T) {
	colors := []color.RGBA{{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {255, 255, 255, 255}, {0, 0, 0, 255}, {12, 200, 77, 255}}
	for _, c := range colors {
		src := bgrxFrame(8, 6, func(int, int) color.RGBA { return c })
		dst := image.NewYCbCr(image.Rect(0, 0, 8, 6), image.YCbCrSubsampleRatio420)
		if err := ConvertBGRX(dst, src, 32); err != nil {
			t.Fatal(err)
		}
		y, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
		for i, v := range dst.Y {
			if v != y {
				t.Fatalf("%v: Y[%d] = %d, want %d", c, i, v, y)
			}
		}
		for i := range dst.Cb {
			if absDiff(dst.Cb[i], cb) > 1 || absDiff(dst.Cr[i], cr) > 1 {
				t.Fatalf("%v: chroma %d,%d, want %d,%d", c, dst.Cb[i], dst.Cr[i], cb, cr)
			}
		}
	}
}

func TestConvertBGRXAveragesChromaAndCrops(t *testing.T) {
	// Left half red, right half blue, on a 6-wide source with a padded
	// stride; the picture takes the left 4x2.
	const stride = 6*4 + 8
	src := make([]byte, stride*2)
	for y := 0; y < 2; y++ {
		for x := 0; x < 6; x++ {
			o := y*stride + 4*x
			if x < 2 {
				src[o+2] = 255
			} else {
				src[o] = 255
			}
		}
	}
	dst := image.NewYCbCr(image.Rect(0, 0, 4, 2), image.YCbCrSubsampleRatio420)
	if err := ConvertBGRX(dst, src, stride); err != nil {
		t.Fatal(err)
	}
	_, _, rcr := color.RGBToYCbCr(255, 0, 0)
	_, bcb, _ := color.RGBToYCbCr(0, 0, 255)
	if absDiff(dst.Cr[0], rcr) > 1 || absDiff(dst.Cb[1], bcb) > 1 {
		t.Fatalf("chroma %v %v: want red then blue blocks", dst.Cb[:2], dst.Cr[:2])
	}
}

func TestConvertBGRXRejectsBadInput(t *testing.T) {
	dst := image.NewYCbCr(image.Rect(0, 0, 4, 4), image.YCbCrSubsampleRatio420)
	if err := ConvertBGRX(dst, make([]byte, 4*4*4-1), 16); err == nil {
		t.Error("short source accepted")
	}
	odd := image.NewYCbCr(image.Rect(0, 0, 3, 4), image.YCbCrSubsampleRatio420)
	if err := ConvertBGRX(odd, make([]byte, 64), 12); err == nil {
		t.Error("odd width accepted")
	}
	s444 := image.NewYCbCr(image.Rect(0, 0, 4, 4), image.YCbCrSubsampleRatio444)
	if err := ConvertBGRX(s444, make([]byte, 64), 16); err == nil {
		t.Error("4:4:4 picture accepted")
	}
}

func TestConvertBGRXAllocatesNothing(t *testing.T) {
	src := bgrxFrame(640, 480, func(x, y int) color.RGBA { return color.RGBA{uint8(x), uint8(y), uint8(x + y), 255} })
	dst := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	ConvertBGRX(dst, src, 640*4) // warm-up
	if n := testing.AllocsPerRun(20, func() {
		if err := ConvertBGRX(dst, src, 640*4); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations per frame, want 0", n)
	}
}

func BenchmarkConvertBGRX640x480(b *testing.B)   { benchConvert(b, 640, 480) }
func BenchmarkConvertBGRX1920x1080(b *testing.B) { benchConvert(b, 1920, 1080) }

func benchConvert(b *testing.B, w, h int) {
	src := bgrxFrame(w, h, func(x, y int) color.RGBA { return color.RGBA{uint8(x), uint8(y), uint8(x ^ y), 255} })
	dst := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		ConvertBGRX(dst, src, 4*w)
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func TestMatchWindow(t *testing.T) {
	ws := []Window{{ID: 1, Title: "Terminal - probe-window log"}, {ID: 2, Title: "Probe-Window"}, {ID: 3, Title: "xclock"}}
	cases := []struct {
		title string
		id    uint32
	}{{"probe-window", 2}, {"PROBE-WINDOW", 2}, {"clock", 3}, {"terminal", 1}, {"log", 1}}
	for _, c := range cases {
		w, err := MatchWindow(ws, c.title)
		if err != nil || w.ID != c.id {
			t.Errorf("%q: got %d %v, want %d", c.title, w.ID, err, c.id)
		}
	}
	for _, miss := range []string{"", "firefox"} {
		if _, err := MatchWindow(ws, miss); err == nil {
			t.Errorf("%q matched", miss)
		}
	}
}
