package source

import (
	"io"
	"testing"
	"time"

	"rtspcam/firmware/source/file"
	"rtspcam/hwenc"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/h264"
	"rtspcam/rtsp/payload/mjpeg"
)

// bytesFile is a demuxer of one track of format whose samples are the
// same bytes, 10 of them at 10 fps.
type bytesFile struct {
	format payload.Format
	b      []byte
	pos    int
	au     [1][]byte
}

func (f *bytesFile) Tracks() []payload.Format { return []payload.Format{f.format} }
func (f *bytesFile) Duration() time.Duration  { return time.Second }
func (f *bytesFile) Close() error             { return nil }
func (f *bytesFile) Seek(t time.Duration) (time.Duration, error) {
	f.pos = int(t / (100 * time.Millisecond))
	return time.Duration(f.pos) * 100 * time.Millisecond, nil
}
func (f *bytesFile) ReadSample() (file.Sample, error) {
	if f.pos >= 10 {
		return file.Sample{}, io.EOF
	}
	pts := time.Duration(f.pos) * 100 * time.Millisecond
	f.pos++
	f.au[0] = f.b
	return file.Sample{PTS: pts, DTS: pts, Key: true, AU: f.au[:]}, nil
}

// FuzzVideoTranscoder feeds hostile parameter sets to ProbeVideo and
// hostile pictures to a transcoding (the pure-Go MJPEG path): an error,
// never a panic or a hang.
func FuzzVideoTranscoder(f *testing.F) {
	jpegs := newJPEGFile(f, 10, 2).frames
	// A 1280x720 High profile SPS as libx264 writes it.
	sps := []byte{0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x6a, 0x02, 0x02, 0x02, 0x80, 0x00, 0x00, 0x03, 0x00, 0x80, 0x00, 0x00, 0x19, 0x07, 0x8c, 0x18, 0xcb}
	f.Add(sps, jpegs[0])
	f.Add(sps[:6], jpegs[1][:len(jpegs[1])/2])
	f.Add([]byte{0x67}, []byte{0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0xff, 0xff, 0xff, 0xff, 0x03})
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, sps, pic []byte) {
		ProbeVideo(&bytesFile{format: &h264.Format{SPS: sps, PPS: []byte{0x68, 0xce}}, b: pic}, softOnly)
		d := &bytesFile{format: &mjpeg.Format{}, b: pic}
		info, track, ok, err := ProbeVideo(d, softOnly)
		if err != nil || !ok || info.Width > 4096 || info.Height > 4096 {
			return
		}
		tr, err := TranscodeVideo(d, track, info, softOnly, hwenc.VideoParams{Codec: hwenc.MJPEG, Width: 64, Height: 48, FPS: 25})
		if err != nil {
			return
		}
		defer tr.Close()
		for range 40 {
			if _, err := tr.ReadSample(); err == io.EOF {
				break
			}
		}
	})
}
