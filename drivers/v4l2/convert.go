package v4l2

import (
	"errors"
	"fmt"
	"image"
)

// ErrShortFrame is returned when a frame holds fewer bytes than its format
// needs (a truncated or corrupt capture).
var ErrShortFrame = errors.New("v4l2: frame shorter than its format")

// ToYCbCr writes a raw frame of format f into dst, a 4:2:0 picture of f's
// size whose bounds start at (0, 0), converting packed 4:2:2 (YUYV, UYVY)
// and semi-planar (NV12) layouts; planar 4:2:0 (YU12, YV12) is copied.
// Chroma of 4:2:2 is the mean of the two lines. It allocates nothing.
func ToYCbCr(dst *image.YCbCr, f Format, data []byte) error {
	w, h := f.Width, f.Height
	if dst == nil || dst.SubsampleRatio != image.YCbCrSubsampleRatio420 ||
		dst.Rect.Min != (image.Point{}) || dst.Rect.Dx() != w || dst.Rect.Dy() != h {
		return fmt.Errorf("v4l2: convert: want a 4:2:0 picture of %dx%d", w, h)
	}
	if w%2 != 0 || h%2 != 0 || w <= 0 || h <= 0 {
		return fmt.Errorf("v4l2: convert: odd size %dx%d", w, h)
	}
	cw, ch := w/2, h/2
	switch f.Pixel {
	case PixYUYV, PixUYVY:
		stride := f.Stride
		if stride == 0 {
			stride = 2 * w
		}
		if stride < 2*w || len(data) < stride*(h-1)+2*w {
			return ErrShortFrame
		}
		yo, uo, vo := 0, 1, 3
		if f.Pixel == PixUYVY {
			yo, uo, vo = 1, 0, 2
		}
		for y := 0; y < h; y += 2 {
			r0 := data[y*stride : y*stride+2*w]
			r1 := data[(y+1)*stride : (y+1)*stride+2*w]
			y0 := dst.Y[y*dst.YStride : y*dst.YStride+w]
			y1 := dst.Y[(y+1)*dst.YStride : (y+1)*dst.YStride+w]
			cb := dst.Cb[(y/2)*dst.CStride : (y/2)*dst.CStride+cw]
			cr := dst.Cr[(y/2)*dst.CStride : (y/2)*dst.CStride+cw]
			for x := 0; x < cw; x++ {
				p := r0[4*x : 4*x+4 : 4*x+4]
				q := r1[4*x : 4*x+4 : 4*x+4]
				y0[2*x] = p[yo]
				y0[2*x+1] = p[yo+2]
				y1[2*x] = q[yo]
				y1[2*x+1] = q[yo+2]
				cb[x] = uint8((uint16(p[uo]) + uint16(q[uo]) + 1) >> 1)
				cr[x] = uint8((uint16(p[vo]) + uint16(q[vo]) + 1) >> 1)
			}
		}
	case PixNV12:
		stride := f.Stride
		if stride == 0 {
			stride = w
		}
		if stride < w || len(data) < stride*h+stride*(ch-1)+w {
			return ErrShortFrame
		}
		for y := 0; y < h; y++ {
			copy(dst.Y[y*dst.YStride:y*dst.YStride+w], data[y*stride:y*stride+w])
		}
		uv := data[stride*h:]
		for y := 0; y < ch; y++ {
			row := uv[y*stride : y*stride+w]
			cb := dst.Cb[y*dst.CStride : y*dst.CStride+cw]
			cr := dst.Cr[y*dst.CStride : y*dst.CStride+cw]
			for x := 0; x < cw; x++ {
				cb[x] = row[2*x]
				cr[x] = row[2*x+1]
			}
		}
	case PixYU12, PixYV12:
		stride := f.Stride
		if stride == 0 {
			stride = w
		}
		cs := stride / 2
		if stride < w || len(data) < stride*h+2*cs*ch {
			return ErrShortFrame
		}
		for y := 0; y < h; y++ {
			copy(dst.Y[y*dst.YStride:y*dst.YStride+w], data[y*stride:y*stride+w])
		}
		u, v := data[stride*h:], data[stride*h+cs*ch:]
		if f.Pixel == PixYV12 {
			u, v = v, u
		}
		for y := 0; y < ch; y++ {
			copy(dst.Cb[y*dst.CStride:y*dst.CStride+cw], u[y*cs:y*cs+cw])
			copy(dst.Cr[y*dst.CStride:y*dst.CStride+cw], v[y*cs:y*cs+cw])
		}
	default:
		return fmt.Errorf("v4l2: convert: %s is not a raw format this converts", f.Pixel)
	}
	return nil
}
