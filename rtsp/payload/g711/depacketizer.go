package g711

import (
	"fmt"

	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
)

// depacketizer hands back each payload as one access unit.
type depacketizer struct {
	channels int
	au       [1][]byte
}

func newDepacketizer(channels int) *depacketizer {
	return &depacketizer{channels: channels}
}

// Depacketize returns the packet's payload. An empty payload, or one that
// is not a whole number of sample frames, is malformed.
func (d *depacketizer) Depacketize(pkt *rtp.Packet) ([][]byte, error) {
	n := len(pkt.Payload)
	if n == 0 || n%d.channels != 0 {
		return nil, fmt.Errorf("g711: %d-byte payload for %d channels: %w", n, d.channels, payload.ErrMalformed)
	}
	if n > payload.MaxAccessUnitSize {
		return nil, fmt.Errorf("g711: %d-byte payload: %w", n, payload.ErrTooLarge)
	}
	d.au[0] = pkt.Payload
	return d.au[:], nil
}
