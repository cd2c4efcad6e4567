package file

import (
	"encoding/binary"
	"errors"
)

const (
	tsPacketSize = 188
	tsSyncByte   = 0x47
	tsClock      = 90000
	tsWrap       = int64(1) << 33
)

// tsPacket is the part of a transport packet header the demuxer uses.
type tsPacket struct {
	pid     uint16
	start   bool   // payload_unit_start_indicator
	payload []byte // aliases the packet
}

var errTSPacket = errors.New("malformed transport packet")

// parseTSPacket reads the header of one 188-byte packet.
func parseTSPacket(b []byte) (tsPacket, error) {
	if len(b) != tsPacketSize || b[0] != tsSyncByte {
		return tsPacket{}, errTSPacket
	}
	p := tsPacket{
		pid:   binary.BigEndian.Uint16(b[1:]) & 0x1FFF,
		start: b[1]&0x40 != 0,
	}
	afc := (b[3] >> 4) & 3
	body := b[4:]
	if afc&2 != 0 {
		n := int(body[0])
		if 1+n > len(body) {
			return tsPacket{}, errTSPacket
		}
		body = body[1+n:]
	}
	if afc&1 != 0 {
		p.payload = body
	}
	return p, nil
}

// psiSection returns the section of a PSI payload that starts in this
// packet (pointer field skipped), cut at its length, or nil.
func psiSection(p tsPacket) []byte {
	if !p.start || len(p.payload) < 1 {
		return nil
	}
	ptr := int(p.payload[0])
	b := p.payload[1:]
	if ptr+3 > len(b) {
		return nil
	}
	b = b[ptr:]
	n := int(binary.BigEndian.Uint16(b[1:]) & 0x0FFF)
	if 3+n > len(b) || n < 9 {
		return nil // sections spanning packets are not needed for PAT/PMT of files
	}
	return b[:3+n-4] // without CRC
}

// tsStream is one elementary stream listed by the PMT.
type tsStream struct {
	pid        uint16
	streamType uint8
	opus       bool // private stream registered as Opus
}

// parsePAT returns the PMT PID of the first program.
func parsePAT(sec []byte) (uint16, bool) {
	if len(sec) < 8 || sec[0] != 0x00 {
		return 0, false
	}
	for b := sec[8:]; len(b) >= 4; b = b[4:] {
		prog := binary.BigEndian.Uint16(b)
		if prog != 0 {
			return binary.BigEndian.Uint16(b[2:]) & 0x1FFF, true
		}
	}
	return 0, false
}

// parsePMT lists the elementary streams of a program map section.
func parsePMT(sec []byte) ([]tsStream, bool) {
	if len(sec) < 12 || sec[0] != 0x02 {
		return nil, false
	}
	info := int(binary.BigEndian.Uint16(sec[10:]) & 0x0FFF)
	if 12+info > len(sec) {
		return nil, false
	}
	var out []tsStream
	for b := sec[12+info:]; len(b) >= 5; {
		s := tsStream{streamType: b[0], pid: binary.BigEndian.Uint16(b[1:]) & 0x1FFF}
		n := int(binary.BigEndian.Uint16(b[3:]) & 0x0FFF)
		if 5+n > len(b) {
			break
		}
		for d := b[5 : 5+n]; len(d) >= 2; {
			l := int(d[1])
			if 2+l > len(d) {
				break
			}
			if d[0] == 0x05 && l >= 4 && string(d[2:6]) == "Opus" {
				s.opus = true
			}
			d = d[2+l:]
		}
		out = append(out, s)
		b = b[5+n:]
		if len(out) == MaxTracks {
			break
		}
	}
	return out, true
}

// pesHeader is the parsed header of a PES packet.
type pesHeader struct {
	pts, dts      int64 // 90 kHz, 33 bits; dts = pts when absent
	hasPTS        bool
	length        int // PES_packet_length (0: unbounded)
	payloadOffset int
}

// parsePES reads the PES header at the start of b.
func parsePES(b []byte) (pesHeader, bool) {
	if len(b) < 9 || b[0] != 0 || b[1] != 0 || b[2] != 1 {
		return pesHeader{}, false
	}
	h := pesHeader{length: int(binary.BigEndian.Uint16(b[4:]))}
	hl := int(b[8])
	if 9+hl > len(b) {
		return pesHeader{}, false
	}
	h.payloadOffset = 9 + hl
	flags := b[7] >> 6
	if flags&2 != 0 && hl >= 5 {
		h.pts = readTimestamp(b[9:])
		h.dts = h.pts
		h.hasPTS = true
		if flags&1 != 0 && hl >= 10 {
			h.dts = readTimestamp(b[14:])
		}
	}
	return h, true
}

func readTimestamp(b []byte) int64 {
	return int64(b[0]>>1&0x07)<<30 | int64(b[1])<<22 | int64(b[2]>>1)<<15 | int64(b[3])<<7 | int64(b[4]>>1)
}

// tsUnwrap turns 33-bit timestamps into a monotonic 64-bit timeline,
// assuming consecutive timestamps are less than half the range apart.
type tsUnwrap struct {
	ref  int64
	have bool
}

func (u *tsUnwrap) unwrap(x int64) int64 {
	if !u.have {
		u.ref, u.have = x, true
		return x
	}
	diff := (x - u.ref) % tsWrap
	if diff < 0 {
		diff += tsWrap
	}
	if diff >= tsWrap/2 {
		diff -= tsWrap
	}
	v := u.ref + diff
	if diff > 0 {
		u.ref = v
	}
	return v
}
