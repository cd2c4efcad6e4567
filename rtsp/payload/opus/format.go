// Package opus is the RTP payload format for Opus (RFC 7587): clock 48000,
// rtpmap always "opus/48000/2", channel count in sprop-stereo.
package opus

import (
	"fmt"
	"strings"

	"rtspcam/rtsp/payload"
)

// Format is Opus over RTP. RFC 7587 always announces "opus/48000/2" (the
// decoder can always produce stereo); whether the sender sends stereo is
// the sprop-stereo parameter.
type Format struct {
	PT       uint8 // dynamic payload type, 96 when not in 96–127
	Channels int   // 1 or 2
}

var _ payload.Format = (*Format)(nil)

// MediaType is payload.Audio.
func (f *Format) MediaType() string { return payload.Audio }

// PayloadType is PT, or 96 when PT is not dynamic.
func (f *Format) PayloadType() uint8 {
	if f.PT < 96 || f.PT > 127 {
		return 96
	}
	return f.PT
}

// ClockRate is 48000, whatever rate the encoder runs at (RFC 7587 4.1).
func (f *Format) ClockRate() int { return 48000 }

// RTPMap is always "opus/48000/2" (RFC 7587 section 7).
func (f *Format) RTPMap() string { return "opus/48000/2" }

// FMTP is "sprop-stereo=1; stereo=1" for stereo (we send it, and would
// like stereo back), "sprop-stereo=0" for mono.
func (f *Format) FMTP() string {
	if f.Channels == 2 {
		return "sprop-stereo=1; stereo=1"
	}
	return "sprop-stereo=0"
}

// NewPacketizer returns a packetizer that sends one Opus packet per RTP
// packet; an Opus packet larger than maxPayload (payload.MaxPayloadSize
// when <= 0) is refused, RFC 7587 has no fragmentation.
func (f *Format) NewPacketizer(maxPayload int) payload.Packetizer {
	if maxPayload <= 0 {
		maxPayload = payload.MaxPayloadSize
	}
	return &packetizer{maxPayload: maxPayload}
}

// NewDepacketizer returns a depacketizer that hands back each payload as
// one Opus packet.
func (f *Format) NewDepacketizer() payload.Depacketizer { return &depacketizer{} }

// Unmarshal builds a Format from an SDP media: pt, the a=rtpmap value after
// the payload type ("opus/48000/2"; "opus/48000" is tolerated) and the
// a=fmtp parameters with lower-case keys. The channel count comes from
// sprop-stereo (absent or 0: mono, RFC 7587 section 7.1).
func Unmarshal(pt uint8, rtpmap string, fmtp map[string]string) (*Format, error) {
	parts := strings.Split(strings.TrimSpace(rtpmap), "/")
	if !strings.EqualFold(strings.TrimSpace(parts[0]), "opus") {
		return nil, fmt.Errorf("opus: rtpmap %q is not opus", rtpmap)
	}
	if len(parts) < 2 || len(parts) > 3 || strings.TrimSpace(parts[1]) != "48000" {
		return nil, fmt.Errorf("opus: rtpmap %q: clock rate must be 48000", rtpmap)
	}
	if len(parts) == 3 {
		switch strings.TrimSpace(parts[2]) {
		case "1", "2":
		default:
			return nil, fmt.Errorf("opus: rtpmap %q: channels must be 2", rtpmap)
		}
	}
	f := &Format{PT: pt, Channels: 1}
	switch s := strings.TrimSpace(fmtp["sprop-stereo"]); s {
	case "", "0":
	case "1":
		f.Channels = 2
	default:
		return nil, fmt.Errorf("opus: sprop-stereo %q is not 0 or 1", s)
	}
	return f, nil
}
