package testpattern

// glyphTable is a 5x7 bitmap font of the few glyphs the clock needs, one
// byte per row, bit 4 the leftmost pixel, drawn in a 6x8 cell scaled by an
// integer; indexed by glyphIndex.
var glyphTable = [...][7]uint8{
	{0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e}, // 0
	{0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e}, // 1
	{0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f}, // 2
	{0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e}, // 3
	{0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02}, // 4
	{0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e}, // 5
	{0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e}, // 6
	{0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}, // 7
	{0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e}, // 8
	{0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c}, // 9
	{0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x0c, 0x00}, // :
	{0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c}, // .
	{0x0a, 0x0a, 0x1f, 0x0a, 0x1f, 0x0a, 0x0a}, // #
	{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, // space and anything else
}

const (
	glyphW = 6 // cell width: 5 pixels and a gap
	glyphH = 8 // cell height: 7 pixels and a gap
)

func glyphIndex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c == ':':
		return 10
	case c == '.':
		return 11
	case c == '#':
		return 12
	}
	return 13
}

// drawText paints text into a luma plane at (x0, y0) with each font pixel
// a scale x scale square of value ink, clipped to w x h.
func drawText(plane []byte, stride, w, h, x0, y0, scale int, ink byte, text []byte) {
	for k, c := range text {
		g := &glyphTable[glyphIndex(c)]
		cx := x0 + k*glyphW*scale
		for row := 0; row < 7; row++ {
			bits := g[row]
			if bits == 0 {
				continue
			}
			for col := 0; col < 5; col++ {
				if bits&(0x10>>col) == 0 {
					continue
				}
				px, py := cx+col*scale, y0+row*scale
				for dy := 0; dy < scale; dy++ {
					y := py + dy
					if y < 0 || y >= h {
						continue
					}
					line := plane[y*stride:]
					for dx := 0; dx < scale; dx++ {
						if x := px + dx; x >= 0 && x < w {
							line[x] = ink
						}
					}
				}
			}
		}
	}
}
