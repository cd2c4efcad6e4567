package m2m

import "testing"

func TestFWHTKeyFlag(t *testing.T) {
	hdr := []byte{0x4f, 0x4f, 0x4f, 0x4f, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 3, 0, 0, 2, 0x80, 0, 0, 1, 0xe0, 0, 0, 0x04, 0}
	if !fwhtKey(hdr) {
		t.Fatal("I-frame flag not seen")
	}
	hdr[22] = 0
	if fwhtKey(hdr) || fwhtKey(hdr[:10]) {
		t.Fatal("P-frame or short header taken for a keyframe")
	}
}
