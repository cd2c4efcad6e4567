package source

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"testing"
	"time"

	"rtspcam/firmware/source/file"
	"rtspcam/hwenc"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/aac"
	"rtspcam/rtsp/payload/h264"
	"rtspcam/rtsp/payload/mjpeg"
)

// jpegFile is a demuxer of n 64x48 JPEG frames at fps, frame i painted
// with luma 10*i so a picture tells which frame it came from.
type jpegFile struct {
	fps    float64
	n, pos int
	frames [][]byte
	au     [1][]byte
}

func newJPEGFile(t testing.TB, fps float64, n int) *jpegFile {
	f := &jpegFile{fps: fps, n: n}
	for i := range n {
		img := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
		for j := range img.Y {
			img.Y[j] = uint8(10 * i)
		}
		for j := range img.Cb {
			img.Cb[j], img.Cr[j] = 128, 128
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, nil); err != nil {
			t.Fatal(err)
		}
		f.frames = append(f.frames, b.Bytes())
	}
	return f
}

func (f *jpegFile) Tracks() []payload.Format { return []payload.Format{&mjpeg.Format{}} }
func (f *jpegFile) Duration() time.Duration {
	return time.Duration(float64(f.n) / f.fps * float64(time.Second))
}
func (f *jpegFile) Close() error { return nil }
func (f *jpegFile) at(i int) time.Duration {
	return time.Duration(float64(i) / f.fps * float64(time.Second))
}
func (f *jpegFile) Seek(t time.Duration) (time.Duration, error) {
	f.pos = int(t.Seconds() * f.fps)
	return f.at(f.pos), nil
}
func (f *jpegFile) ReadSample() (file.Sample, error) {
	if f.pos >= f.n {
		return file.Sample{}, io.EOF
	}
	f.au[0] = f.frames[f.pos]
	pts := f.at(f.pos)
	f.pos++
	return file.Sample{PTS: pts, DTS: pts, Key: true, AU: f.au[:]}, nil
}

var softOnly = &hwenc.Selector{Backends: []hwenc.Backend{hwenc.Soft{}}}

// readAll returns the PTS and the mean luma of every video sample.
func readAll(t *testing.T, d file.Demuxer) (pts []time.Duration, luma []int) {
	t.Helper()
	for {
		s, err := d.ReadSample()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(bytes.NewReader(s.AU[0]))
		if err != nil {
			t.Fatal(err)
		}
		y := img.(*image.YCbCr)
		pts = append(pts, s.PTS)
		luma = append(luma, int(y.Y[y.YOffset(32, 24)]))
	}
}

// The output clock: a 10 fps file asked at 25 fps repeats pictures, each
// shown from its own time; asked at 5 fps, every other one is dropped.
func TestVideoTranscoderFrameRate(t *testing.T) {
	src := newJPEGFile(t, 10, 10)
	info, track, ok, err := ProbeVideo(src, softOnly)
	if err != nil || !ok || track != 0 {
		t.Fatal(ok, err)
	}
	if info != (VideoInfo{Codec: hwenc.MJPEG, Width: 64, Height: 48, FPS: 10}) {
		t.Fatalf("probed %+v", info)
	}
	for _, c := range []struct {
		fps  float64
		want int
	}{{25, 25}, {5, 5}, {10, 10}} {
		tr, err := TranscodeVideo(src, track, info, softOnly, hwenc.VideoParams{Codec: hwenc.MJPEG, Width: 64, Height: 48, FPS: c.fps})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Seek(0); err != nil {
			t.Fatal(err)
		}
		pts, luma := readAll(t, tr)
		if len(pts) != c.want {
			t.Fatalf("%g fps: %d frames out of 1 s, want %d", c.fps, len(pts), c.want)
		}
		period := time.Duration(float64(time.Second) / c.fps)
		for i := range pts {
			if pts[i] != time.Duration(i)*period {
				t.Fatalf("%g fps: frame %d at %v, want %v", c.fps, i, pts[i], time.Duration(i)*period)
			}
			// The picture shown at time T is the file's latest at T.
			want := 10 * int(pts[i].Seconds()*10+1e-9)
			if d := luma[i] - want; d < -3 || d > 3 {
				t.Fatalf("%g fps: frame %d at %v shows luma %d, want the file's frame %d (%d)", c.fps, i, pts[i], luma[i], want/10, want)
			}
		}
	}
}

// A seek starts on the picture at the new position.
func TestVideoTranscoderSeek(t *testing.T) {
	src := newJPEGFile(t, 10, 10)
	tr, err := TranscodeVideo(src, 0, VideoInfo{Codec: hwenc.MJPEG, Width: 64, Height: 48, FPS: 10}, softOnly,
		hwenc.VideoParams{Codec: hwenc.MJPEG, Width: 64, Height: 48, FPS: 10})
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, tr)
	at, err := tr.Seek(500 * time.Millisecond)
	if err != nil || at != 500*time.Millisecond {
		t.Fatal(at, err)
	}
	pts, luma := readAll(t, tr)
	if len(pts) != 5 || pts[0] != 500*time.Millisecond || luma[0] < 47 || luma[0] > 53 {
		t.Fatalf("after a seek to 0.5 s: %v %v", pts, luma)
	}
}

// Without FFmpeg (the pure-Go build), what needs it is ErrUnsupported
// (the server's 415) and what matches passes: a H.264 file re-encoded to
// MJPEG needs a H.264 decoder; its AAC needs the AAC decoder.
func TestTranscodeNeedsFFmpeg(t *testing.T) {
	d := &avcFile{}
	if _, err := TranscodeVideo(d, 0, VideoInfo{Codec: hwenc.H264, Width: 64, Height: 48, FPS: 25}, softOnly,
		hwenc.VideoParams{Codec: hwenc.MJPEG, Width: 64, Height: 48, FPS: 25}); !hwenc.IsUnsupported(err) {
		t.Errorf("H.264 → MJPEG with the soft backend only: %v", err)
	}
	_, err := TranscodeAudioWith(d, AudioTarget{Coded: hwenc.AudioParams{Codec: hwenc.Opus}}, softOnly)
	if !errors.Is(err, ErrNoAudioTranscode) || !hwenc.IsUnsupported(err) {
		t.Errorf("AAC → Opus with the soft backend only: %v", err)
	}
	got, err := TranscodeAudioWith(d, AudioTarget{Coded: hwenc.AudioParams{Codec: hwenc.AAC, SampleRate: 48000}}, softOnly)
	if err != nil || got != file.Demuxer(d) {
		t.Errorf("AAC 48 kHz asked of an AAC 48 kHz file: %v, %T", err, got)
	}
}

// avcFile only has tracks: an H.264 video and a stereo 48 kHz AAC one.
type avcFile struct{ g711File }

func (f *avcFile) Tracks() []payload.Format {
	return []payload.Format{&h264.Format{}, &aac.Format{Config: []byte{0x11, 0x90}, SampleRate: 48000, Channels: 2}}
}
