package file

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ffmpegTo makes a test file with the given ffmpeg arguments.
func ffmpegTo(t *testing.T, name string, args ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	args = append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...)
	out, err := exec.Command("ffmpeg", append(args, p)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	return p
}

func TestUnsupported(t *testing.T) {
	tone := []string{"-f", "lavfi", "-i", "sine=duration=0.5"}
	pic := []string{"-f", "lavfi", "-i", "testsrc2=size=32x32:rate=10:duration=0.5"}
	text := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(text, []byte("hello, not a video"), 0o644)
	cases := []struct {
		path string
		want string
	}{
		{ffmpegTo(t, "pcm.mov", append(tone, "-c:a", "pcm_s16le", "-f", "mov")...), `codec "sowt"`},
		{ffmpegTo(t, "frag.mp4", append(pic, "-c:v", "libx264", "-movflags", "frag_keyframe+empty_moov")...), "fragmented"},
		{ffmpegTo(t, "mp2.ts", append(tone, "-c:a", "mp2", "-f", "mpegts")...), "stream type 0x03"},
		{text, "unknown container"},
	}
	for _, c := range cases {
		d, err := Open(c.path)
		if err == nil {
			d.Close()
			t.Errorf("%s: opened", filepath.Base(c.path))
			continue
		}
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want ErrUnsupported naming %q", filepath.Base(c.path), err, c.want)
		}
	}
}

// patch returns a copy of the file with a big-endian uint32 written at
// offset off from the start of the payload of the first box of type typ.
func patch(t *testing.T, data []byte, typ string, off int, v uint32) []byte {
	t.Helper()
	i := bytes.Index(data, []byte(typ))
	if i < 0 {
		t.Fatalf("no %s box", typ)
	}
	out := bytes.Clone(data)
	binary.BigEndian.PutUint32(out[i+4+off:], v)
	return out
}

func TestAbsurdMP4(t *testing.T) {
	data, err := os.ReadFile(media(t, "h264_aac.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"timescale 0", patch(t, data, "mdhd", 12, 0), "timescale is 0"},
		{"huge sample", patch(t, data, "stsz", 12, 32<<20), "limit 16777216"},
		{"huge constant sample", patch(t, data, "stsz", 4, 0x7FFFFFFF), "limit 16777216"},
		{"too many samples", patch(t, patch(t, data, "stsz", 4, 100), "stsz", 8, 0xFFFFFFF0), "limit 10000000"},
		{"moov cut", data[:len(data)-100], ""},
	}
	for _, c := range cases {
		d, err := OpenReader(bytes.NewReader(c.data), int64(len(c.data)), "x.mp4")
		if err == nil {
			d.Close()
			t.Errorf("%s: opened", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want %q", c.name, err, c.want)
		}
	}
}

// TestTruncatedMP4 cuts the media data of a file whose moov comes first:
// it opens, and reading stops with an error rather than a panic.
func TestTruncatedMP4(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "seeds", "tiny.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	cut := data[:len(data)*2/3]
	d, err := OpenReader(bytes.NewReader(cut), int64(len(cut)), "cut.mp4")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for i := 0; ; i++ {
		_, err := d.ReadSample()
		if err != nil {
			if strings.Contains(err.Error(), "EOF") {
				return
			}
			t.Fatalf("sample %d: %v", i, err)
		}
		if i > 1000 {
			t.Fatal("no end")
		}
	}
}
