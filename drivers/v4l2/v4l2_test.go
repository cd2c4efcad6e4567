package v4l2_test

import (
	"bytes"
	"errors"
	"image"
	"strings"
	"testing"

	"rtspcam/drivers/v4l2"
	"rtspcam/drivers/v4l2/v4l2test"
)

func TestFourCC(t *testing.T) {
	if v4l2.PixYUYV != 0x56595559 || v4l2.PixYUYV.String() != "YUYV" || v4l2.PixelFormat(1).String() != "0x00000001" {
		t.Fatalf("YUYV %#x %q %q", uint32(v4l2.PixYUYV), v4l2.PixYUYV, v4l2.PixelFormat(1))
	}
	if !v4l2.PixH264.Compressed() || v4l2.PixNV12.Compressed() {
		t.Fatal("Compressed")
	}
}

func TestSelect(t *testing.T) {
	devs, _ := v4l2test.New(v4l2test.Camera("Integrated Camera", v4l2.PixYUYV), v4l2test.Camera("USB 2.0 Camera: HD", v4l2.PixMJPEG)).Devices()
	for _, c := range []struct{ arg, want string }{
		{"", "Integrated Camera"}, {"0", "Integrated Camera"}, {"1", "USB 2.0 Camera: HD"},
		{"usb 2.0 camera: hd", "USB 2.0 Camera: HD"}, {"USB", "USB 2.0 Camera: HD"}, {"integrated camera", "Integrated Camera"},
	} {
		d, err := v4l2.Select(devs, c.arg)
		if err != nil || d.Name != c.want {
			t.Errorf("Select(%q) = %q, %v; want %q", c.arg, d.Name, err, c.want)
		}
	}
	for _, arg := range []string{"2", "-1", "Logitech"} {
		_, err := v4l2.Select(devs, arg)
		if !errors.Is(err, v4l2.ErrNoDevice) || !strings.Contains(err.Error(), `videodevice1 "USB 2.0 Camera: HD" (/dev/video2)`) {
			t.Errorf("Select(%q): %v", arg, err)
		}
	}
	if _, err := v4l2.Select(nil, ""); !errors.Is(err, v4l2.ErrNoDevice) {
		t.Errorf("no devices: %v", err)
	}
}

func TestNegotiate(t *testing.T) {
	sizes := []v4l2.Size{{320, 240}, {640, 480}, {1280, 720}, {1920, 1080}, {3840, 2160}}
	fi := func(p ...v4l2.PixelFormat) []v4l2.FormatInfo {
		var out []v4l2.FormatInfo
		for _, x := range p {
			out = append(out, v4l2.FormatInfo{Pixel: x, Sizes: sizes})
		}
		return out
	}
	for _, c := range []struct {
		name  string
		offer []v4l2.FormatInfo
		req   v4l2.Request
		want  v4l2.Format
	}{
		{"h264 passthrough", fi(v4l2.PixYUYV, v4l2.PixMJPEG, v4l2.PixH264), v4l2.Request{Codec: v4l2.CodecH264, Width: 1280, Height: 720}, v4l2.Format{Pixel: v4l2.PixH264, Width: 1280, Height: 720}},
		{"mjpeg passthrough", fi(v4l2.PixYUYV, v4l2.PixMJPEG, v4l2.PixH264), v4l2.Request{Codec: v4l2.CodecMJPEG, Width: 640, Height: 480, FPS: 15}, v4l2.Format{Pixel: v4l2.PixMJPEG, Width: 640, Height: 480, FPS: 15}},
		{"any prefers coded", fi(v4l2.PixYUYV, v4l2.PixMJPEG), v4l2.Request{}, v4l2.Format{Pixel: v4l2.PixMJPEG, Width: 1920, Height: 1080}},
		{"h264 from raw, planar first", fi(v4l2.PixYUYV, v4l2.PixNV12, v4l2.PixMJPEG), v4l2.Request{Codec: v4l2.CodecH264, Width: 800, Height: 600}, v4l2.Format{Pixel: v4l2.PixNV12, Width: 1280, Height: 720}},
		{"mjpeg from yuyv", fi(v4l2.PixYUYV), v4l2.Request{Codec: v4l2.CodecMJPEG, Width: 5000}, v4l2.Format{Pixel: v4l2.PixYUYV, Width: 3840, Height: 2160}},
		{"only h264 for mjpeg", fi(v4l2.PixH264), v4l2.Request{Codec: v4l2.CodecMJPEG, Height: 240}, v4l2.Format{Pixel: v4l2.PixH264, Width: 320, Height: 240}},
	} {
		got, err := v4l2.Negotiate(c.offer, c.req)
		if err != nil || got != c.want {
			t.Errorf("%s: %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	if _, err := v4l2.Negotiate([]v4l2.FormatInfo{{Pixel: v4l2.FourCC("GREY"), Sizes: sizes}}, v4l2.Request{}); !errors.Is(err, v4l2.ErrNoFormat) || !strings.Contains(err.Error(), "GREY") {
		t.Errorf("grey only: %v", err)
	}
}

func TestToYCbCrEveryLayout(t *testing.T) {
	for _, p := range []v4l2.PixelFormat{v4l2.PixYUYV, v4l2.PixUYVY, v4l2.PixNV12, v4l2.PixYU12, v4l2.PixYV12} {
		f := v4l2.Format{Pixel: p, Width: 64, Height: 48}
		data := v4l2test.FillFrame(f, 0)
		pic := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
		if err := v4l2.ToYCbCr(pic, f, data); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		c := pic.YCbCrAt(33, 17)
		if c.Y != 128 || c.Cb != 160 || c.Cr != 100 {
			t.Errorf("%s: pixel %v, want Y128 Cb160 Cr100", p, c)
		}
		if err := v4l2.ToYCbCr(pic, f, data[:len(data)-1]); !errors.Is(err, v4l2.ErrShortFrame) {
			t.Errorf("%s short: %v", p, err)
		}
	}
}

func TestToYCbCrAveragesYUYVChromaOfTwoLines(t *testing.T) {
	f := v4l2.Format{Pixel: v4l2.PixYUYV, Width: 2, Height: 2, Stride: 8} // padded lines
	data := []byte{10, 100, 20, 200, 0, 0, 0, 0, 30, 110, 40, 211, 0, 0, 0, 0}
	pic := image.NewYCbCr(image.Rect(0, 0, 2, 2), image.YCbCrSubsampleRatio420)
	if err := v4l2.ToYCbCr(pic, f, data); err != nil {
		t.Fatal(err)
	}
	if string(pic.Y) != string([]byte{10, 20, 30, 40}) || pic.Cb[0] != 105 || pic.Cr[0] != 206 {
		t.Fatalf("Y %v Cb %v Cr %v", pic.Y, pic.Cb, pic.Cr)
	}
}

func TestToYCbCrAllocatesNothing(t *testing.T) {
	f := v4l2.Format{Pixel: v4l2.PixYUYV, Width: 640, Height: 480}
	data := v4l2test.FillFrame(f, 0)
	pic := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	if n := testing.AllocsPerRun(20, func() { _ = v4l2.ToYCbCr(pic, f, data) }); n != 0 {
		t.Fatalf("%v allocations per frame", n)
	}
}

func BenchmarkToYCbCr(b *testing.B) {
	for _, p := range []v4l2.PixelFormat{v4l2.PixYUYV, v4l2.PixNV12} {
		b.Run(p.String()+"-1920x1080", func(b *testing.B) {
			f := v4l2.Format{Pixel: p, Width: 1920, Height: 1080}
			data := v4l2test.FillFrame(f, 0)
			pic := image.NewYCbCr(image.Rect(0, 0, 1920, 1080), image.YCbCrSubsampleRatio420)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				_ = v4l2.ToYCbCr(pic, f, data)
			}
		})
	}
}

func FuzzToYCbCr(f *testing.F) {
	f.Add(uint32(v4l2.PixYUYV), 4, 2, 0, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add(uint32(v4l2.PixNV12), 4, 2, 6, make([]byte, 18))
	f.Add(uint32(v4l2.PixYU12), 2, 2, 0, make([]byte, 6))
	f.Add(uint32(v4l2.PixYV12), 2, 4, 3, make([]byte, 15))
	f.Add(uint32(v4l2.PixUYVY), 2, 2, 1, make([]byte, 3))
	f.Fuzz(func(t *testing.T, pix uint32, w, h, stride int, data []byte) {
		if w < 0 || h < 0 || w > 64 || h > 64 || stride < -1 || stride > 512 {
			return
		}
		fm := v4l2.Format{Pixel: v4l2.PixelFormat(pix), Width: w, Height: h, Stride: stride}
		pic := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		_ = v4l2.ToYCbCr(pic, fm, data) // must not panic
	})
}

func FuzzSplitAnnexB(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0x67, 1, 0, 0, 1, 0x68, 2, 0, 0, 1, 0x65, 3})
	f.Add([]byte{9, 9, 0, 0, 1, 0x41, 0, 0, 0})
	f.Add([]byte{0, 0, 1, 0, 0, 1})
	f.Add([]byte{0, 0, 0, 0, 0, 1, 0x65})
	f.Fuzz(func(t *testing.T, b []byte) {
		nalus := v4l2.SplitAnnexB(nil, b)
		if len(nalus) > v4l2.MaxNALUs {
			t.Fatalf("%d units", len(nalus))
		}
		total := 0
		for _, n := range nalus {
			if len(n) == 0 {
				t.Fatal("empty unit")
			}
			total += len(n)
		}
		if total > len(b) {
			t.Fatalf("units hold %d bytes of %d", total, len(b))
		}
	})
}

func TestSplitAnnexB(t *testing.T) {
	got := v4l2.SplitAnnexB(nil, []byte{7, 0, 0, 0, 1, 0x67, 1, 0, 0, 1, 0x68, 0, 0, 0, 1, 0x65, 3, 0, 0})
	if len(got) != 3 || !bytes.Equal(got[0], []byte{0x67, 1}) || !bytes.Equal(got[1], []byte{0x68}) || !bytes.Equal(got[2], []byte{0x65, 3}) {
		t.Fatalf("%x", got)
	}
	if !v4l2.HasIDR(got) || v4l2.HasIDR(got[:2]) {
		t.Fatal("hasIDR")
	}
}
