package testpattern

import (
	"image"
	"image/color"
	"strconv"
	"time"
)

// Bars are the seven 75 % colour bars of the SMPTE/EBU pattern, left to
// right, in RGB.
var Bars = [7]color.RGBA{
	{191, 191, 191, 255}, // white
	{191, 191, 0, 255},   // yellow
	{0, 191, 191, 255},   // cyan
	{0, 191, 0, 255},     // green
	{191, 0, 191, 255},   // magenta
	{191, 0, 0, 255},     // red
	{0, 0, 191, 255},     // blue
}

// ScrollStep is how far the bars move left per frame, in pixels (even, so
// the 4:2:0 chroma moves by whole samples).
const ScrollStep = 4

// Clock band colours (luma; the band has neutral chroma).
const (
	bandLuma = 16  // black
	inkLuma  = 235 // white
)

// painter draws frames into one reused 4:2:0 picture: the scrolling bars
// in the upper three quarters, a black band with the wall clock and the
// frame number below.
type painter struct {
	img *image.YCbCr
	// One row of bars, twice the width, so the row at scroll offset o is
	// the slice [o, o+width): scrolling is a copy per line.
	barY, barCb, barCr []byte
	barsH              int // height of the bar area (even)
	scale              int // font scale
	textX, textY       int
	text               []byte // scratch for the clock line
}

func newPainter(w, h int) *painter {
	p := &painter{
		img:   image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420),
		barY:  make([]byte, 2*w),
		barCb: make([]byte, w),
		barCr: make([]byte, w),
		barsH: (h * 3 / 4) &^ 1,
		text:  make([]byte, 0, 32),
	}
	for x := 0; x < 2*w; x++ {
		c := Bars[(x%w)*len(Bars)/w]
		y, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
		p.barY[x] = y
		if x%2 == 0 {
			p.barCb[x/2], p.barCr[x/2] = cb, cr
		}
	}

	// "HH:MM:SS.f #nnnnnn" is 18 cells; size the font to fit the band
	// with a margin, centred.
	const cells = 18
	bandH := h - p.barsH
	p.scale = max(1, min(w/((cells+2)*glyphW), bandH/(glyphH+2)))
	p.textX = max(0, (w-cells*glyphW*p.scale)/2)
	p.textY = p.barsH + max(0, (bandH-7*p.scale)/2)

	// The band never changes but for the text: fill chroma once.
	for y := p.barsH / 2; y < h/2; y++ {
		row := p.img.Cb[y*p.img.CStride : y*p.img.CStride+w/2]
		for i := range row {
			row[i] = 128
		}
		copy(p.img.Cr[y*p.img.CStride:y*p.img.CStride+w/2], row)
	}
	return p
}

// offset is the scroll position of frame n.
func (p *painter) offset(n int64) int {
	w := p.img.Rect.Dx()
	return int((n * ScrollStep) % int64(w))
}

// paint draws frame n with the clock showing now.
func (p *painter) paint(n int64, now time.Time) *image.YCbCr {
	img := p.img
	w, h := img.Rect.Dx(), img.Rect.Dy()
	o := p.offset(n)

	// Bars: the same row on every line, shifted by the scroll offset.
	// Chroma wraps at half the luma offset; barCb covers one width, so it
	// is copied in two pieces.
	for y := 0; y < p.barsH; y++ {
		copy(img.Y[y*img.YStride:y*img.YStride+w], p.barY[o:o+w])
	}
	co, cw := o/2, w/2
	for y := 0; y < p.barsH/2; y++ {
		cb := img.Cb[y*img.CStride : y*img.CStride+cw]
		cr := img.Cr[y*img.CStride : y*img.CStride+cw]
		k := copy(cb, p.barCb[co:cw])
		copy(cb[k:], p.barCb[:co])
		copy(cr, p.barCr[co:cw])
		copy(cr[k:], p.barCr[:co])
	}

	// Clock band: clear, then draw "HH:MM:SS.f #frame".
	for y := p.barsH; y < h; y++ {
		row := img.Y[y*img.YStride : y*img.YStride+w]
		for i := range row {
			row[i] = bandLuma
		}
	}
	t := p.text[:0]
	t = append2(t, now.Hour())
	t = append(t, ':')
	t = append2(t, now.Minute())
	t = append(t, ':')
	t = append2(t, now.Second())
	t = append(t, '.', byte('0'+now.Nanosecond()/1e8), ' ', '#')
	if n < 100000 {
		t = append(t, "00000"[:6-digits(n)]...)
	}
	t = strconv.AppendInt(t, n, 10)
	p.text = t
	drawText(img.Y, img.YStride, w, h, p.textX, p.textY, p.scale, inkLuma, t)
	return img
}

// append2 appends v (0–99) as two digits.
func append2(b []byte, v int) []byte {
	return append(b, byte('0'+v/10), byte('0'+v%10))
}

// digits is the number of decimal digits of n ≥ 0.
func digits(n int64) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}
