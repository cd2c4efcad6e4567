package x11

import (
	"errors"
	"image"
)

// ConvertBGRX writes the top-left dst-sized part of src, 32-bit pixels
// stored B, G, R, X (an X server's ZPixmap on a little-endian true-colour
// visual) with stride bytes per row, into dst as full-range BT.601 YCbCr
// 4:2:0 (what JPEG expects). dst must be 4:2:0 with even bounds starting
// at (0, 0). Chroma is the mean of each 2x2 block. It allocates nothing.
func ConvertBGRX(dst *image.YCbCr, src []byte, stride int) error {
	if dst == nil || dst.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return errors.New("x11: convert: want a 4:2:0 picture")
	}
	b := dst.Rect
	w, h := b.Dx(), b.Dy()
	if b.Min != (image.Point{}) || w%2 != 0 || h%2 != 0 {
		return errors.New("x11: convert: want even bounds from (0, 0)")
	}
	if w == 0 || h == 0 {
		return nil
	}
	if stride < 4*w || len(src) < stride*(h-1)+4*w {
		return errors.New("x11: convert: source smaller than the picture")
	}
	for y := 0; y < h; y += 2 {
		r0 := src[y*stride : y*stride+4*w]
		r1 := src[(y+1)*stride : (y+1)*stride+4*w]
		y0 := dst.Y[y*dst.YStride : y*dst.YStride+w]
		y1 := dst.Y[(y+1)*dst.YStride : (y+1)*dst.YStride+w]
		cb := dst.Cb[(y/2)*dst.CStride : (y/2)*dst.CStride+w/2]
		cr := dst.Cr[(y/2)*dst.CStride : (y/2)*dst.CStride+w/2]
		for x := 0; x < w; x += 2 {
			p := r0[4*x : 4*x+8 : 4*x+8]
			q := r1[4*x : 4*x+8 : 4*x+8]
			b00, g00, r00 := int32(p[0]), int32(p[1]), int32(p[2])
			b01, g01, r01 := int32(p[4]), int32(p[5]), int32(p[6])
			b10, g10, r10 := int32(q[0]), int32(q[1]), int32(q[2])
			b11, g11, r11 := int32(q[4]), int32(q[5]), int32(q[6])
			y0[x] = luma(r00, g00, b00)
			y0[x+1] = luma(r01, g01, b01)
			y1[x] = luma(r10, g10, b10)
			y1[x+1] = luma(r11, g11, b11)
			// Sums of four: scale the coefficients down by 4 (>> 18).
			rs, gs, bs := r00+r01+r10+r11, g00+g01+g10+g11, b00+b01+b10+b11
			cb[x/2] = clamp8((-11056*rs - 21712*gs + 32768*bs + 257<<17) >> 18)
			cr[x/2] = clamp8((32768*rs - 27440*gs - 5328*bs + 257<<17) >> 18)
		}
	}
	return nil
}

// luma is the full-range BT.601 Y of one pixel, rounded as
// image/color.RGBToYCbCr does.
func luma(r, g, b int32) uint8 {
	return uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 16)
}

func clamp8(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}
