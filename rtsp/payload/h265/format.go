// Package h265 is the RTP payload format for H.265 (RFC 7798):
// single NAL unit, aggregation packets and fragmentation units.
package h265

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	mch265 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"rtspcam/rtsp/payload"
)

// MaxNALUnits bounds the NAL units a Depacketizer assembles into one
// access unit.
const MaxNALUnits = 1024

// Format is H.265 over RTP, clock 90000.
//
// VPS, SPS and PPS are announced in the SDP (sprop-vps, sprop-sps,
// sprop-pps) and sent in-band before every IRAP access unit that lacks
// them. A Format is read by many goroutines; do not change it once shared.
type Format struct {
	PT  uint8 // dynamic payload type, 96 by default
	VPS []byte
	SPS []byte
	PPS []byte
}

var _ payload.Format = (*Format)(nil)

// MediaType is payload.Video.
func (f *Format) MediaType() string { return payload.Video }

// PayloadType is PT, or 96 when PT is 0.
func (f *Format) PayloadType() uint8 {
	if f.PT == 0 {
		return 96
	}
	return f.PT
}

// ClockRate is 90000.
func (f *Format) ClockRate() int { return 90000 }

// RTPMap is "H265/90000".
func (f *Format) RTPMap() string { return "H265/90000" }

// FMTP lists the known parameter sets, or is "" when none is known.
func (f *Format) FMTP() string {
	var parts []string
	for _, ps := range []struct {
		key  string
		nalu []byte
	}{{"sprop-vps", f.VPS}, {"sprop-sps", f.SPS}, {"sprop-pps", f.PPS}} {
		if len(ps.nalu) > 0 {
			parts = append(parts, ps.key+"="+base64.StdEncoding.EncodeToString(ps.nalu))
		}
	}
	return strings.Join(parts, "; ")
}

// NewPacketizer returns a packetizer whose payloads are at most maxPayload
// bytes (payload.MaxPayloadSize when maxPayload <= 0). It starts with the
// Format's parameter sets and learns newer ones from the stream.
func (f *Format) NewPacketizer(maxPayload int) payload.Packetizer {
	return newPacketizer(maxPayload, f.VPS, f.SPS, f.PPS)
}

// NewDepacketizer returns a depacketizer for single NAL unit, aggregation
// and fragmentation packets (no DONL).
func (f *Format) NewDepacketizer() payload.Depacketizer {
	return newDepacketizer()
}

// Unmarshal builds a Format from an SDP media: pt, the a=rtpmap value after
// the payload type and the a=fmtp parameters with lower-case keys. Missing
// or garbled parameter sets are left nil; an rtpmap that is not
// H265/90000, or DONL fields (sprop-max-don-diff > 0), are errors.
func Unmarshal(pt uint8, rtpmap string, fmtp map[string]string) (*Format, error) {
	name, rate, _ := strings.Cut(rtpmap, "/")
	if !strings.EqualFold(strings.TrimSpace(name), "H265") {
		return nil, fmt.Errorf("h265: rtpmap %q is not H265", rtpmap)
	}
	if rate, _, _ = strings.Cut(rate, "/"); strings.TrimSpace(rate) != "90000" {
		return nil, fmt.Errorf("h265: rtpmap %q: clock rate must be 90000", rtpmap)
	}
	if v, ok := fmtp["sprop-max-don-diff"]; ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err != nil || n != 0 {
			return nil, fmt.Errorf("h265: sprop-max-don-diff %q: decoding order numbers not supported", v)
		}
	}
	return &Format{
		PT:  pt,
		VPS: paramSet(fmtp["sprop-vps"], mch265.NALUType_VPS_NUT),
		SPS: paramSet(fmtp["sprop-sps"], mch265.NALUType_SPS_NUT),
		PPS: paramSet(fmtp["sprop-pps"], mch265.NALUType_PPS_NUT),
	}, nil
}

// paramSet returns the first NAL unit of type typ in a comma-separated
// base64 list, or nil.
func paramSet(list string, typ mch265.NALUType) []byte {
	for _, s := range strings.Split(list, ",") {
		nalu := decodeBase64(strings.TrimSpace(s))
		if len(nalu) >= 2 && naluType(nalu) == typ {
			return nalu
		}
	}
	return nil
}

// decodeBase64 accepts padded and unpadded base64; it returns nil for
// anything else.
func decodeBase64(s string) []byte {
	if s == "" {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil {
			return nil
		}
	}
	return b
}

// naluType reads the type from a NAL unit header; nalu must not be empty.
func naluType(nalu []byte) mch265.NALUType {
	return mch265.NALUType(nalu[0] >> 1 & 0x3f)
}

// isIRAP tells intra random access point pictures (BLA, IDR, CRA).
func isIRAP(typ mch265.NALUType) bool {
	return typ >= mch265.NALUType_BLA_W_LP && typ <= mch265.NALUType_CRA_NUT
}

// IsRandomAccess tells whether au holds an IRAP picture (types 16 to 21).
func IsRandomAccess(au [][]byte) bool {
	for _, nalu := range au {
		if len(nalu) > 0 && isIRAP(naluType(nalu)) {
			return true
		}
	}
	return false
}
