package file

import (
	"errors"
	"io"
	"testing"
)

// readLooping reads one sample, rewinding at the end of the file.
func readLooping(tb testing.TB, d Demuxer) Sample {
	s, err := d.ReadSample()
	if errors.Is(err, io.EOF) {
		if _, err := d.Seek(0); err != nil {
			tb.Fatal(err)
		}
		s, err = d.ReadSample()
	}
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestMP4ReadSampleAllocs(t *testing.T) {
	for _, name := range []string{"h264_aac.mp4", "h265_aac.mp4", "mjpeg_pcmu.mov"} {
		t.Run(name, func(t *testing.T) {
			d, err := Open(media(t, name))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			readAll(t, d) // warm up: buffers reach their largest size
			if _, err := d.Seek(0); err != nil {
				t.Fatal(err)
			}
			allocs := testing.AllocsPerRun(500, func() { readLooping(t, d) })
			if allocs != 0 {
				t.Errorf("ReadSample allocates %v times per sample", allocs)
			}
		})
	}
}

func BenchmarkMP4ReadSample(b *testing.B) {
	d, err := Open(media(b, "h264_aac.mp4"))
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	readAll(b, d)
	d.Seek(0)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		readLooping(b, d)
	}
}

func BenchmarkMP4Open(b *testing.B) {
	path := media(b, "h264_aac.mp4")
	b.ReportAllocs()
	for b.Loop() {
		d, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		d.Close()
	}
}
