package ffmpeg

import (
	"bytes"
	"testing"
)

func TestSplitAnnexB(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		want [][]byte
	}{
		{[]byte{0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 4, 5}, [][]byte{{0x67, 1, 2}, {0x68, 3}, {0x65, 4, 5}}},
		{[]byte{9, 9, 0, 0, 1, 0x41}, [][]byte{{0x41}}}, // leading junk dropped
		{[]byte{0, 0, 1}, nil},
		{[]byte{0x65, 1, 2}, nil}, // no start code: nothing
		{[]byte{0, 0, 1, 0x41, 0, 0, 0, 0, 0, 1, 0x42}, [][]byte{{0x41}, {0x42}}},
	} {
		got := splitAnnexB(nil, c.in)
		if len(got) != len(c.want) {
			t.Fatalf("%x: %x, want %x", c.in, got, c.want)
		}
		for i := range got {
			if !bytes.Equal(got[i], c.want[i]) {
				t.Fatalf("%x: %x, want %x", c.in, got, c.want)
			}
		}
	}
}

// FuzzSplitAnnexB: no panic; every NAL unit is non-empty, holds no start
// code, and writing them back and splitting again gives the same units.
func FuzzSplitAnnexB(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3})
	f.Add([]byte{0, 0, 1})
	f.Add([]byte{0, 0, 0, 0, 1, 0, 0, 1, 0, 0})
	f.Add([]byte{0, 0, 1, 0x40, 1, 0x0c, 0, 0, 1, 0x42, 0, 0, 1, 0x44, 1, 0, 0, 1, 0x26, 1, 0xaf})
	f.Fuzz(func(t *testing.T, b []byte) {
		nalus := splitAnnexB(nil, b)
		total := 0
		for _, n := range nalus {
			if len(n) == 0 {
				t.Fatal("empty NAL unit")
			}
			if bytes.Contains(n, []byte{0, 0, 1}) {
				t.Fatalf("NAL unit %x holds a start code", n)
			}
			total += len(n)
		}
		if total > len(b) {
			t.Fatalf("%d bytes of NAL units from %d", total, len(b))
		}
		again := splitAnnexB(nil, appendAnnexB(nil, nalus))
		if len(again) != len(nalus) {
			t.Fatalf("round trip: %d units, then %d", len(nalus), len(again))
		}
		for i := range again {
			if !bytes.Equal(again[i], nalus[i]) {
				t.Fatalf("round trip changed unit %d", i)
			}
		}
	})
}
