package alsa

import (
	"testing"
	"unsafe"
)

// TestLayout checks the ioctl structures against the sizes the kernel's
// uapi header gives them (encoded in its ioctl numbers): on 64-bit
// SNDRV_PCM_IOCTL_HW_PARAMS is 0xc2604111 (608 bytes), SW_PARAMS
// 0xc0884113 (136), READI_FRAMES 0x80184151 (24); on 32-bit ARM 0xc25c4111
// (604), 0xc0684113 (104), 0x800c4151 (12). INFO is 0x81204101 (288) on
// both. Cross-built and run under qemu-arm by TestLayoutOnARM.
func TestLayout(t *testing.T) {
	type want struct{ hw, sw, xfer, info uintptr }
	w := want{608, 136, 24, 288}
	if unsafe.Sizeof(uintptr(0)) == 4 {
		w = want{604, 104, 12, 288}
	}
	got := want{unsafe.Sizeof(hwParams{}), unsafe.Sizeof(swParams{}), unsafe.Sizeof(xferi{}), unsafe.Sizeof(pcmInfo{})}
	if got != w {
		t.Fatalf("sizes hw, sw, xferi, info = %v, want %v", got, w)
	}
	if unsafe.Sizeof(uintptr(0)) == 8 {
		for name, c := range map[string][2]uintptr{
			"HW_REFINE": {ioctlHWRefine, 0xc2604110}, "HW_PARAMS": {ioctlHWParams, 0xc2604111},
			"SW_PARAMS": {ioctlSWParams, 0xc0884113}, "READI": {ioctlReadI, 0x80184151},
			"WRITEI": {ioctlWriteI, 0x40184150}, "INFO": {ioctlInfo, 0x81204101},
			"PREPARE": {ioctlPrepare, 0x4140}, "START": {ioctlStart, 0x4142},
			"PREFER_SUBDEVICE": {ioctlPreferSub, 0x40045532},
		} {
			if c[0] != c[1] {
				t.Errorf("%s = %#x, want %#x", name, c[0], c[1])
			}
		}
	} else {
		for name, c := range map[string][2]uintptr{
			"HW_PARAMS": {ioctlHWParams, 0xc25c4111}, "SW_PARAMS": {ioctlSWParams, 0xc0684113},
			"READI": {ioctlReadI, 0x800c4151}, "WRITEI": {ioctlWriteI, 0x400c4150},
		} {
			if c[0] != c[1] {
				t.Errorf("%s = %#x, want %#x", name, c[0], c[1])
			}
		}
	}
	// The field offsets that the kernel reads past the masks.
	var p hwParams
	if off := unsafe.Offsetof(p.Intervals); off != 4+8*32 {
		t.Errorf("intervals at %d, want %d", off, 4+8*32)
	}
	if off := unsafe.Offsetof(p.RMask); off != 4+8*32+21*12 {
		t.Errorf("rmask at %d, want %d", off, 4+8*32+21*12)
	}
}
