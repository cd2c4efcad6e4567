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

// Packetize emits each slice of au as one payload, each with the AU's
// timestamp (a caller passes one Opus packet per AU). The marker bit is set
// on the first packet the packetizer ever sends, the start of the first
// talkspurt (RFC 7587 section 4.1).
func (p *packetizer) Packetize(au [][]byte, _ bool, emit payload.Emit) error {
	for _, b := range au {
		if len(b) == 0 {
			return fmt.Errorf("opus: empty packet")
		}
		if len(b) > p.maxPayload {
			return fmt.Errorf("opus: %d-byte packet over the %d-byte payload: %w", len(b), p.maxPayload, payload.ErrTooLarge)
		}
	}
	for _, b := range au {
		emit(b, !p.started, 0)
		p.started = true
	}
	return nil
}
