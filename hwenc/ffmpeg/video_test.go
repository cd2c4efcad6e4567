//go:build ffmpeg && cgo

package ffmpeg

import (
	"bytes"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rtspcam/hwenc"
)

// encodeClip encodes n frames of the moving picture and returns the
// elementary stream as a file ffmpeg reads (Annex-B, MPEG-4 ES, or
// concatenated JPEG), the source pictures and the access units.
func encodeClip(t *testing.T, p hwenc.VideoParams, n int) ([]byte, []*image.YCbCr, [][][]byte) {
	t.Helper()
	e, err := NewVideoEncoder(p)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var stream bytes.Buffer
	var pics []*image.YCbCr
	var aus [][][]byte
	for i := 0; i < n; i++ {
		img := image.NewYCbCr(image.Rect(0, 0, p.Width, p.Height), image.YCbCrSubsampleRatio420)
		movingPicture(img, i)
		au, key, err := e.Encode(img, time.Duration(i)*time.Second/time.Duration(p.FPS), false)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if len(au) == 0 {
			t.Fatalf("frame %d: no output: the encoder must not delay frames", i)
		}
		if i == 0 && !key {
			t.Fatal("first frame is not a key frame")
		}
		cp := make([][]byte, len(au))
		for j, s := range au {
			cp[j] = bytes.Clone(s)
		}
		aus = append(aus, cp)
		pics = append(pics, img)
		switch p.Codec {
		case hwenc.H264, hwenc.H265:
			stream.Write(appendAnnexB(nil, au))
		default:
			stream.Write(au[0])
		}
	}
	return stream.Bytes(), pics, aus
}

func TestVideoEncodersDecodeInFFmpeg(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		codec  hwenc.Codec
		format string // ffmpeg demuxer
		name   string // ffprobe codec_name
	}{
		{hwenc.H264, "h264", "h264"},
		{hwenc.H265, "hevc", "hevc"},
		{hwenc.MPEG4, "m4v", "mpeg4"},
		{hwenc.MJPEG, "mjpeg", "mjpeg"},
	} {
		t.Run(string(c.codec), func(t *testing.T) {
			t.Parallel()
			p := hwenc.VideoParams{Codec: c.codec, Width: 320, Height: 240, FPS: 25, Bitrate: 800, GOP: 10}
			es, pics, aus := encodeClip(t, p, 30)
			f := filepath.Join(t.TempDir(), "clip")
			if err := os.WriteFile(f, es, 0o644); err != nil {
				t.Fatal(err)
			}
			// ffmpeg decodes every frame and reports nothing on stderr.
			run(t, "ffmpeg", "-v", "error", "-f", c.format, "-i", f, "-f", "null", "-")
			out := string(run(t, "ffprobe", "-v", "error", "-f", c.format, "-count_frames",
				"-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0", f))
			want := fmt.Sprintf("%s,320,240,30", c.name)
			if strings.TrimSpace(out) != want {
				t.Fatalf("ffprobe: %q, want %q", out, want)
			}
			// Our decoder gives back the picture within codec loss.
			d, err := NewVideoDecoder(c.codec)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			decoded := 0
			for i, au := range aus {
				pic, err := d.Decode(au)
				if err != nil {
					t.Fatalf("decode %d: %v", i, err)
				}
				if pic == nil {
					continue
				}
				decoded++
				if db := lumaPSNR(pics[i], pic); db < 28 {
					t.Fatalf("frame %d: luma PSNR %.1f dB, want >= 28", i, db)
				}
			}
			if decoded != len(aus) {
				t.Fatalf("decoded %d of %d frames", decoded, len(aus))
			}
		})
	}
}

func TestForcedKeyFrame(t *testing.T) {
	t.Parallel()
	for _, codec := range []hwenc.Codec{hwenc.H264, hwenc.H265} {
		t.Run(string(codec), func(t *testing.T) {
			t.Parallel()
			e, err := NewVideoEncoder(hwenc.VideoParams{Codec: codec, Width: 160, Height: 120, FPS: 25, GOP: 250})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if len(e.Header()) < 2 {
				t.Fatalf("header has %d parameter sets", len(e.Header()))
			}
			img := image.NewYCbCr(image.Rect(0, 0, 160, 120), image.YCbCrSubsampleRatio420)
			for i := 0; i < 12; i++ {
				movingPicture(img, i)
				au, key, err := e.Encode(img, time.Duration(i)*40*time.Millisecond, i == 7)
				if err != nil {
					t.Fatal(err)
				}
				wantKey := i == 0 || i == 7
				if key != wantKey {
					t.Fatalf("frame %d: key %v, want %v", i, key, wantKey)
				}
				irap := false
				for _, n := range au {
					if codec == hwenc.H264 && n[0]&0x1f == 5 || codec == hwenc.H265 && (n[0]>>1&0x3f) >= 16 && (n[0]>>1&0x3f) <= 21 {
						irap = true
					}
				}
				if irap != wantKey {
					t.Fatalf("frame %d: IDR/IRAP NAL unit present %v, want %v", i, irap, wantKey)
				}
				if key && !bytes.Equal(au[0], e.Header()[0]) {
					t.Fatalf("frame %d: key frame does not start with the parameter sets", i)
				}
			}
		})
	}
}

func TestEncoderScalesAndConverts(t *testing.T) {
	t.Parallel()
	e, err := NewVideoEncoder(hwenc.VideoParams{Codec: hwenc.H264, Width: 320, Height: 240, FPS: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	d, err := NewVideoDecoder(hwenc.H264)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rgba := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := range rgba.Pix {
		rgba.Pix[i] = 0xff // white
	}
	nv12 := &hwenc.Raw{Format: hwenc.NV12, Width: 64, Height: 48, Stride: 64, Data: bytes.Repeat([]byte{16}, 64*48*3/2)}
	yuyv := &hwenc.Raw{Format: hwenc.YUYV, Width: 64, Height: 48, Stride: 128, Data: bytes.Repeat([]byte{128}, 128*48)}
	for i, c := range []struct {
		img  image.Image
		luma uint8 // full range
	}{{rgba, 255}, {nv12, 0}, {yuyv, 130}} {
		au, _, err := e.Encode(c.img, time.Duration(i)*100*time.Millisecond, true)
		if err != nil {
			t.Fatalf("%T: %v", c.img, err)
		}
		pic, err := d.Decode(au)
		if err != nil || pic == nil {
			t.Fatalf("%T: decode: %v %v", c.img, pic, err)
		}
		if pic.Rect.Dx() != 320 || pic.Rect.Dy() != 240 {
			t.Fatalf("%T: decoded %v, want 320x240", c.img, pic.Rect)
		}
		if got := pic.Y[120*pic.YStride+160]; int(got) < int(c.luma)-6 || int(got) > int(c.luma)+6 {
			t.Fatalf("%T: centre luma %d, want %d±6", c.img, got, c.luma)
		}
	}
	if _, _, err := e.Encode(image.NewGray(image.Rect(0, 0, 8, 8)), 0, false); !hwenc.IsUnsupported(err) {
		t.Fatalf("grey picture: %v, want ErrUnsupported", err)
	}
}

func TestDecoderRejectsGarbage(t *testing.T) {
	t.Parallel()
	for _, codec := range []hwenc.Codec{hwenc.H264, hwenc.H265, hwenc.MPEG4, hwenc.MJPEG} {
		d, err := NewVideoDecoder(codec)
		if err != nil {
			t.Fatal(err)
		}
		for _, au := range [][][]byte{{{0x65, 0xff, 0x00, 0x12}}, {{0xff, 0xd8, 0xff}}, {{}}, {bytes.Repeat([]byte{0xaa}, 5000)}} {
			// Errors are fine; crashes and pictures from nothing are not.
			if pic, _ := d.Decode(au); pic != nil && codec != hwenc.MPEG4 {
				t.Errorf("%s: garbage decoded into a picture", codec)
			}
		}
		d.Close()
		d.Close()
	}
}
