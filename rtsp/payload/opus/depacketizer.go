package opus

import (
	"fmt"

	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
)

// depacketizer hands back each payload as one Opus packet.
type depacketizer struct {
	au [1][]byte
}

// Depacketize returns the packet's payload; an empty one is malformed
// (RFC 7587 4.2: a zero-length payload carries no Opus packet).
func (d *depacketizer) Depacketize(pkt *rtp.Packet) ([][]byte, error) {
	if len(pkt.Payload) == 0 {
		return nil, fmt.Errorf("opus: empty payload: %w", payload.ErrMalformed)
	}
	if len(pkt.Payload) > payload.MaxAccessUnitSize {
		return nil, fmt.Errorf("opus: %d-byte payload: %w", len(pkt.Payload), payload.ErrTooLarge)
	}
	d.au[0] = pkt.Payload
	return d.au[:], nil
}
