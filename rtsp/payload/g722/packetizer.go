package g722

import (
	"fmt"

	"rtspcam/rtsp/payload"
)

// packetizer passes G.722 bytes through. An access unit longer than one
// payload is split; each piece's timestamp is advanced by the bytes before
// it, one RTP tick per byte (see Format).
type packetizer struct {
	maxPayload int
	started    bool
}

func newPacketizer(maxPayload int) *packetizer {
	if maxPayload <= 0 {
		maxPayload = payload.MaxPayloadSize
	}
	return &packetizer{maxPayload: maxPayload}
}

// Packetize emits the encoded bytes of au. The marker bit is set on the
// first packet the packetizer ever sends, the start of the first talkspurt
// (RFC 3551 section 4.1).
func (p *packetizer) Packetize(au [][]byte, _ bool, emit payload.Emit) error {
	if p.maxPayload <= 0 {
		return fmt.Errorf("g722: max payload %d too small", p.maxPayload)
	}
	var off int
	for _, b := range au {
		for len(b) > 0 {
			n := min(len(b), p.maxPayload)
			emit(b[:n], !p.started, uint32(off))
			p.started = true
			off += n
			b = b[n:]
		}
	}
	return nil
}
