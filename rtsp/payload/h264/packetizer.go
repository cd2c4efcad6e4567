package h264

import (
	"encoding/binary"
	"errors"
	"fmt"

	mch264 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"rtspcam/rtsp/payload"
)

// fuHeaderSize is the FU indicator plus the FU header.
const fuHeaderSize = 2

// packetizer splits access units into single NAL unit, STAP-A and FU-A
// payloads. Its buffers are sized once, so Packetize does not allocate
// once the parameter sets and the NAL list have reached their size.
type packetizer struct {
	maxPayload int
	sps, pps   []byte   // latest parameter sets, owned copies
	nalus      [][]byte // scratch: the NAL units to send for one AU
	buf        []byte   // scratch: one STAP-A or FU-A payload
}

func newPacketizer(maxPayload int, sps, pps []byte) *packetizer {
	if maxPayload <= 0 {
		maxPayload = payload.MaxPayloadSize
	}
	return &packetizer{
		maxPayload: maxPayload,
		sps:        append([]byte(nil), sps...),
		pps:        append([]byte(nil), pps...),
		nalus:      make([][]byte, 0, 16),
		buf:        make([]byte, maxPayload),
	}
}

// Packetize sends au, dropping access unit delimiters and putting the
// latest known SPS/PPS before a random access AU that lacks them.
func (p *packetizer) Packetize(au [][]byte, key bool, emit payload.Emit) error {
	if p.maxPayload <= fuHeaderSize {
		return fmt.Errorf("h264: max payload %d too small", p.maxPayload)
	}
	hasSPS, hasPPS, hasIDR := false, false, false
	for _, nalu := range au {
		if len(nalu) == 0 {
			continue
		}
		switch typ := mch264.NALUType(nalu[0] & 0x1f); typ {
		case mch264.NALUTypeSPS:
			hasSPS = true
			p.sps = append(p.sps[:0], nalu...)
		case mch264.NALUTypePPS:
			hasPPS = true
			p.pps = append(p.pps[:0], nalu...)
		case mch264.NALUTypeIDR:
			hasIDR = true
		default:
			if typ == 0 || typ >= mch264.NALUTypeSTAPA {
				return fmt.Errorf("h264: NAL unit type %d not allowed in an access unit", typ)
			}
		}
	}

	insert := key || hasIDR
	needSPS := insert && !hasSPS && len(p.sps) > 0
	needPPS := insert && !hasPPS && len(p.pps) > 0
	nalus := p.nalus[:0]
	if needSPS {
		nalus = append(nalus, p.sps)
	}
	for _, nalu := range au {
		if len(nalu) == 0 {
			continue
		}
		typ := mch264.NALUType(nalu[0] & 0x1f)
		if typ == mch264.NALUTypeAccessUnitDelimiter {
			continue
		}
		if needPPS && typ != mch264.NALUTypeSPS {
			nalus = append(nalus, p.pps)
			needPPS = false
		}
		nalus = append(nalus, nalu)
	}
	if needPPS {
		nalus = append(nalus, p.pps)
	}
	p.nalus = nalus[:0]
	if len(nalus) == 0 {
		return errors.New("h264: empty access unit")
	}

	for i := 0; i < len(nalus); {
		nalu := nalus[i]
		if len(nalu) > p.maxPayload {
			p.sendFUA(nalu, i == len(nalus)-1, emit)
			i++
			continue
		}
		// Aggregate the following NAL units while they fit: one STAP-A
		// replaces n packets by one.
		size := 1 + 2 + len(nalu)
		j := i + 1
		for j < len(nalus) && size+2+len(nalus[j]) <= p.maxPayload && len(nalus[j]) <= 0xffff && len(nalu) <= 0xffff {
			size += 2 + len(nalus[j])
			j++
		}
		last := j == len(nalus)
		if j-i == 1 {
			emit(nalu, last, 0)
		} else {
			emit(p.stapA(nalus[i:j], size), last, 0)
		}
		i = j
	}
	clear(nalus) // do not keep the caller's buffers alive
	return nil
}

// stapA writes a STAP-A of nalus (size bytes in all) into p.buf.
func (p *packetizer) stapA(nalus [][]byte, size int) []byte {
	buf := p.buf[:size]
	var f, nri byte
	n := 1
	for _, nalu := range nalus {
		f |= nalu[0] & 0x80
		nri = max(nri, nalu[0]&0x60)
		binary.BigEndian.PutUint16(buf[n:], uint16(len(nalu)))
		n += 2
		n += copy(buf[n:], nalu)
	}
	buf[0] = f | nri | byte(mch264.NALUTypeSTAPA)
	return buf
}

// sendFUA fragments one NAL unit; the NAL header travels split between
// the FU indicator (F, NRI) and the FU header (type).
func (p *packetizer) sendFUA(nalu []byte, lastOfAU bool, emit payload.Emit) {
	indicator := nalu[0]&0xe0 | byte(mch264.NALUTypeFUA)
	typ := nalu[0] & 0x1f
	data := nalu[1:]
	chunk := p.maxPayload - fuHeaderSize
	start := byte(0x80)
	for len(data) > 0 {
		n := min(chunk, len(data))
		header := start | typ
		end := n == len(data)
		if end {
			header |= 0x40
		}
		p.buf[0] = indicator
		p.buf[1] = header
		copy(p.buf[fuHeaderSize:], data[:n])
		emit(p.buf[:fuHeaderSize+n], end && lastOfAU, 0)
		data = data[n:]
		start = 0
	}
}
