// Package h264 is the RTP payload format for H.264 (RFC 6184):
// single NAL unit, STAP-A and FU-A, packetization-mode 1.
package h264

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	mch264 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"rtspcam/rtsp/payload"
)

// MaxNALUnits bounds the NAL units a Depacketizer assembles into one
// access unit.
const MaxNALUnits = 1024

// Format is H.264 over RTP, clock 90000.
//
// SPS and PPS are announced in the SDP (sprop-parameter-sets) and sent
// in-band before every IDR access unit that lacks them. A Format is read
// by many goroutines (SDP, packetizers); do not change it once shared.
type Format struct {
	PT  uint8  // dynamic payload type, 96 by default
	SPS []byte // sequence parameter set (NAL unit, no start code); may be nil until learnt
	PPS []byte // picture parameter set
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

// RTPMap is "H264/90000".
func (f *Format) RTPMap() string { return "H264/90000" }

// FMTP announces packetization-mode 1 and, when the SPS is known, the
// profile-level-id taken from it and the parameter sets.
func (f *Format) FMTP() string {
	var b strings.Builder
	b.WriteString("packetization-mode=1")
	if len(f.SPS) >= 4 {
		b.WriteString("; profile-level-id=")
		b.WriteString(strings.ToUpper(hex.EncodeToString(f.SPS[1:4])))
		b.WriteString("; sprop-parameter-sets=")
		b.WriteString(base64.StdEncoding.EncodeToString(f.SPS))
		if len(f.PPS) > 0 {
			b.WriteByte(',')
			b.WriteString(base64.StdEncoding.EncodeToString(f.PPS))
		}
	}
	return b.String()
}

// NewPacketizer returns a packetizer whose payloads are at most maxPayload
// bytes (payload.MaxPayloadSize when maxPayload <= 0). It starts with the
// Format's SPS and PPS and learns newer ones from the stream.
func (f *Format) NewPacketizer(maxPayload int) payload.Packetizer {
	return newPacketizer(maxPayload, f.SPS, f.PPS)
}

// NewDepacketizer returns a depacketizer for single NAL unit, STAP-A and
// FU-A packets.
func (f *Format) NewDepacketizer() payload.Depacketizer {
	return newDepacketizer()
}

// Unmarshal builds a Format from an SDP media: pt, the a=rtpmap value after
// the payload type and the a=fmtp parameters with lower-case keys. Missing
// or garbled parameter sets are left nil; an rtpmap that is not H264/90000
// or an unsupported packetization-mode is an error.
func Unmarshal(pt uint8, rtpmap string, fmtp map[string]string) (*Format, error) {
	name, rate, _ := strings.Cut(rtpmap, "/")
	if !strings.EqualFold(strings.TrimSpace(name), "H264") {
		return nil, fmt.Errorf("h264: rtpmap %q is not H264", rtpmap)
	}
	if rate, _, _ = strings.Cut(rate, "/"); strings.TrimSpace(rate) != "90000" {
		return nil, fmt.Errorf("h264: rtpmap %q: clock rate must be 90000", rtpmap)
	}
	if m, ok := fmtp["packetization-mode"]; ok {
		switch strings.TrimSpace(m) {
		case "", "0", "1":
		default:
			return nil, fmt.Errorf("h264: packetization-mode %q not supported", m)
		}
	}
	f := &Format{PT: pt}
	for _, s := range strings.Split(fmtp["sprop-parameter-sets"], ",") {
		nalu := decodeBase64(strings.TrimSpace(s))
		if len(nalu) == 0 {
			continue
		}
		switch mch264.NALUType(nalu[0] & 0x1f) {
		case mch264.NALUTypeSPS:
			if f.SPS == nil {
				f.SPS = nalu
			}
		case mch264.NALUTypePPS:
			if f.PPS == nil {
				f.PPS = nalu
			}
		}
	}
	return f, nil
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

// IsRandomAccess tells whether au holds an IDR picture.
func IsRandomAccess(au [][]byte) bool {
	for _, nalu := range au {
		if len(nalu) > 0 && mch264.NALUType(nalu[0]&0x1f) == mch264.NALUTypeIDR {
			return true
		}
	}
	return false
}
