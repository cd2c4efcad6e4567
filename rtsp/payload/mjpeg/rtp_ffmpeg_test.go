package mjpeg

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/payloadtest"
)

// ffmpegDecodeMD5s decodes a stream of JPEG files with FFmpeg and returns
// the per-frame checksums of the pictures.
func ffmpegDecodeMD5s(t *testing.T, files [][]byte) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "in.mjpeg")
	if err := os.WriteFile(path, bytes.Join(files, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	return payloadtest.FrameMD5s(payloadtest.FFmpegOutput(t, "-f", "mjpeg", "-i", path, "-fps_mode", "passthrough", "-f", "framemd5", "pipe:1"))
}

// Frames packetized by us and sent to FFmpeg's RTP demuxer decode to the
// same pictures FFmpeg gets from the files themselves: 4:2:0 from Go,
// 4:2:0 with restart markers from FFmpeg's encoder, 4:2:2 from libjpeg.
func TestToFFmpeg(t *testing.T) {
	cases := []struct {
		name  string
		files func(t *testing.T) [][]byte
		typ   byte
	}{
		{"go-420", func(t *testing.T) [][]byte {
			var fs [][]byte
			for i := range 5 {
				fs = append(fs, goJPEG(t, 320, 240, i, 75))
			}
			return fs
		}, 1},
		{"ffmpeg-420-restart", func(t *testing.T) [][]byte {
			return ffmpegJPEGs(t, 5, "-pix_fmt", "yuvj420p", "-threads", "4", "-slices", "4")
		}, 65},
		{"libjpeg-422", func(t *testing.T) [][]byte {
			var fs [][]byte
			for _, p := range []string{"smpte", "ball", "snow"} {
				fs = append(fs, gstJPEG422(t, p))
			}
			return fs
		}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			files := c.files(t)
			want := ffmpegDecodeMD5s(t, files)
			if len(want) != len(files) {
				t.Fatalf("ffmpeg decoded %d of %d files", len(want), len(files))
			}
			f := &Format{}
			var aus [][][]byte
			var ts []uint32
			for i, file := range files {
				aus = append(aus, [][]byte{file})
				ts = append(ts, uint32(i*9000))
			}
			pkts := payloadtest.Packetize(t, f, 0, aus, ts)
			if typ := pkts[0][12+4]; typ != c.typ {
				t.Fatalf("RFC 2435 type %d, want %d", typ, c.typ)
			}
			got := payloadtest.FrameMD5s(payloadtest.FFmpegReceive(t, f, pkts, nil, "-fps_mode", "passthrough", "-f", "framemd5", "pipe:1"))
			if !slices.Equal(got, want) {
				t.Fatalf("ffmpeg decoded %d frames from RTP:\n%v\nfrom the files:\n%v", len(got), got, want)
			}
		})
	}
}

// FFmpeg's RTP muxer output, rebuilt by us, decodes with image/jpeg at the
// right size to the pictures of FFmpeg's own JPEG files.
//
// Not tested: frames with restart markers. FFmpeg 5.1's muxer sends them
// as type 1 with no restart marker header (it ignores the DRI), so no
// receiver can rebuild them; our own type 65 packets are checked against
// FFmpeg's demuxer in TestToFFmpeg.
func TestFromFFmpeg(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
	}{
		{"420", []string{"-pix_fmt", "yuvj420p"}},
		{"420-q3", []string{"-pix_fmt", "yuvj420p", "-q:v", "3"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ref := ffmpegJPEGs(t, 5, c.args...)
			src := append([]string{"-f", "lavfi", "-i", "testsrc=size=320x240:rate=10", "-frames:v", "5",
				"-c:v", "mjpeg", "-huffman", "default"}, c.args...)
			f, pkts := payloadtest.FFmpegSend(t, payload.MaxPacketSize, func(pt uint8, rtpmap string, fmtp map[string]string) (payload.Format, error) {
				return Unmarshal(pt, rtpmap, fmtp)
			}, src...)
			if f.PayloadType() != 26 {
				t.Fatalf("PT %d", f.PayloadType())
			}
			d := f.NewDepacketizer()
			var got [][]byte
			for _, pkt := range pkts {
				au, err := d.Depacketize(pkt)
				if err != nil {
					t.Fatal(err)
				}
				if au != nil {
					got = append(got, bytes.Clone(au[0]))
				}
			}
			if len(got) != len(ref) {
				t.Fatalf("rebuilt %d frames, ffmpeg encoded %d", len(got), len(ref))
			}
			for i := range got {
				img := decode(t, got[i])
				if b := img.Bounds(); b.Dx() != 320 || b.Dy() != 240 {
					t.Fatalf("frame %d is %v", i, b)
				}
				samePixels(t, decode(t, ref[i]), img)
			}
		})
	}
}
