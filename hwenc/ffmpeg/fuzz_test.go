//go:build ffmpeg && cgo

package ffmpeg

import (
	"image"
	"testing"

	"rtspcam/hwenc"
)

// FuzzVideoDecode feeds arbitrary access units to each decoder (a
// proxied camera or a file can send anything): no crash, no hang, and a
// picture, when one comes out, is whole.
func FuzzVideoDecode(f *testing.F) {
	codecs := []hwenc.Codec{hwenc.H264, hwenc.H265, hwenc.MPEG4, hwenc.MJPEG}
	img := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
	movingPicture(img, 3)
	for i, c := range codecs {
		e, err := NewVideoEncoder(hwenc.VideoParams{Codec: c, Width: 64, Height: 48, FPS: 10})
		if err != nil {
			f.Fatal(err)
		}
		au, _, err := e.Encode(img, 0, true)
		if err != nil {
			f.Fatal(err)
		}
		var joined []byte
		if c == hwenc.H264 || c == hwenc.H265 {
			joined = appendAnnexB(nil, au)
		} else {
			joined = append(joined, au[0]...)
		}
		f.Add(uint8(i), joined)
		f.Add(uint8(i), joined[:len(joined)/2])
		e.Close()
	}
	f.Add(uint8(0), []byte{0, 0, 0, 1, 0x67, 0xff, 0xff, 0xff})
	f.Add(uint8(3), []byte{0xff, 0xd8, 0xff, 0xc0, 0, 0x11, 8, 0xff, 0xff})
	decs := make([]*VideoDecoder, len(codecs))
	for i, c := range codecs {
		d, err := NewVideoDecoder(c)
		if err != nil {
			f.Fatal(err)
		}
		decs[i] = d
	}
	f.Cleanup(func() {
		for _, d := range decs {
			d.Close()
		}
	})
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		i := int(which) % len(codecs)
		d := decs[i]
		var au [][]byte
		if codecs[i] == hwenc.H264 || codecs[i] == hwenc.H265 {
			au = splitAnnexB(nil, data)
		} else {
			au = [][]byte{data}
		}
		pic, err := d.Decode(au)
		if err == nil && pic != nil {
			w, h := pic.Rect.Dx(), pic.Rect.Dy()
			if w <= 0 || h <= 0 || len(pic.Y) < w*h {
				t.Fatalf("%s: picture %dx%d with %d luma bytes", codecs[i], w, h, len(pic.Y))
			}
		}
	})
}

// FuzzAudioDecode does the same for AAC and Opus packets.
func FuzzAudioDecode(f *testing.F) {
	pcm := tone(48000, 2, 0.1)
	var decs []*AudioDecoder
	for i, c := range []hwenc.Codec{hwenc.AAC, hwenc.Opus} {
		e, err := NewAudioEncoder(hwenc.AudioParams{Codec: c, SampleRate: 48000, Channels: 2})
		if err != nil {
			f.Fatal(err)
		}
		pkts, err := e.Encode(pcm)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range pkts[:min(3, len(pkts))] {
			f.Add(uint8(i), append([]byte(nil), p...))
		}
		d, err := NewAudioDecoder(hwenc.AudioParams{Codec: c, SampleRate: 48000, Channels: 2, Config: e.Config()})
		if err != nil {
			f.Fatal(err)
		}
		decs = append(decs, d)
		e.Close()
	}
	f.Add(uint8(1), []byte{0xfc, 0xff, 0xfe})
	f.Cleanup(func() {
		for _, d := range decs {
			d.Close()
		}
	})
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		d := decs[int(which)%len(decs)]
		out, err := d.Decode(data)
		if err == nil && len(out)%2 != 0 {
			t.Fatalf("%d samples for 2 channels", len(out))
		}
	})
}
