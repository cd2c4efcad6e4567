package soft

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// ffmpegConvert runs ffmpeg on in (raw, format inFmt) producing raw outFmt
// with codec, and returns the bytes. It fails the test when ffmpeg is
// missing.
func ffmpegConvert(t *testing.T, in []byte, inFmt, codec, outFmt string) []byte {
	t.Helper()
	dir := t.TempDir()
	inPath := filepath.Join(dir, "in.raw")
	outPath := filepath.Join(dir, "out.raw")
	if err := os.WriteFile(inPath, in, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
		"-f", inFmt, "-ar", "8000", "-ac", "1", "-i", inPath,
		"-c:a", codec, "-f", outFmt, outPath)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	b, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// allSamples is every 16-bit sample, as int16 and as s16le bytes.
func allSamples() ([]int16, []byte) {
	pcm := make([]int16, 65536)
	raw := make([]byte, 2*len(pcm))
	for i := range pcm {
		pcm[i] = int16(uint16(i))
		binary.LittleEndian.PutUint16(raw[2*i:], uint16(i))
	}
	return pcm, raw
}

type law struct {
	name, codec string
	enc         func([]byte, []int16) []byte
	dec         func([]int16, []byte) []int16
}

var laws = []law{
	{"mulaw", "pcm_mulaw", EncodeMuLaw, DecodeMuLaw},
	{"alaw", "pcm_alaw", EncodeALaw, DecodeALaw},
}

// FFmpeg's decoders are the G.711 tables: ours must match on all codes.
func TestDecodeMatchesFFmpeg(t *testing.T) {
	codes := make([]byte, 256)
	for i := range codes {
		codes[i] = byte(i)
	}
	for _, c := range laws {
		t.Run(c.name, func(t *testing.T) {
			ref := ffmpegConvert(t, codes, c.name, "pcm_s16le", "s16le")
			got := c.dec(nil, codes)
			if len(ref) != 2*len(got) {
				t.Fatalf("ffmpeg gave %d bytes, want %d", len(ref), 2*len(got))
			}
			for i, s := range got {
				if w := int16(binary.LittleEndian.Uint16(ref[2*i:])); s != w {
					t.Errorf("code %#02x: got %d, ffmpeg %d", i, s, w)
				}
			}
		})
	}
}

// FFmpeg's encoders build their table from the midpoints between
// reconstruction levels; G.711 (and its G.191 reference code) cuts at the
// decision levels of its tables and, for negative inputs, quantizes the
// one's complement. The two agree on all but about 1.5% of the inputs,
// each time choosing neighbouring levels around the input: the test checks
// that this is the only difference.
func TestEncodeVersusFFmpeg(t *testing.T) {
	pcm, raw := allSamples()
	for _, c := range laws {
		t.Run(c.name, func(t *testing.T) {
			ref := ffmpegConvert(t, raw, "s16le", c.codec, c.name)
			got := c.enc(nil, pcm)
			if len(ref) != len(got) {
				t.Fatalf("ffmpeg gave %d codes, want %d", len(ref), len(got))
			}
			diff := 0
			for i, x := range pcm {
				if got[i] == ref[i] {
					continue
				}
				diff++
				ours := c.dec(nil, got[i:i+1])[0]
				theirs := c.dec(nil, ref[i:i+1])[0]
				// Both must be adjacent levels around x: the encoders
				// differ only in where they put the decision level.
				lo, hi := min(ours, theirs), max(ours, theirs)
				if int(x) < int(lo)-8 || int(x) > int(hi)+8 || !adjacent(c, got[i], ref[i]) {
					t.Fatalf("x=%d: got %#02x (%d), ffmpeg %#02x (%d): not neighbouring levels around x",
						x, got[i], ours, ref[i], theirs)
				}
				if diff <= 4 || diff%200 == 0 {
					t.Logf("x=%d: G.711 %#02x (%d), ffmpeg %#02x (%d)", x, got[i], ours, ref[i], theirs)
				}
			}
			if diff > 1024 {
				t.Fatalf("%d inputs differ from ffmpeg", diff)
			}
			t.Logf("%d of 65536 inputs differ from ffmpeg, each by one neighbouring level", diff)
		})
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// adjacent tells whether codes a and b decode to neighbouring levels.
func adjacent(c law, a, b byte) bool {
	va, vb := int(c.dec(nil, []byte{a})[0]), int(c.dec(nil, []byte{b})[0])
	lo, hi := min(va, vb), max(va, vb)
	for i := range 256 {
		v := int(c.dec(nil, []byte{byte(i)})[0])
		if v > lo && v < hi {
			return false
		}
	}
	return true
}
