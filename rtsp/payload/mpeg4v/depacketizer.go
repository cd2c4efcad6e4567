package mpeg4v

import (
	"fmt"

	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
)

// depacketizer joins payloads into frames. A frame ends on the marker bit
// or when the timestamp changes. Two buffers alternate so that the frame
// returned on a timestamp change stays valid while the next one starts.
type depacketizer struct {
	bufs [2][]byte
	cur  int    // index of the buffer being filled
	ts   uint32 // timestamp of the frame being filled
	out  [1][]byte

	haveSeq bool
	nextSeq uint16

	skipping bool   // dropping the rest of a broken frame
	skipTS   uint32 // its timestamp
}

func newDepacketizer() *depacketizer {
	return &depacketizer{}
}

// drop forgets the partial frame and ignores further packets of timestamp
// ts unless this packet already ended that frame.
func (d *depacketizer) drop(ts uint32, marker bool) {
	d.bufs[d.cur] = d.bufs[d.cur][:0]
	d.skipping = !marker
	d.skipTS = ts
}

// finish hands out the assembled frame and switches to the other buffer.
func (d *depacketizer) finish() [][]byte {
	d.out[0] = d.bufs[d.cur]
	d.cur ^= 1
	d.bufs[d.cur] = d.bufs[d.cur][:0]
	return d.out[:]
}

// add appends one payload to the frame being filled.
func (d *depacketizer) add(p []byte) error {
	if len(p) == 0 {
		return fmt.Errorf("mpeg4v: empty payload: %w", payload.ErrMalformed)
	}
	if len(d.bufs[d.cur])+len(p) > payload.MaxAccessUnitSize {
		return fmt.Errorf("mpeg4v: frame over %d bytes: %w", payload.MaxAccessUnitSize, payload.ErrTooLarge)
	}
	d.bufs[d.cur] = append(d.bufs[d.cur], p...)
	return nil
}

// Depacketize consumes one RTP packet; see payload.Depacketizer.
func (d *depacketizer) Depacketize(pkt *rtp.Packet) ([][]byte, error) {
	if pkt == nil {
		return nil, fmt.Errorf("mpeg4v: nil packet: %w", payload.ErrMalformed)
	}
	lost := d.haveSeq && pkt.SequenceNumber != d.nextSeq
	d.haveSeq = true
	d.nextSeq = pkt.SequenceNumber + 1

	if d.skipping {
		if pkt.Timestamp == d.skipTS {
			d.skipping = !pkt.Marker
			return nil, nil
		}
		d.skipping = false
	}

	var done [][]byte
	if len(d.bufs[d.cur]) > 0 {
		switch {
		case lost:
			sameFrame := pkt.Timestamp == d.ts
			d.drop(pkt.Timestamp, !sameFrame || pkt.Marker)
			err := fmt.Errorf("mpeg4v: packet lost, frame dropped: %w", payload.ErrMalformed)
			if sameFrame {
				return nil, err
			}
			// The packet starts the next frame: keep it, report the loss. A
			// frame it completes waits for the next timestamp change.
			d.ts = pkt.Timestamp
			if d.add(pkt.Payload) != nil {
				d.drop(pkt.Timestamp, pkt.Marker)
			}
			return nil, err
		case pkt.Timestamp != d.ts:
			done = d.finish()
		}
	}

	d.ts = pkt.Timestamp
	if err := d.add(pkt.Payload); err != nil {
		d.drop(pkt.Timestamp, pkt.Marker)
		if done != nil {
			// Hand out the good frame; this broken one is skipped.
			return done, nil
		}
		return nil, err
	}
	if pkt.Marker && done == nil {
		return d.finish(), nil
	}
	// With done set, two frames ended at once (the previous one had no
	// marker): this one waits for the next timestamp change.
	return done, nil
}
