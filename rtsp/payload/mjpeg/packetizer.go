package mjpeg

import (
	"fmt"

	"rtspcam/rtsp/payload"
)

// Header sizes of RFC 2435 section 3.1.
const (
	mainHeaderSize    = 8
	restartHeaderSize = 4
	quantHeaderSize   = 4 + 2*64 // two 8-bit tables
)

// packetizer splits a baseline JPEG's entropy-coded data into RFC 2435
// fragments. The first carries both quantization tables (Q=255), so a
// receiver needs nothing but the packets.
type packetizer struct {
	maxPayload int
	fr         frame
	buf        []byte
}

func newPacketizer(maxPayload int) *packetizer {
	if maxPayload <= 0 {
		maxPayload = payload.MaxPayloadSize
	}
	return &packetizer{maxPayload: maxPayload, buf: make([]byte, maxPayload)}
}

// Packetize sends au[0], one complete JPEG file; the marker bit is set on
// its last packet.
func (p *packetizer) Packetize(au [][]byte, _ bool, emit payload.Emit) error {
	if len(au) != 1 {
		return fmt.Errorf("mjpeg: %d slices in an access unit, want one JPEG file", len(au))
	}
	if p.maxPayload <= mainHeaderSize+restartHeaderSize+quantHeaderSize {
		return fmt.Errorf("mjpeg: max payload %d too small", p.maxPayload)
	}
	fr := &p.fr
	if err := fr.parse(au[0]); err != nil {
		return fmt.Errorf("mjpeg: %w", err)
	}
	b := p.buf
	// Main header: type-specific 0, offset (set per packet), type, Q=255
	// (tables in-band), width and height in 8-pixel units.
	b[0] = 0
	b[4] = fr.typ
	b[5] = 255
	b[6] = byte((fr.width + 7) / 8)
	b[7] = byte((fr.height + 7) / 8)
	hdr := mainHeaderSize
	if fr.restart != 0 {
		// Restart marker header: the whole frame is one chunk (F=L=1,
		// count 0x3fff), so receivers join all fragments.
		b[8], b[9] = byte(fr.restart>>8), byte(fr.restart)
		b[10], b[11] = 0xff, 0xff
		hdr += restartHeaderSize
	}
	data := fr.data
	off := 0
	for first := true; len(data) > 0; first = false {
		b[1], b[2], b[3] = byte(off>>16), byte(off>>8), byte(off)
		n := hdr
		if first {
			// Quantization table header: MBZ, precision 0 (8-bit), length.
			b[n], b[n+1], b[n+2], b[n+3] = 0, 0, 0, 128
			copy(b[n+4:], fr.quant[fr.lumaQ][:])
			copy(b[n+4+64:], fr.quant[fr.chroma][:])
			n += quantHeaderSize
		}
		c := copy(b[n:], data)
		data = data[c:]
		off += c
		emit(b[:n+c], len(data) == 0, 0)
	}
	return nil
}
