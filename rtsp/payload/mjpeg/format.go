// Package mjpeg is the RTP payload format for JPEG (RFC 2435), static
// payload type 26, clock 90000.
package mjpeg

import (
	"fmt"
	"strings"

	"rtspcam/rtsp/payload"
)

// PayloadTypeJPEG is JPEG's static payload type.
const PayloadTypeJPEG = 26

// MaxDimension is the largest width or height RFC 2435 can carry (255
// units of 8 pixels).
const MaxDimension = 2040

// Format is Motion JPEG over RTP. It has no parameters: each packet carries
// the size, type and quantization tables of its frame.
type Format struct {
	// PT is a dynamic payload type (96–127) when the SDP used one; any
	// other value means the static type 26.
	PT uint8
}

var _ payload.Format = (*Format)(nil)

// MediaType is payload.Video.
func (f *Format) MediaType() string { return payload.Video }

// PayloadType is 26, or PT when it is dynamic.
func (f *Format) PayloadType() uint8 {
	if f.PT >= 96 && f.PT <= 127 {
		return f.PT
	}
	return PayloadTypeJPEG
}

// ClockRate is 90000.
func (f *Format) ClockRate() int { return 90000 }

// RTPMap is "JPEG/90000".
func (f *Format) RTPMap() string { return "JPEG/90000" }

// FMTP is empty.
func (f *Format) FMTP() string { return "" }

// NewPacketizer returns a packetizer for baseline JPEG files whose payloads
// are at most maxPayload bytes (payload.MaxPayloadSize when <= 0).
func (f *Format) NewPacketizer(maxPayload int) payload.Packetizer {
	return newPacketizer(maxPayload)
}

// NewDepacketizer returns a depacketizer that rebuilds complete JPEG
// files.
func (f *Format) NewDepacketizer() payload.Depacketizer {
	return newDepacketizer()
}

// Unmarshal builds a Format from an SDP media: pt, the a=rtpmap value after
// the payload type ("JPEG/90000"; may be empty for the static type 26,
// which FFmpeg announces without rtpmap) and the a=fmtp parameters
// (ignored).
func Unmarshal(pt uint8, rtpmap string, fmtp map[string]string) (*Format, error) {
	_ = fmtp
	rtpmap = strings.TrimSpace(rtpmap)
	if rtpmap == "" {
		if pt != PayloadTypeJPEG {
			return nil, fmt.Errorf("mjpeg: payload type %d needs an rtpmap", pt)
		}
		return &Format{PT: pt}, nil
	}
	name, rate, _ := strings.Cut(rtpmap, "/")
	if !strings.EqualFold(strings.TrimSpace(name), "JPEG") {
		return nil, fmt.Errorf("mjpeg: rtpmap %q is not JPEG", rtpmap)
	}
	if strings.TrimSpace(rate) != "90000" {
		return nil, fmt.Errorf("mjpeg: rtpmap %q: clock rate must be 90000", rtpmap)
	}
	return &Format{PT: pt}, nil
}
