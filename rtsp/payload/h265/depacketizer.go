package h265

import (
	"encoding/binary"
	"fmt"

	mch265 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
)

// depacketizer joins single NAL unit, aggregation (AP) and fragmentation
// (FU) payloads into access units. An access unit ends on the marker bit
// or when the timestamp changes. Two buffers alternate so that the AU returned on a timestamp
// change stays valid while the next one starts.
type depacketizer struct {
	bufs    [2]accessUnit
	cur     *accessUnit // the AU being assembled
	ts      uint32      // timestamp of cur
	fuStart int         // start of the NAL unit being defragmented, -1 if none

	haveSeq bool
	nextSeq uint16

	skipping bool   // dropping the rest of a broken AU
	skipTS   uint32 // its timestamp
}

func newDepacketizer() *depacketizer {
	d := &depacketizer{fuStart: -1}
	d.cur = &d.bufs[0]
	return d
}

func (d *depacketizer) pending() bool {
	return len(d.cur.spans) > 0 || d.fuStart >= 0
}

// drop forgets the partial AU and ignores further packets of timestamp ts
// unless this packet already ended that AU.
func (d *depacketizer) drop(ts uint32, marker bool) {
	d.cur.reset()
	d.fuStart = -1
	d.skipping = !marker
	d.skipTS = ts
}

// finish hands out the assembled AU and switches to the other buffer.
func (d *depacketizer) finish() [][]byte {
	done := d.cur
	if done == &d.bufs[0] {
		d.cur = &d.bufs[1]
	} else {
		d.cur = &d.bufs[0]
	}
	d.cur.reset()
	return done.nalus()
}

// Depacketize consumes one RTP packet; see payload.Depacketizer.
func (d *depacketizer) Depacketize(pkt *rtp.Packet) ([][]byte, error) {
	if pkt == nil {
		return nil, fmt.Errorf("h265: nil packet: %w", payload.ErrMalformed)
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
	if d.pending() {
		switch {
		case lost:
			sameAU := pkt.Timestamp == d.ts
			d.drop(pkt.Timestamp, !sameAU || pkt.Marker)
			err := fmt.Errorf("h265: packet lost, access unit dropped: %w", payload.ErrMalformed)
			if sameAU {
				return nil, err
			}
			return nil, d.startAfterError(pkt, err)
		case pkt.Timestamp != d.ts:
			if d.fuStart >= 0 {
				d.drop(d.ts, true)
				err := fmt.Errorf("h265: FU without end: %w", payload.ErrMalformed)
				return nil, d.startAfterError(pkt, err)
			}
			done = d.finish()
		}
	}

	d.ts = pkt.Timestamp
	if err := d.add(pkt.Payload); err != nil {
		d.drop(pkt.Timestamp, pkt.Marker)
		if done != nil {
			// Hand out the good AU; this broken one is skipped.
			return done, nil
		}
		return nil, err
	}
	if pkt.Marker {
		if d.fuStart >= 0 {
			d.drop(pkt.Timestamp, true)
			if done != nil {
				return done, nil
			}
			return nil, fmt.Errorf("h265: marker inside FU: %w", payload.ErrMalformed)
		}
		if done == nil {
			return d.finish(), nil
		}
		// Two AUs complete at once (the previous one had no marker): this
		// one waits for the next timestamp change.
	}
	return done, nil
}

// startAfterError feeds pkt as the first packet of a new AU after the
// previous one was dropped, and returns err in any case.
func (d *depacketizer) startAfterError(pkt *rtp.Packet, err error) error {
	d.ts = pkt.Timestamp
	if perr := d.add(pkt.Payload); perr != nil {
		d.drop(pkt.Timestamp, pkt.Marker)
		return err
	}
	// A complete AU stays pending until the next timestamp change, so
	// that this call reports only the error.
	return err
}

// add appends the NAL units or fragment of one payload to cur.
func (d *depacketizer) add(p []byte) error {
	if len(p) < naluHeaderSize {
		return fmt.Errorf("h265: payload of %d bytes: %w", len(p), payload.ErrMalformed)
	}
	typ := naluType(p)
	if d.fuStart >= 0 && typ != mch265.NALUType_FragmentationUnit {
		return fmt.Errorf("h265: type %d inside FU: %w", typ, payload.ErrMalformed)
	}
	switch {
	case typ < mch265.NALUType_AggregationUnit:
		return d.appendNALU(p)

	case typ == mch265.NALUType_AggregationUnit:
		if len(p) == naluHeaderSize {
			return fmt.Errorf("h265: AP: empty: %w", payload.ErrMalformed)
		}
		// Check the whole packet first so a bad one adds nothing.
		for rest := p[naluHeaderSize:]; len(rest) > 0; {
			if len(rest) < 2 {
				return fmt.Errorf("h265: AP: truncated size: %w", payload.ErrMalformed)
			}
			n := int(binary.BigEndian.Uint16(rest))
			if n < naluHeaderSize || 2+n > len(rest) {
				return fmt.Errorf("h265: AP: bad NAL unit size %d: %w", n, payload.ErrMalformed)
			}
			rest = rest[2+n:]
		}
		for rest := p[naluHeaderSize:]; len(rest) > 0; {
			n := int(binary.BigEndian.Uint16(rest))
			if err := d.appendNALU(rest[2 : 2+n]); err != nil {
				return err
			}
			rest = rest[2+n:]
		}
		return nil

	case typ == mch265.NALUType_FragmentationUnit:
		return d.addFU(p)

	default:
		return fmt.Errorf("h265: packet type %d not supported: %w", typ, payload.ErrMalformed)
	}
}

func (d *depacketizer) addFU(p []byte) error {
	if len(p) < fuHeadersSize {
		return fmt.Errorf("h265: FU: too short: %w", payload.ErrMalformed)
	}
	start, end := p[2]&0x80 != 0, p[2]&0x40 != 0
	switch {
	case start && d.fuStart >= 0:
		return fmt.Errorf("h265: FU: start inside a fragmented NAL unit: %w", payload.ErrMalformed)
	case !start && d.fuStart < 0:
		return fmt.Errorf("h265: FU: fragment without start: %w", payload.ErrMalformed)
	}
	a := d.cur
	if start {
		if err := d.room(naluHeaderSize + len(p) - fuHeadersSize); err != nil {
			return err
		}
		d.fuStart = len(a.data)
		a.data = append(a.data, p[0]&0x81|(p[2]&0x3f)<<1, p[1])
	} else if err := d.room(len(p) - fuHeadersSize); err != nil {
		return err
	}
	a.data = append(a.data, p[fuHeadersSize:]...)
	if end {
		a.spans = append(a.spans, span{d.fuStart, len(a.data)})
		d.fuStart = -1
	}
	return nil
}

// room checks that n more bytes and one more NAL unit fit the limits.
func (d *depacketizer) room(n int) error {
	if len(d.cur.data)+n > payload.MaxAccessUnitSize {
		return fmt.Errorf("h265: access unit over %d bytes: %w", payload.MaxAccessUnitSize, payload.ErrTooLarge)
	}
	if len(d.cur.spans) >= MaxNALUnits {
		return fmt.Errorf("h265: access unit over %d NAL units: %w", MaxNALUnits, payload.ErrTooLarge)
	}
	return nil
}

func (d *depacketizer) appendNALU(nalu []byte) error {
	if err := d.room(len(nalu)); err != nil {
		return err
	}
	a := d.cur
	start := len(a.data)
	a.data = append(a.data, nalu...)
	a.spans = append(a.spans, span{start, len(a.data)})
	return nil
}
