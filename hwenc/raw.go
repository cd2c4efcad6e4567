package hwenc

import (
	"image"
	"image/color"
)

// PixelFormat is the layout of a Raw picture, as capture devices hand
// them out.
type PixelFormat int

// Raw layouts.
const (
	NV12 PixelFormat = iota + 1 // Y plane, then interleaved CbCr at half size
	YUYV                        // packed 4:2:2, Y0 Cb Y1 Cr
	I420                        // Y, Cb, Cr planes, 4:2:0
)

// Raw is a picture in a device's own layout, for encoders that take it
// without converting in Go (V4L2 buffers, mem2mem). Data holds the planes
// one after another, each Stride bytes per line (half that for the
// chroma planes of I420).
type Raw struct {
	Format        PixelFormat
	Width, Height int
	Stride        int
	Data          []byte
}

// ColorModel is YCbCr; Raw is an image.Image only so encoders take it
// through the same Encode.
func (r *Raw) ColorModel() color.Model { return color.YCbCrModel }

// Bounds is the picture's rectangle.
func (r *Raw) Bounds() image.Rectangle { return image.Rect(0, 0, r.Width, r.Height) }

// At is not meant for pixel work (it is slow): it reads the luma only.
func (r *Raw) At(x, y int) color.Color {
	switch r.Format {
	case YUYV:
		return color.Gray{Y: r.Data[y*r.Stride+2*x]}
	default:
		return color.Gray{Y: r.Data[y*r.Stride+x]}
	}
}
