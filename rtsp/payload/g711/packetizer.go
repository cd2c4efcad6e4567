package g711

import (
	"fmt"

	"rtspcam/rtsp/payload"
)

// packetizer passes encoded bytes through. An access unit longer than one
// payload is split on sample frame boundaries; each piece's timestamp is
// advanced by the sample frames before it.
type packetizer struct {
	maxPayload int
	channels   int
	started    bool
}

func newPacketizer(maxPayload, channels int) *packetizer {
	if maxPayload <= 0 {
		maxPayload = payload.MaxPayloadSize
	}
	return &packetizer{maxPayload: maxPayload, channels: channels}
}

// Packetize emits au[0] (the encoded samples, interleaved by channel). The
// marker bit is set on the first packet the packetizer ever sends, the
// start of the first talkspurt (RFC 3551 section 4.1).
func (p *packetizer) Packetize(au [][]byte, _ bool, emit payload.Emit) error {
	chunk := p.maxPayload - p.maxPayload%p.channels
	if chunk <= 0 {
		return fmt.Errorf("g711: max payload %d smaller than a sample frame", p.maxPayload)
	}
	var off int
	for _, b := range au {
		if len(b)%p.channels != 0 {
			return fmt.Errorf("g711: %d bytes is not a whole number of %d-channel frames", len(b), p.channels)
		}
		for len(b) > 0 {
			n := min(len(b), chunk)
			emit(b[:n], !p.started, uint32(off/p.channels))
			p.started = true
			off += n
			b = b[n:]
		}
	}
	return nil
}
