package hwenc

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"testing"
	"time"
)

// fakeBackend serves the codecs it lists, or fails with err.
type fakeBackend struct {
	name   string
	codecs []Codec
	err    error
}

func (f fakeBackend) Name() string { return f.name }

func (f fakeBackend) has(c Codec) error {
	if f.err != nil {
		return f.err
	}
	for _, x := range f.codecs {
		if x == c {
			return nil
		}
	}
	return fmt.Errorf("%s: %s: %w", f.name, c, ErrUnsupported)
}

func (f fakeBackend) NewVideoEncoder(p VideoParams) (VideoEncoder, error) {
	if err := f.has(p.Codec); err != nil {
		return nil, err
	}
	return &softMJPEG{p: p}, nil
}
func (f fakeBackend) NewVideoDecoder(c Codec) (VideoDecoder, error) {
	if err := f.has(c); err != nil {
		return nil, err
	}
	return &softJPEGDecoder{}, nil
}
func (f fakeBackend) NewAudioEncoder(p AudioParams) (AudioEncoder, error) { return nil, f.has(p.Codec) }
func (f fakeBackend) NewAudioDecoder(p AudioParams) (AudioDecoder, error) { return nil, f.has(p.Codec) }

func TestSelectorOrder(t *testing.T) {
	hw := fakeBackend{name: "m2m", codecs: []Codec{H264}}
	broken := fakeBackend{name: "m2m", err: errors.New("VIDIOC_STREAMON: device busy")}
	ff := fakeBackend{name: "ffmpeg", codecs: []Codec{H264, H265, MJPEG}}
	p := VideoParams{Codec: H264, Width: 640, Height: 480, FPS: 25}
	for _, c := range []struct {
		backends []Backend
		codec    Codec
		want     string
	}{
		{[]Backend{hw, ff, Soft{}}, H264, "m2m"},
		{[]Backend{hw, ff, Soft{}}, H265, "ffmpeg"},
		{[]Backend{broken, ff, Soft{}}, H264, "ffmpeg"}, // a failing device falls through
		{[]Backend{hw, Soft{}}, MJPEG, "soft"},
	} {
		s := Selector{Backends: c.backends}
		p.Codec = c.codec
		_, got, err := s.VideoEncoder(p)
		if err != nil || got != c.want {
			t.Errorf("%s: chose %q (%v), want %q", c.codec, got, err, c.want)
		}
	}
	s := Selector{Backends: []Backend{hw, Soft{}}}
	p.Codec = H265
	_, _, err := s.VideoEncoder(p)
	if !IsUnsupported(err) || !strings.Contains(err.Error(), "m2m") || !strings.Contains(err.Error(), "soft") {
		t.Fatalf("H265 with no backend for it: %v; want ErrUnsupported naming each backend", err)
	}
	p.Width = 641
	if _, _, err := s.VideoEncoder(p); err == nil {
		t.Fatal("odd width accepted")
	}
}

func TestSoftBackendMJPEGRoundTrip(t *testing.T) {
	s := Selector{Backends: []Backend{Soft{}}}
	e, name, err := s.VideoEncoder(VideoParams{Codec: MJPEG, Width: 64, Height: 48, FPS: 10})
	if err != nil || name != "soft" {
		t.Fatal(name, err)
	}
	img := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = 200
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	au, key, err := e.Encode(img, time.Second, false)
	if err != nil || !key || len(au) != 1 || au[0][0] != 0xff || au[0][1] != 0xd8 {
		t.Fatalf("encode: %v key %v", err, key)
	}
	d, _, err := s.VideoDecoder(MJPEG)
	if err != nil {
		t.Fatal(err)
	}
	pic, err := d.Decode(au)
	if err != nil || pic.Rect.Dx() != 64 {
		t.Fatal(err)
	}
	if y := pic.Y[10*pic.YStride+10]; y < 195 || y > 205 {
		t.Fatalf("decoded luma %d, want 200±5", y)
	}
	if _, _, err := e.Encode(image.NewRGBA(image.Rect(0, 0, 64, 48)), 0, false); !IsUnsupported(err) {
		t.Fatalf("RGBA into soft MJPEG: %v, want ErrUnsupported", err)
	}
}
