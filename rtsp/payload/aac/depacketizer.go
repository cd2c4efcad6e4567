package aac

import (
	"errors"
	"fmt"

	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
)

// depacketizer reads RFC 3640 AU headers and returns the frames of each
// packet, or joins the fragments of one frame. Whole frames are returned
// as sub-slices of the packet, fragments are joined in an owned buffer.
type depacketizer struct {
	sizeLen, indexLen, deltaLen int

	frames [][]byte // scratch: the returned frames
	sizes  []int    // scratch: the AU sizes of one packet

	// fragment being joined
	frag     []byte
	fragSize int // full size from the AU header; 0 when not joining
	fragTS   uint32
	fragSeq  uint16
}

func newDepacketizer(sizeLen, indexLen, deltaLen int) *depacketizer {
	return &depacketizer{sizeLen: sizeLen, indexLen: indexLen, deltaLen: deltaLen}
}

var errFragmentLost = errors.New("aac: fragment lost")

// Depacketize returns the frames of pkt, or the frame whose last fragment
// pkt completes. Interleaving indices are read but not used: frames come
// back in packet order. When a fragment is lost the partial frame is
// dropped with an error; a packet that starts something new is still
// read.
func (d *depacketizer) Depacketize(pkt *rtp.Packet) ([][]byte, error) {
	sizes, data, err := d.readHeaders(pkt.Payload)
	if err != nil {
		d.fragSize = 0
		return nil, err
	}

	joining := d.fragSize != 0
	lost := false
	if joining && (len(sizes) != 1 || pkt.Timestamp != d.fragTS || pkt.SequenceNumber != d.fragSeq+1 ||
		sizes[0] != d.fragSize) {
		// The frame being joined lost its end: drop it and read this
		// packet afresh.
		d.fragSize, joining, lost = 0, false, true
	}
	if joining || (len(sizes) == 1 && sizes[0] > len(data)) {
		if lost && d.fragTS == pkt.Timestamp {
			// Same frame, a fragment in the middle went missing.
			return nil, fmt.Errorf("%w before packet %d", errFragmentLost, pkt.SequenceNumber)
		}
		frames, err := d.joinFragment(pkt, sizes[0], data)
		if err == nil && frames == nil && lost {
			err = fmt.Errorf("%w before packet %d", errFragmentLost, pkt.SequenceNumber)
		}
		return frames, err
	}

	d.frames = d.frames[:0]
	for _, n := range sizes {
		if n > len(data) {
			return nil, fmt.Errorf("aac: AU of %d bytes, %d left: %w", n, len(data), payload.ErrMalformed)
		}
		d.frames = append(d.frames, data[:n])
		data = data[n:]
	}
	return d.frames, nil
}

// joinFragment adds one fragment of a size-byte frame.
func (d *depacketizer) joinFragment(pkt *rtp.Packet, size int, data []byte) ([][]byte, error) {
	if d.fragSize == 0 {
		if size > payload.MaxAccessUnitSize {
			return nil, fmt.Errorf("aac: %d-byte frame: %w", size, payload.ErrTooLarge)
		}
		d.frag = d.frag[:0]
		d.fragSize = size
		d.fragTS = pkt.Timestamp
	}
	d.fragSeq = pkt.SequenceNumber
	if len(d.frag)+len(data) > d.fragSize {
		d.fragSize = 0
		return nil, fmt.Errorf("aac: fragments exceed the %d-byte frame: %w", size, payload.ErrMalformed)
	}
	d.frag = append(d.frag, data...)
	if len(d.frag) < d.fragSize {
		if pkt.Marker {
			d.fragSize = 0
			return nil, fmt.Errorf("aac: frame ends at %d of %d bytes: %w", len(d.frag), size, payload.ErrMalformed)
		}
		return nil, nil
	}
	d.fragSize = 0
	d.frames = append(d.frames[:0], d.frag)
	return d.frames, nil
}

// readHeaders parses the AU-headers section: it returns the AU sizes (in
// a scratch slice) and the data after the section.
func (d *depacketizer) readHeaders(b []byte) ([]int, []byte, error) {
	if len(b) < 2 {
		return nil, nil, fmt.Errorf("aac: %d-byte payload: %w", len(b), payload.ErrMalformed)
	}
	bits := int(b[0])<<8 | int(b[1])
	n := (bits + 7) / 8
	if bits == 0 || 2+n > len(b) {
		return nil, nil, fmt.Errorf("aac: AU-headers-length %d bits: %w", bits, payload.ErrMalformed)
	}
	first := d.sizeLen + d.indexLen
	others := d.sizeLen + d.deltaLen
	if bits < first || (bits-first)%others != 0 {
		return nil, nil, fmt.Errorf("aac: AU-headers-length %d bits is not whole headers: %w", bits, payload.ErrMalformed)
	}
	count := 1 + (bits-first)/others
	if count > MaxFramesPerPacket {
		return nil, nil, fmt.Errorf("aac: %d AU headers: %w", count, payload.ErrTooLarge)
	}
	hdr := b[2 : 2+n]
	sizes := d.sizes[:0]
	pos := 0
	for i := range count {
		sizes = append(sizes, int(getBits(hdr, pos, d.sizeLen)))
		pos += d.sizeLen
		if i == 0 {
			pos += d.indexLen
		} else {
			pos += d.deltaLen
		}
		if sizes[i] == 0 {
			return nil, nil, fmt.Errorf("aac: empty AU: %w", payload.ErrMalformed)
		}
	}
	d.sizes = sizes
	return sizes, b[2+n:], nil
}

// getBits reads n bits at bit position pos of b, most significant first.
func getBits(b []byte, pos, n int) uint32 {
	var v uint32
	for range n {
		v = v<<1 | uint32(b[pos>>3]>>(7-uint(pos&7))&1)
		pos++
	}
	return v
}
