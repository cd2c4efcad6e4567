// Package g711 is the RTP payload format for G.711 µ-law (PCMU, static
// payload type 0) and A-law (PCMA, 8) (RFC 3551). The codec itself lives
// with the other soft codecs in rtspcam/hwenc/soft.
package g711

import (
	"fmt"
	"strconv"
	"strings"

	"rtspcam/rtsp/payload"
)

// Limits Unmarshal accepts.
const (
	MaxSampleRate = 192000
	MaxChannels   = 8
)

// Static payload types of RFC 3551.
const (
	PayloadTypePCMU = 0
	PayloadTypePCMA = 8
)

// Format is G.711 over RTP. With 8000 Hz mono it uses the static payload
// types 0 and 8; other rates or channel counts use PT (dynamic, 96 when
// PT is not in 96–127). One byte carries one sample of one channel, so the
// RTP clock advances by one per sample frame (Channels bytes).
type Format struct {
	MuLaw      bool
	SampleRate int // 8000 when 0
	Channels   int // 1 when 0
	PT         uint8
}

var _ payload.Format = (*Format)(nil)

func (f *Format) rate() int {
	if f.SampleRate <= 0 {
		return 8000
	}
	return f.SampleRate
}

func (f *Format) channels() int {
	if f.Channels <= 0 {
		return 1
	}
	return f.Channels
}

func (f *Format) static() bool { return f.rate() == 8000 && f.channels() == 1 }

func (f *Format) encoding() string {
	if f.MuLaw {
		return "PCMU"
	}
	return "PCMA"
}

// MediaType is payload.Audio.
func (f *Format) MediaType() string { return payload.Audio }

// PayloadType is 0 (PCMU) or 8 (PCMA) for 8000 Hz mono, else PT (96 when
// PT is not a dynamic payload type).
func (f *Format) PayloadType() uint8 {
	if f.static() {
		if f.MuLaw {
			return PayloadTypePCMU
		}
		return PayloadTypePCMA
	}
	if f.PT < 96 || f.PT > 127 {
		return 96
	}
	return f.PT
}

// ClockRate is the sample rate.
func (f *Format) ClockRate() int { return f.rate() }

// RTPMap is "PCMU/8000" (or PCMA) for the static types, else
// "PCMU/<rate>/<channels>".
func (f *Format) RTPMap() string {
	if f.static() {
		return f.encoding() + "/8000"
	}
	return f.encoding() + "/" + strconv.Itoa(f.rate()) + "/" + strconv.Itoa(f.channels())
}

// FMTP is empty: G.711 has no parameters.
func (f *Format) FMTP() string { return "" }

// NewPacketizer returns a packetizer that passes the encoded bytes through,
// splitting an access unit longer than maxPayload (payload.MaxPayloadSize
// when <= 0) on sample frame boundaries.
func (f *Format) NewPacketizer(maxPayload int) payload.Packetizer {
	return newPacketizer(maxPayload, f.channels())
}

// NewDepacketizer returns a depacketizer that hands back each payload.
func (f *Format) NewDepacketizer() payload.Depacketizer {
	return newDepacketizer(f.channels())
}

// Unmarshal builds a Format from an SDP media: pt, the a=rtpmap value after
// the payload type ("PCMU/8000", "PCMA/16000/2"; may be empty for the
// static types 0 and 8) and the a=fmtp parameters (ignored).
func Unmarshal(pt uint8, rtpmap string, fmtp map[string]string) (*Format, error) {
	_ = fmtp
	if strings.TrimSpace(rtpmap) == "" {
		switch pt {
		case PayloadTypePCMU:
			return &Format{MuLaw: true, SampleRate: 8000, Channels: 1, PT: pt}, nil
		case PayloadTypePCMA:
			return &Format{SampleRate: 8000, Channels: 1, PT: pt}, nil
		}
		return nil, fmt.Errorf("g711: payload type %d needs an rtpmap", pt)
	}
	parts := strings.Split(rtpmap, "/")
	f := &Format{PT: pt, Channels: 1}
	switch strings.ToUpper(strings.TrimSpace(parts[0])) {
	case "PCMU":
		f.MuLaw = true
	case "PCMA":
	default:
		return nil, fmt.Errorf("g711: rtpmap %q is not PCMU or PCMA", rtpmap)
	}
	if len(parts) < 2 || len(parts) > 3 {
		return nil, fmt.Errorf("g711: rtpmap %q: want <name>/<rate>[/<channels>]", rtpmap)
	}
	rate, err := strconv.Atoi(strings.TrimSpace(parts[1]))
	if err != nil || rate <= 0 || rate > MaxSampleRate {
		return nil, fmt.Errorf("g711: rtpmap %q: bad clock rate", rtpmap)
	}
	f.SampleRate = rate
	if len(parts) == 3 {
		ch, err := strconv.Atoi(strings.TrimSpace(parts[2]))
		if err != nil || ch <= 0 || ch > MaxChannels {
			return nil, fmt.Errorf("g711: rtpmap %q: bad channel count", rtpmap)
		}
		f.Channels = ch
	}
	return f, nil
}
