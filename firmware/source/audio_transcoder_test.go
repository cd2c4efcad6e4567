package source

import (
	"errors"

	"testing"
	"time"

	"rtspcam/firmware/source/file"
	"rtspcam/hwenc/soft"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/g711"
	"rtspcam/rtsp/payload/g722"
)

// g711File is a demuxer of endless 8 kHz mono µ-law in 32 ms samples.
type g711File struct {
	n   int
	buf []byte
	au  [1][]byte
}

func (f *g711File) Tracks() []payload.Format                  { return []payload.Format{&g711.Format{MuLaw: true}} }
func (f *g711File) Duration() time.Duration                   { return time.Hour }
func (f *g711File) Close() error                              { return nil }
func (f *g711File) Seek(time.Duration) (time.Duration, error) { f.n = 0; return 0, nil }
func (f *g711File) ReadSample() (file.Sample, error) {
	if f.buf == nil {
		f.buf = make([]byte, 256)
	}
	pts := time.Duration(f.n) * 32 * time.Millisecond
	f.n++
	f.au[0] = f.buf
	return file.Sample{PTS: pts, DTS: pts, Key: true, AU: f.au[:]}, nil
}

func TestTranscodeAudio(t *testing.T) {
	d, err := TranscodeAudio(&g711File{}, soft.AudioEncoderConfig{Codec: soft.CodecG722})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Tracks()[0].(*g722.Format); !ok {
		t.Fatalf("track is %T", d.Tracks()[0])
	}
	for i := range 20 {
		s, err := d.ReadSample()
		if err != nil {
			t.Fatal(err)
		}
		if s.PTS != time.Duration(i)*20*time.Millisecond || len(s.AU[0]) != 160 {
			t.Fatalf("sample %d at %v with %d octets, want %v and 160", i, s.PTS, len(s.AU[0]), time.Duration(i)*20*time.Millisecond)
		}
	}
	if n := testing.AllocsPerRun(200, func() { d.ReadSample() }); n != 0 {
		t.Errorf("%.1f allocations per sample", n)
	}
	// Asking for what the file has leaves it untouched.
	src := &g711File{}
	if d, _ := TranscodeAudio(src, soft.AudioEncoderConfig{Codec: soft.CodecPCMU}); d != file.Demuxer(src) {
		t.Error("µ-law 8 kHz mono asked of a µ-law 8 kHz mono file: wrapped anyway")
	}
	if _, err := TranscodeAudio(&g722File{}, soft.AudioEncoderConfig{Codec: soft.CodecPCMU}); !errors.Is(err, ErrNoAudioTranscode) {
		t.Errorf("G.722 file (no pure-Go path from it here): %v", err)
	}
}

type g722File struct{ g711File }

func (f *g722File) Tracks() []payload.Format { return []payload.Format{&g722.Format{}} }
