package pusher

import (
	"encoding/binary"
	"errors"
	"io"

	"rtspcam/rtsp/stream"
)

// The TCP pusher's framing, from the vendor's manual: every RTP packet is
// led by '$' (0x24), channel 0 and a 16-bit big-endian length counting the
// RTP header and payload.
const (
	FrameMagic   = 0x24
	FrameChannel = 0
	FrameHeader  = 4
)

// MaxPacket is the largest RTP packet a pusher relays (what the path's
// relay takes); larger ones are dropped and counted.
const MaxPacket = stream.MaxRelayedPacket

// minRTP is the fixed RTP header.
const minRTP = 12

// Drops count the packets a pusher refused, by reason.
type Drops struct {
	// Framing counts losses of framing (a byte that should have been the
	// magic was not; one per resync run) and frames on another channel.
	Framing uint64
	// Short counts frames or datagrams shorter than an RTP header.
	Short uint64
	// Oversized counts packets larger than MaxPacket.
	Oversized uint64
	// Malformed counts packets that are not RTP version 2, whose header
	// runs past their end, or that are RTCP.
	Malformed uint64
	// Refused counts packets the relay refused.
	Refused uint64
}

// FrameReader reads the TCP pusher's framed RTP packets from a byte
// stream. Bad frames are skipped and counted; after a wrong magic it
// resynchronises on the next '$'. It allocates nothing after NewFrameReader.
type FrameReader struct {
	r          io.Reader
	buf        []byte
	start, end int
	skip       int  // bytes of a refused frame still to discard
	lost       bool // in a resync run: count it once
	Drops      Drops
}

// NewFrameReader returns a reader of r.
func NewFrameReader(r io.Reader) *FrameReader {
	return &FrameReader{r: r, buf: make([]byte, 16<<10)}
}

// Reset makes the reader read r from scratch, keeping its buffer and
// counters.
func (fr *FrameReader) Reset(r io.Reader) {
	fr.r, fr.start, fr.end, fr.skip, fr.lost = r, 0, 0, 0, false
}

// errShortBuffer cannot happen: the buffer holds a whole frame.
var errShortBuffer = errors.New("pusher: frame buffer too small")

// fill makes at least n bytes available from start.
func (fr *FrameReader) fill(n int) error {
	if fr.end-fr.start >= n {
		return nil
	}
	if n > len(fr.buf) {
		return errShortBuffer
	}
	if len(fr.buf)-fr.start < n {
		fr.end = copy(fr.buf, fr.buf[fr.start:fr.end])
		fr.start = 0
	}
	for fr.end-fr.start < n {
		m, err := fr.r.Read(fr.buf[fr.end:])
		fr.end += m
		if err != nil {
			if fr.end-fr.start >= n {
				return nil
			}
			if errors.Is(err, io.EOF) && fr.end > fr.start {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// Next returns the next valid RTP packet; the slice is valid until the
// next call. It returns the reader's error (io.EOF at a clean end) when
// the stream ends.
func (fr *FrameReader) Next() ([]byte, error) {
	for {
		for fr.skip > 0 {
			if fr.start == fr.end {
				fr.start, fr.end = 0, 0
				if err := fr.fill(1); err != nil {
					return nil, err
				}
			}
			n := min(fr.skip, fr.end-fr.start)
			fr.start += n
			fr.skip -= n
		}
		if err := fr.fill(FrameHeader); err != nil {
			return nil, err
		}
		h := fr.buf[fr.start : fr.start+FrameHeader]
		if h[0] != FrameMagic {
			if !fr.lost {
				fr.lost = true
				fr.Drops.Framing++
			}
			fr.start++
			continue
		}
		size := int(binary.BigEndian.Uint16(h[2:]))
		if fr.lost {
			// Looking for the next frame: a '$' inside a payload is not
			// one, so take it only when a whole valid RTP packet follows.
			if h[1] != FrameChannel || size < minRTP || size > MaxPacket {
				fr.start++
				continue
			}
			if err := fr.fill(FrameHeader + size); err != nil {
				return nil, err
			}
			pkt := fr.buf[fr.start+FrameHeader : fr.start+FrameHeader+size]
			if !ValidRTP(pkt) {
				fr.start++
				continue
			}
			fr.lost = false
			fr.start += FrameHeader + size
			return pkt, nil
		}
		fr.start += FrameHeader
		switch {
		case h[1] != FrameChannel:
			// A frame on another channel (RTCP, say): not ours.
			fr.Drops.Framing++
			fr.skip = size
			continue
		case size < minRTP:
			fr.Drops.Short++
			fr.skip = size
			continue
		case size > MaxPacket:
			fr.Drops.Oversized++
			fr.skip = size
			continue
		}
		if err := fr.fill(size); err != nil {
			return nil, err
		}
		pkt := fr.buf[fr.start : fr.start+size]
		fr.start += size
		if !ValidRTP(pkt) {
			fr.Drops.Malformed++
			continue
		}
		return pkt, nil
	}
}

// ValidRTP tells whether b is an RTP version 2 packet whose header, CSRCs,
// extension and padding fit in it, and is not RTCP (payload types 72–76
// with the marker bit, as RFC 5761 tells them apart).
func ValidRTP(b []byte) bool {
	if len(b) < minRTP || b[0]>>6 != 2 {
		return false
	}
	if pt := b[1] & 0x7f; pt >= 72 && pt <= 76 {
		return false
	}
	n := minRTP + 4*int(b[0]&0x0f)
	if b[0]&0x10 != 0 {
		if len(b) < n+4 {
			return false
		}
		n += 4 + 4*int(binary.BigEndian.Uint16(b[n+2:]))
	}
	if len(b) < n {
		return false
	}
	if b[0]&0x20 != 0 {
		pad := int(b[len(b)-1])
		if pad == 0 || n+pad > len(b) {
			return false
		}
	}
	return true
}
