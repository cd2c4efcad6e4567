package mpeg4v

import (
	"errors"

	"rtspcam/rtsp/payload"
)

// packetizer cuts a frame into payloads of at most maxPayload bytes, the
// marker on the last (RFC 6416 5.1). A frame given as one slice is sent
// without copying.
type packetizer struct {
	maxPayload int
	buf        []byte // scratch for frames given in several slices
}

func newPacketizer(maxPayload int) *packetizer {
	if maxPayload <= 0 {
		maxPayload = payload.MaxPayloadSize
	}
	return &packetizer{maxPayload: maxPayload, buf: make([]byte, maxPayload)}
}

// Packetize sends the frame au (the concatenation of its slices).
func (p *packetizer) Packetize(au [][]byte, _ bool, emit payload.Emit) error {
	total := 0
	for _, b := range au {
		total += len(b)
	}
	if total == 0 {
		return errors.New("mpeg4v: empty frame")
	}
	if len(au) == 1 || total == len(au[0]) {
		frame := au[0]
		for len(frame) > 0 {
			n := min(p.maxPayload, len(frame))
			emit(frame[:n], n == len(frame), 0)
			frame = frame[n:]
		}
		return nil
	}
	n := 0
	for _, b := range au {
		for len(b) > 0 {
			c := copy(p.buf[n:], b)
			n += c
			b = b[c:]
			total -= c
			if n == p.maxPayload || total == 0 {
				emit(p.buf[:n], total == 0, 0)
				n = 0
			}
		}
	}
	return nil
}
