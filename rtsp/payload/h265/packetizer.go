package h265

import (
	"encoding/binary"
	"errors"
	"fmt"

	mch265 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"rtspcam/rtsp/payload"
)

const (
	naluHeaderSize = 2
	// fuHeadersSize is the payload header plus the FU header.
	fuHeadersSize = 3
)

// packetizer splits access units into single NAL unit, aggregation (AP)
// and fragmentation (FU) payloads. Its buffers are sized once, so
// Packetize does not allocate once the parameter sets and the NAL list
// have reached their size.
type packetizer struct {
	maxPayload int
	params     [3][]byte // latest VPS, SPS, PPS, owned copies
	nalus      [][]byte  // scratch: the NAL units to send for one AU
	buf        []byte    // scratch: one AP or FU payload
}

func newPacketizer(maxPayload int, vps, sps, pps []byte) *packetizer {
	if maxPayload <= 0 {
		maxPayload = payload.MaxPayloadSize
	}
	return &packetizer{
		maxPayload: maxPayload,
		params:     [3][]byte{append([]byte(nil), vps...), append([]byte(nil), sps...), append([]byte(nil), pps...)},
		nalus:      make([][]byte, 0, 16),
		buf:        make([]byte, maxPayload),
	}
}

// paramRank orders parameter sets as they must appear: VPS 0, SPS 1,
// PPS 2, anything else 3.
func paramRank(typ mch265.NALUType) int {
	switch typ {
	case mch265.NALUType_VPS_NUT:
		return 0
	case mch265.NALUType_SPS_NUT:
		return 1
	case mch265.NALUType_PPS_NUT:
		return 2
	}
	return 3
}

// Packetize sends au, dropping access unit delimiters and putting the
// latest known VPS/SPS/PPS before a random access AU that lacks them.
func (p *packetizer) Packetize(au [][]byte, key bool, emit payload.Emit) error {
	if p.maxPayload <= fuHeadersSize {
		return fmt.Errorf("h265: max payload %d too small", p.maxPayload)
	}
	var has [3]bool
	irap := false
	for _, nalu := range au {
		if len(nalu) == 0 {
			continue
		}
		if len(nalu) < naluHeaderSize {
			return fmt.Errorf("h265: NAL unit of %d byte", len(nalu))
		}
		typ := naluType(nalu)
		if typ >= mch265.NALUType_AggregationUnit {
			return fmt.Errorf("h265: NAL unit type %d not allowed in an access unit", typ)
		}
		if r := paramRank(typ); r < 3 {
			has[r] = true
			p.params[r] = append(p.params[r][:0], nalu...)
		}
		irap = irap || isIRAP(typ)
	}

	var need [3]bool
	if key || irap {
		for r := range need {
			need[r] = !has[r] && len(p.params[r]) > 0
		}
	}
	nalus := p.nalus[:0]
	for _, nalu := range au {
		if len(nalu) == 0 || naluType(nalu) == mch265.NALUType_AUD_NUT {
			continue
		}
		rank := paramRank(naluType(nalu))
		for r := 0; r < rank; r++ {
			if need[r] {
				nalus = append(nalus, p.params[r])
				need[r] = false
			}
		}
		nalus = append(nalus, nalu)
	}
	for r := range need {
		if need[r] {
			nalus = append(nalus, p.params[r])
		}
	}
	p.nalus = nalus[:0]
	if len(nalus) == 0 {
		return errors.New("h265: empty access unit")
	}

	for i := 0; i < len(nalus); {
		nalu := nalus[i]
		if len(nalu) > p.maxPayload {
			p.sendFU(nalu, i == len(nalus)-1, emit)
			i++
			continue
		}
		// Aggregate the following NAL units while they fit: one AP
		// replaces n packets by one.
		size := naluHeaderSize + 2 + len(nalu)
		j := i + 1
		for j < len(nalus) && size+2+len(nalus[j]) <= p.maxPayload && len(nalus[j]) <= 0xffff && len(nalu) <= 0xffff {
			size += 2 + len(nalus[j])
			j++
		}
		last := j == len(nalus)
		if j-i == 1 {
			emit(nalu, last, 0)
		} else {
			emit(p.aggregate(nalus[i:j], size), last, 0)
		}
		i = j
	}
	clear(nalus) // do not keep the caller's buffers alive
	return nil
}

// aggregate writes an AP of nalus (size bytes in all) into p.buf. Its
// header has F set if any unit has it and the lowest layer and temporal
// ids (RFC 7798 4.4.2).
func (p *packetizer) aggregate(nalus [][]byte, size int) []byte {
	buf := p.buf[:size]
	var f byte
	layer, tid := uint16(0x3f), byte(7)
	n := naluHeaderSize
	for _, nalu := range nalus {
		f |= nalu[0] & 0x80
		layer = min(layer, uint16(nalu[0]&1)<<5|uint16(nalu[1]>>3))
		tid = min(tid, nalu[1]&7)
		binary.BigEndian.PutUint16(buf[n:], uint16(len(nalu)))
		n += 2
		n += copy(buf[n:], nalu)
	}
	buf[0] = f | byte(mch265.NALUType_AggregationUnit)<<1 | byte(layer>>5)
	buf[1] = byte(layer&0x1f)<<3 | tid
	return buf
}

// sendFU fragments one NAL unit: the payload header is the NAL header
// with type 49, the FU header carries the real type.
func (p *packetizer) sendFU(nalu []byte, lastOfAU bool, emit payload.Emit) {
	h0 := nalu[0]&0x81 | byte(mch265.NALUType_FragmentationUnit)<<1
	h1 := nalu[1]
	typ := byte(naluType(nalu))
	data := nalu[naluHeaderSize:]
	chunk := p.maxPayload - fuHeadersSize
	start := byte(0x80)
	for len(data) > 0 {
		n := min(chunk, len(data))
		header := start | typ
		end := n == len(data)
		if end {
			header |= 0x40
		}
		p.buf[0], p.buf[1], p.buf[2] = h0, h1, header
		copy(p.buf[fuHeadersSize:], data[:n])
		emit(p.buf[:fuHeadersSize+n], end && lastOfAU, 0)
		data = data[n:]
		start = 0
	}
}
