package opus

import (
	"fmt"

	"rtspcam/rtsp/payload"
)

// packetizer sends each Opus packet as one RTP payload (RFC 7587 4.2).
type packetizer struct {
	maxPayload int
	started    bool
}

// Packetize emits au[0], one Opus packet, as one payload: each RTP
// packet has its own timestamp, so an AU holds exactly one Opus packet.
// The marker bit is set on the first packet the packetizer ever sends,
// the start of the first talkspurt (RFC 7587 section 4.1).
func (p *packetizer) Packetize(au [][]byte, _ bool, emit payload.Emit) error {
	if len(au) != 1 {
		return fmt.Errorf("opus: %d slices in an access unit, want one Opus packet", len(au))
	}
	b := au[0]
	if len(b) == 0 {
		return fmt.Errorf("opus: empty packet")
	}
	if len(b) > p.maxPayload {
		return fmt.Errorf("opus: %d-byte packet over the %d-byte payload: %w", len(b), p.maxPayload, payload.ErrTooLarge)
	}
	emit(b, !p.started, 0)
	p.started = true
	return nil
}
