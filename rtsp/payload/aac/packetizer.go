package aac

import (
	"fmt"

	"rtspcam/rtsp/payload"
)

// packetizer packs raw AAC frames behind RFC 3640 AU headers: as many
// whole frames per packet as fit, and a frame too large for one packet
// split into fragments that each repeat its AU header.
type packetizer struct {
	maxPayload            int
	sizeLen, indexLen     int
	deltaLen              int
	samplesPerFrame       uint32
	buf                   []byte // one payload
	maxFrame              int    // largest size the AU header can hold
	firstBits, othersBits int
}

func newPacketizer(maxPayload, sizeLen, indexLen, deltaLen int, spf uint32) *packetizer {
	if maxPayload <= 0 {
		maxPayload = payload.MaxPayloadSize
	}
	return &packetizer{
		maxPayload:      maxPayload,
		sizeLen:         sizeLen,
		indexLen:        indexLen,
		deltaLen:        deltaLen,
		samplesPerFrame: spf,
		buf:             make([]byte, maxPayload),
		maxFrame:        1<<sizeLen - 1,
		firstBits:       sizeLen + indexLen,
		othersBits:      sizeLen + deltaLen,
	}
}

// headerBytes is the AU-headers section (length field included) for n
// headers.
func (p *packetizer) headerBytes(n int) int {
	bits := p.firstBits + (n-1)*p.othersBits
	return 2 + (bits+7)/8
}

// Packetize sends the frames of au (raw AAC, one slice each; normally one
// frame per call). The marker bit is set on every packet that ends a frame
// (RFC 3640 3.2.3.1); a packet that starts with the k-th frame of au gets a
// timestamp offset of k frames.
func (p *packetizer) Packetize(au [][]byte, _ bool, emit payload.Emit) error {
	if p.sizeLen < 1 || p.sizeLen > 16 {
		return fmt.Errorf("aac: sizelength %d not supported", p.sizeLen)
	}
	for i, fr := range au {
		if len(fr) == 0 {
			return fmt.Errorf("aac: frame %d is empty", i)
		}
		if len(fr) > p.maxFrame {
			return fmt.Errorf("aac: %d-byte frame over the %d-bit size field: %w", len(fr), p.sizeLen, payload.ErrTooLarge)
		}
	}
	if p.headerBytes(1) >= p.maxPayload {
		return fmt.Errorf("aac: max payload %d too small", p.maxPayload)
	}
	for i := 0; i < len(au); {
		// Take frames while the headers and data fit.
		n, data := 0, 0
		for i+n < len(au) && n < MaxFramesPerPacket &&
			p.headerBytes(n+1)+data+len(au[i+n]) <= p.maxPayload {
			data += len(au[i+n])
			n++
		}
		off := uint32(i) * p.samplesPerFrame
		if n == 0 {
			p.fragment(au[i], off, emit)
			i++
			continue
		}
		h := p.writeHeaders(au[i : i+n])
		pos := h
		for _, fr := range au[i : i+n] {
			pos += copy(p.buf[pos:], fr)
		}
		emit(p.buf[:pos], true, off)
		i += n
	}
	return nil
}

// fragment sends one frame over several packets, each with the frame's
// AU header (its full size) and a piece of it; the last has the marker.
func (p *packetizer) fragment(fr []byte, off uint32, emit payload.Emit) {
	h := p.writeHeaders([][]byte{fr})
	room := p.maxPayload - h
	for len(fr) > 0 {
		n := min(room, len(fr))
		copy(p.buf[h:], fr[:n])
		fr = fr[n:]
		emit(p.buf[:h+n], len(fr) == 0, off)
	}
}

// writeHeaders writes the AU-headers-length and one AU header per frame
// (index and index delta 0) at the start of buf, and returns its size.
func (p *packetizer) writeHeaders(frames [][]byte) int {
	bits := p.firstBits + (len(frames)-1)*p.othersBits
	n := 2 + (bits+7)/8
	clear(p.buf[2:n])
	p.buf[0], p.buf[1] = byte(bits>>8), byte(bits)
	pos := 16
	for i, fr := range frames {
		putBits(p.buf, pos, p.sizeLen, uint32(len(fr)))
		pos += p.sizeLen
		if i == 0 {
			pos += p.indexLen
		} else {
			pos += p.deltaLen
		}
	}
	return n
}

// putBits writes the n low bits of v at bit position pos of b, most
// significant first; the bits must be zero beforehand.
func putBits(b []byte, pos, n int, v uint32) {
	for i := n - 1; i >= 0; i-- {
		if v>>uint(i)&1 != 0 {
			b[pos>>3] |= 0x80 >> uint(pos&7)
		}
		pos++
	}
}
