// Package g726 is the RTP payload format for G.726 (RFC 3551 section 4.5.4,
// "G726-16/24/32/40", codewords packed from the least significant bit).
package g726

import (
	"fmt"
	"strconv"
	"strings"

	"rtspcam/rtsp/payload"
)

// Format is G.726 over RTP, 8000 Hz mono. Each sample is a Bitrate/8000-bit
// codeword (2 to 5 bits), packed from the least significant bit of each
// byte (RFC 3551 section 4.5.4; FFmpeg's "g726le"). Eight samples always
// fill a whole number of bytes (Bitrate/8000 of them), so packets are cut
// on 8-sample boundaries.
type Format struct {
	PT      uint8 // dynamic payload type, 96 when not in 96–127
	Bitrate int   // 16000, 24000, 32000 or 40000; 32000 when 0
}

var _ payload.Format = (*Format)(nil)

func (f *Format) bitrate() int {
	if f.Bitrate == 0 {
		return 32000
	}
	return f.Bitrate
}

// bitsPerSample is the codeword size, 2 to 5.
func (f *Format) bitsPerSample() int { return f.bitrate() / 8000 }

// MediaType is payload.Audio.
func (f *Format) MediaType() string { return payload.Audio }

// PayloadType is PT, or 96 when PT is not dynamic.
func (f *Format) PayloadType() uint8 {
	if f.PT < 96 || f.PT > 127 {
		return 96
	}
	return f.PT
}

// ClockRate is 8000.
func (f *Format) ClockRate() int { return 8000 }

// RTPMap is "G726-<kbit/s>/8000".
func (f *Format) RTPMap() string {
	return "G726-" + strconv.Itoa(f.bitrate()/1000) + "/8000"
}

// FMTP is empty.
func (f *Format) FMTP() string { return "" }

// NewPacketizer returns a packetizer that passes the encoded bytes through,
// splitting an access unit longer than maxPayload (payload.MaxPayloadSize
// when <= 0) on 8-sample boundaries.
func (f *Format) NewPacketizer(maxPayload int) payload.Packetizer {
	return newPacketizer(maxPayload, f.bitsPerSample())
}

// NewDepacketizer returns a depacketizer that hands back each payload.
func (f *Format) NewDepacketizer() payload.Depacketizer { return &depacketizer{} }

// Unmarshal builds a Format from an SDP media: pt, the a=rtpmap value after
// the payload type ("G726-32/8000") and the a=fmtp parameters (ignored).
// FFmpeg's "AAL2-G726-32" (big-endian packing) is refused.
func Unmarshal(pt uint8, rtpmap string, fmtp map[string]string) (*Format, error) {
	_ = fmtp
	parts := strings.Split(strings.TrimSpace(rtpmap), "/")
	name := strings.ToUpper(strings.TrimSpace(parts[0]))
	kbps, ok := strings.CutPrefix(name, "G726-")
	if !ok {
		return nil, fmt.Errorf("g726: rtpmap %q is not G726-<kbit/s>", rtpmap)
	}
	f := &Format{PT: pt}
	switch kbps {
	case "16", "24", "32", "40":
		n, _ := strconv.Atoi(kbps)
		f.Bitrate = n * 1000
	default:
		return nil, fmt.Errorf("g726: rtpmap %q: bit rate must be 16, 24, 32 or 40", rtpmap)
	}
	if len(parts) < 2 || len(parts) > 3 || strings.TrimSpace(parts[1]) != "8000" {
		return nil, fmt.Errorf("g726: rtpmap %q: clock rate must be 8000", rtpmap)
	}
	if len(parts) == 3 && strings.TrimSpace(parts[2]) != "1" {
		return nil, fmt.Errorf("g726: rtpmap %q: only mono is supported", rtpmap)
	}
	return f, nil
}
