package g726

import (
	"fmt"

	"rtspcam/rtsp/payload"
)

// packetizer passes G.726 bytes through. An access unit longer than one
// payload is split on 8-sample boundaries (bits bytes); each piece's
// timestamp is advanced by the samples before it, 8/bits per byte.
type packetizer struct {
	maxPayload int
	bits       int // bits per sample, also bytes per 8 samples
	started    bool
}

func newPacketizer(maxPayload, bits int) *packetizer {
	if maxPayload <= 0 {
		maxPayload = payload.MaxPayloadSize
	}
	return &packetizer{maxPayload: maxPayload, bits: bits}
}

// Packetize emits the encoded bytes of au. The marker bit is set on the
// first packet the packetizer ever sends, the start of the first talkspurt
// (RFC 3551 section 4.1).
func (p *packetizer) Packetize(au [][]byte, _ bool, emit payload.Emit) error {
	if p.bits < 2 || p.bits > 5 {
		return fmt.Errorf("g726: %d bits per sample not supported", p.bits)
	}
	chunk := p.maxPayload - p.maxPayload%p.bits
	if chunk <= 0 {
		return fmt.Errorf("g726: max payload %d smaller than 8 samples", p.maxPayload)
	}
	var off int
	for _, b := range au {
		for len(b) > 0 {
			n := min(len(b), chunk)
			emit(b[:n], !p.started, uint32(off*8/p.bits))
			p.started = true
			off += n
			b = b[n:]
		}
	}
	return nil
}
