// Package g722 is the RTP payload format for G.722 (RFC 3551): static
// payload type 9, sampled at 16000 Hz but announced with an 8000 Hz RTP
// clock, as RFC 3551 section 4.5.2 requires.
package g722

import (
	"fmt"
	"strings"

	"rtspcam/rtsp/payload"
)

// PayloadTypeG722 is G.722's static payload type.
const PayloadTypeG722 = 9

// Format is G.722 (64 kbit/s) over RTP, mono.
//
// RFC 3551 section 4.5.2: G.722 samples at 16000 Hz, but its RTP clock
// rate is 8000 Hz, a value RFC 1890 assigned by mistake and that stays for
// backward compatibility. At 64 kbit/s one byte carries two 16 kHz samples
// (one low-band and one high-band code, 1/8000 s), so the RTP timestamp
// advances by exactly one tick per byte.
type Format struct {
	// PT is a dynamic payload type (96–127) when the SDP used one; any
	// other value means the static type 9.
	PT uint8
}

var _ payload.Format = (*Format)(nil)

// MediaType is payload.Audio.
func (f *Format) MediaType() string { return payload.Audio }

// PayloadType is 9, or PT when it is dynamic.
func (f *Format) PayloadType() uint8 {
	if f.PT >= 96 && f.PT <= 127 {
		return f.PT
	}
	return PayloadTypeG722
}

// ClockRate is 8000 (RFC 3551 section 4.5.2), not the 16000 Hz sample rate.
func (f *Format) ClockRate() int { return 8000 }

// RTPMap is "G722/8000".
func (f *Format) RTPMap() string { return "G722/8000" }

// FMTP is empty.
func (f *Format) FMTP() string { return "" }

// NewPacketizer returns a packetizer that passes the encoded bytes through,
// splitting an access unit longer than maxPayload (payload.MaxPayloadSize
// when <= 0) bytes.
func (f *Format) NewPacketizer(maxPayload int) payload.Packetizer {
	return newPacketizer(maxPayload)
}

// NewDepacketizer returns a depacketizer that hands back each payload.
func (f *Format) NewDepacketizer() payload.Depacketizer { return &depacketizer{} }

// Unmarshal builds a Format from an SDP media: pt, the a=rtpmap value after
// the payload type ("G722/8000" or "G722/8000/1"; may be empty for the
// static type 9, which FFmpeg announces without rtpmap) and the a=fmtp
// parameters (ignored).
func Unmarshal(pt uint8, rtpmap string, fmtp map[string]string) (*Format, error) {
	_ = fmtp
	rtpmap = strings.TrimSpace(rtpmap)
	if rtpmap == "" {
		if pt != PayloadTypeG722 {
			return nil, fmt.Errorf("g722: payload type %d needs an rtpmap", pt)
		}
		return &Format{PT: pt}, nil
	}
	parts := strings.Split(rtpmap, "/")
	if !strings.EqualFold(strings.TrimSpace(parts[0]), "G722") {
		return nil, fmt.Errorf("g722: rtpmap %q is not G722", rtpmap)
	}
	if len(parts) < 2 || len(parts) > 3 || strings.TrimSpace(parts[1]) != "8000" {
		return nil, fmt.Errorf("g722: rtpmap %q: clock rate must be 8000", rtpmap)
	}
	if len(parts) == 3 && strings.TrimSpace(parts[2]) != "1" {
		return nil, fmt.Errorf("g722: rtpmap %q: only mono is supported", rtpmap)
	}
	return &Format{PT: pt}, nil
}
