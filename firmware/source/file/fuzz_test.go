package file

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// addSeeds adds the small ffmpeg-made files of testdata/seeds whose names
// end with one of exts.
func addSeeds(f *testing.F, exts ...string) {
	for _, ext := range exts {
		paths, _ := filepath.Glob(filepath.Join("testdata", "seeds", "*"+ext))
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

// box builds an ISO BMFF box.
func box(typ string, payload ...[]byte) []byte {
	body := bytes.Join(payload, nil)
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	return append(append(b, typ...), body...)
}

// fuzzDemux opens data as a file named name and reads it all, checking the
// documented limits. Errors are fine; panics and oversized output are not.
func fuzzDemux(t *testing.T, data []byte, name string) {
	// a hang is a bug too: crash so the fuzzer keeps the input
	watchdog := time.AfterFunc(5*time.Second, func() { panic("fuzzDemux: input takes more than 5 s") })
	defer watchdog.Stop()
	d, err := OpenReader(bytes.NewReader(data), int64(len(data)), name)
	if err != nil {
		return
	}
	defer d.Close()
	n := len(d.Tracks())
	if n == 0 || n > MaxTracks {
		t.Fatalf("%d tracks", n)
	}
	for round := 0; round < 2; round++ {
		for i := 0; i < 5000; i++ {
			s, err := d.ReadSample()
			if err != nil {
				break
			}
			if s.Track < 0 || s.Track >= n {
				t.Fatalf("sample of track %d of %d", s.Track, n)
			}
			if s.PTS < 0 {
				t.Fatalf("negative PTS %v", s.PTS)
			}
			if len(s.AU) > MaxNALUnitsPerAU {
				t.Fatalf("AU of %d parts", len(s.AU))
			}
			total := 0
			for _, b := range s.AU {
				total += len(b)
			}
			if total > MaxSampleSize {
				t.Fatalf("AU of %d bytes", total)
			}
		}
		if _, err := d.Seek(time.Duration(round) * 300 * time.Millisecond); err != nil {
			return
		}
	}
}

func FuzzOpenMP4(f *testing.F) {
	addSeeds(f, ".mp4", ".mov")
	ftyp := box("ftyp", []byte("isom\x00\x00\x02\x00isom"))
	f.Add(ftyp)
	f.Add(append(ftyp, box("moov", box("mvhd", make([]byte, 100)))...))
	f.Add(append(ftyp, box("moov", box("trak", box("mdia", box("hdlr", make([]byte, 24))), box("stbl")))...))
	f.Add(append(ftyp, box("moof")...))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDemux(t, data, "fuzz.mp4")
	})
}

func FuzzAnnexB(f *testing.F) {
	addSeeds(f, ".h264", ".hevc")
	f.Add([]byte{0, 0, 0, 1, 0x67, 0x42, 0, 0x1E, 0, 0, 1, 0x68, 0xCE, 0, 0, 1, 0x65, 0x88, 0, 0, 1, 0x41, 0x9A})
	f.Add([]byte{0, 0, 1, 0x40, 1, 0, 0, 1, 0x42, 1, 0, 0, 1, 0x44, 1, 0, 0, 1, 0x26, 1, 0xAF, 0, 0, 1, 0x02, 1, 0xD0})
	f.Add([]byte{0, 0, 1, 0, 0, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, h265 := range []bool{false, true} {
			nals, err := splitNALs(data, nil, h265)
			if err != nil {
				continue
			}
			if len(nals) > MaxNALUnitsPerAU {
				t.Fatalf("%d NAL units", len(nals))
			}
			for _, n := range nals {
				if len(n) == 0 || n[len(n)-1] == 0 || bytes.Contains(n, startCode) {
					t.Fatalf("bad NAL unit %x", n)
				}
			}
		}
		fuzzDemux(t, data, "fuzz.h264")
		fuzzDemux(t, data, "fuzz.hevc")
	})
}

func FuzzOpenTS(f *testing.F) {
	addSeeds(f, ".ts")
	f.Add(bytes.Repeat([]byte{0x47, 0x40, 0, 0x10}, 94))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDemux(t, data, "fuzz.ts")
	})
}

func FuzzOpenMJPEG(f *testing.F) {
	addSeeds(f, ".mjpeg")
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xDA, 0, 2, 1, 2, 0xFF, 0, 0xFF, 0xD9})
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDemux(t, data, "fuzz.mjpeg")
	})
}
