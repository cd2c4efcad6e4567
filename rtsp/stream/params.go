package stream

import (
	"bytes"
	"encoding/binary"

	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/h264"
	"rtspcam/rtsp/payload/h265"
	"rtspcam/rtsp/payload/mpeg4v"
)

// MaxParamSet bounds a parameter set (or MPEG-4 config) a relay learns
// from the stream; larger ones are not learnt.
const MaxParamSet = 1024

// Parameter-set slots of paramSets.sets.
const (
	psH264SPS = 0
	psH264PPS = 1
	psH265VPS = 0
	psH265SPS = 1
	psH265PPS = 2
	psConfig  = 0
)

// paramSets learns a relayed video track's parameter sets from its
// packets — H.264 SPS/PPS and H.265 VPS/SPS/PPS in single NAL unit,
// aggregation and fragmentation packets, the MPEG-4 visual config
// (VOS/VO/VOL headers) before a VOP — so that the SDP later readers get
// carries them even when the publisher's SDP did not. It runs under the
// stream's lock; it compares in place and copies only when a set changes.
type paramSets struct {
	kind keyKind
	sets [3][]byte
	// a parameter set arriving in fragments, joined here
	frag     [MaxParamSet]byte
	fragN    int
	fragSlot int // -1: none being joined
}

// newParamSets starts from what the announced format carries; nil for
// formats without parameter sets.
func newParamSets(f payload.Format) *paramSets {
	ps := &paramSets{kind: keyKindOf(f), fragSlot: -1}
	switch f := f.(type) {
	case *h264.Format:
		ps.sets[psH264SPS], ps.sets[psH264PPS] = f.SPS, f.PPS
	case *h265.Format:
		ps.sets[psH265VPS], ps.sets[psH265SPS], ps.sets[psH265PPS] = f.VPS, f.SPS, f.PPS
	case *mpeg4v.Format:
		ps.sets[psConfig] = f.Config
	default:
		return nil
	}
	return ps
}

// learn looks at one RTP payload and reports whether a set changed.
func (ps *paramSets) learn(pl []byte) bool {
	switch ps.kind {
	case keyH264:
		return ps.learnH264(pl)
	case keyH265:
		return ps.learnH265(pl)
	case keyMP4V:
		return ps.learnMP4V(pl)
	}
	return false
}

func h264Slot(hdr byte) int {
	switch hdr & 0x1f {
	case 7:
		return psH264SPS
	case 8:
		return psH264PPS
	}
	return -1
}

func (ps *paramSets) learnH264(pl []byte) bool {
	if len(pl) < 2 {
		return false
	}
	switch pl[0] & 0x1f {
	case 24: // STAP-A
		changed := false
		for b := pl[1:]; len(b) > 2; {
			n := int(binary.BigEndian.Uint16(b))
			if n == 0 || n > len(b)-2 {
				break
			}
			if nalu := b[2 : 2+n]; h264Slot(nalu[0]) >= 0 {
				changed = ps.set(h264Slot(nalu[0]), nalu) || changed
			}
			b = b[2+n:]
		}
		return changed
	case 28: // FU-A: FU indicator, FU header, fragment
		fu := pl[1]
		hdr := pl[0]&0xe0 | fu&0x1f
		return ps.fragment(h264Slot(hdr), fu&0x80 != 0, fu&0x40 != 0, []byte{hdr}, pl[2:])
	default:
		if s := h264Slot(pl[0]); s >= 0 {
			return ps.set(s, pl)
		}
	}
	return false
}

func h265Slot(typ byte) int {
	switch typ {
	case 32:
		return psH265VPS
	case 33:
		return psH265SPS
	case 34:
		return psH265PPS
	}
	return -1
}

func (ps *paramSets) learnH265(pl []byte) bool {
	if len(pl) < 3 {
		return false
	}
	switch t := (pl[0] >> 1) & 0x3f; t {
	case 48: // aggregation packet
		changed := false
		for b := pl[2:]; len(b) > 3; {
			n := int(binary.BigEndian.Uint16(b))
			if n < 2 || n > len(b)-2 {
				break
			}
			nalu := b[2 : 2+n]
			if s := h265Slot((nalu[0] >> 1) & 0x3f); s >= 0 {
				changed = ps.set(s, nalu) || changed
			}
			b = b[2+n:]
		}
		return changed
	case 49: // fragmentation unit: 2-byte payload header, FU header
		fu := pl[2]
		var hdr [2]byte
		hdr[0] = pl[0]&0x81 | (fu&0x3f)<<1
		hdr[1] = pl[1]
		return ps.fragment(h265Slot(fu&0x3f), fu&0x80 != 0, fu&0x40 != 0, hdr[:], pl[3:])
	default:
		if s := h265Slot(t); s >= 0 {
			return ps.set(s, pl)
		}
	}
	return false
}

// fragment joins a fragmented NAL unit of slot (-1: not a parameter set)
// from its start (with the rebuilt NAL header hdr) to its end.
func (ps *paramSets) fragment(slot int, start, end bool, hdr, data []byte) bool {
	if start {
		ps.fragSlot, ps.fragN = -1, 0
		if slot < 0 {
			return false
		}
		ps.fragSlot = slot
		ps.fragN = copy(ps.frag[:], hdr)
	} else if ps.fragSlot < 0 {
		return false
	}
	if ps.fragN+len(data) > len(ps.frag) {
		ps.fragSlot = -1 // too large to learn
		return false
	}
	ps.fragN += copy(ps.frag[ps.fragN:], data)
	if !end {
		return false
	}
	slot, ps.fragSlot = ps.fragSlot, -1
	return ps.set(slot, ps.frag[:ps.fragN])
}

// learnMP4V takes the headers before the first VOP (or GOV) of a payload
// that opens with a visual object sequence, visual object or VOL header.
func (ps *paramSets) learnMP4V(pl []byte) bool {
	if len(pl) < 5 || pl[0] != 0 || pl[1] != 0 || pl[2] != 1 {
		return false
	}
	if c := pl[3]; c != 0xb0 && c != 0xb5 && c > 0x2f {
		return false
	}
	end := len(pl)
	for i := 4; i+3 < len(pl); i++ {
		if pl[i] == 0 && pl[i+1] == 0 && pl[i+2] == 1 && (pl[i+3] == 0xb6 || pl[i+3] == 0xb3) {
			end = i
			break
		}
	}
	return ps.set(psConfig, pl[:end])
}

// set stores nalu in slot when it differs from what is there: the one
// place that allocates, and only on a change.
func (ps *paramSets) set(slot int, nalu []byte) bool {
	if len(nalu) == 0 || len(nalu) > MaxParamSet || bytes.Equal(ps.sets[slot], nalu) {
		return false
	}
	ps.sets[slot] = bytes.Clone(nalu)
	return true
}

// format returns f with the learnt sets in place of its own.
func (ps *paramSets) format(f payload.Format) payload.Format {
	switch f := f.(type) {
	case *h264.Format:
		return &h264.Format{PT: f.PT, SPS: ps.sets[psH264SPS], PPS: ps.sets[psH264PPS]}
	case *h265.Format:
		return &h265.Format{PT: f.PT, VPS: ps.sets[psH265VPS], SPS: ps.sets[psH265SPS], PPS: ps.sets[psH265PPS]}
	case *mpeg4v.Format:
		return &mpeg4v.Format{PT: f.PT, ProfileLevelID: f.ProfileLevelID, Config: ps.sets[psConfig]}
	}
	return f
}
