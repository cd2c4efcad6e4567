package file

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// toCo64 rewrites a file whose moov precedes mdat so that every stco box
// becomes a co64 box (as files over 4 GB have), growing the containers and
// shifting the chunk offsets by the bytes moov gains.
func toCo64(t *testing.T, data []byte) []byte {
	t.Helper()
	grow := 0
	var count func(b []byte)
	count = func(b []byte) {
		for len(b) >= 8 {
			size := int(binary.BigEndian.Uint32(b))
			typ := string(b[4:8])
			switch typ {
			case "moov", "trak", "mdia", "minf", "stbl":
				count(b[8:size])
			case "stco":
				grow += 4 * int(binary.BigEndian.Uint32(b[12:]))
			}
			b = b[size:]
		}
	}
	count(data)
	var rewrite func(b []byte) []byte
	rewrite = func(b []byte) []byte {
		var out []byte
		for len(b) >= 8 {
			size := int(binary.BigEndian.Uint32(b))
			typ := string(b[4:8])
			switch typ {
			case "moov", "trak", "mdia", "minf", "stbl":
				body := rewrite(b[8:size])
				out = binary.BigEndian.AppendUint32(out, uint32(8+len(body)))
				out = append(append(out, typ...), body...)
			case "stco":
				n := int(binary.BigEndian.Uint32(b[12:]))
				out = binary.BigEndian.AppendUint32(out, uint32(16+8*n))
				out = append(append(out, "co64"...), b[8:16]...)
				for i := 0; i < n; i++ {
					off := uint64(binary.BigEndian.Uint32(b[16+4*i:])) + uint64(grow)
					out = binary.BigEndian.AppendUint64(out, off)
				}
			default:
				out = append(out, b[:size]...)
			}
			b = b[size:]
		}
		return out
	}
	out := rewrite(data)
	if len(out) != len(data)+grow || grow == 0 {
		t.Fatalf("rewrite: %d bytes from %d, grow %d", len(out), len(data), grow)
	}
	return out
}

// TestMP4Co64 checks that a file with 64-bit chunk offsets gives the same
// samples as the same file with 32-bit ones.
func TestMP4Co64(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "seeds", "tiny.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	co64 := toCo64(t, data)
	if !bytes.Contains(co64, []byte("co64")) || bytes.Contains(co64, []byte("stco")) {
		t.Fatal("no co64 box")
	}
	read := func(b []byte) []Sample {
		d, err := OpenReader(bytes.NewReader(b), int64(len(b)), "x.mp4")
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		return readAll(t, d)
	}
	a, b := read(data), read(co64)
	if len(a) == 0 || !reflect.DeepEqual(a, b) {
		t.Errorf("co64 file gives %d samples, stco file %d, or they differ", len(b), len(a))
	}
}
