// Package mpeg4v is the RTP payload format for MPEG-4 Part 2 visual
// (RFC 6416, "MP4V-ES").
package mpeg4v

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4video"

	"rtspcam/rtsp/payload"
)

// Format is MPEG-4 visual over RTP, clock 90000.
type Format struct {
	PT             uint8
	ProfileLevelID int    // profile-level-id; 1 (Simple Profile L1) when unknown
	Config         []byte // VOS+VO+VOL headers ("config" in fmtp, hex)
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

// RTPMap is "MP4V-ES/90000".
func (f *Format) RTPMap() string { return "MP4V-ES/90000" }

// FMTP gives profile-level-id and, when known, the config in hex.
func (f *Format) FMTP() string {
	s := "profile-level-id=" + strconv.Itoa(f.profileLevel())
	if len(f.Config) > 0 {
		s += "; config=" + strings.ToUpper(hex.EncodeToString(f.Config))
	}
	return s
}

// profileLevel is ProfileLevelID, else the one the config's visual object
// sequence header carries, else 1.
func (f *Format) profileLevel() int {
	if f.ProfileLevelID > 0 {
		return f.ProfileLevelID
	}
	if len(f.Config) > 4 && bytes.HasPrefix(f.Config, []byte{0, 0, 1, byte(mpeg4video.VisualObjectSequenceStartCode)}) && f.Config[4] != 0 {
		return int(f.Config[4])
	}
	return 1
}

// NewPacketizer returns a packetizer whose payloads are at most maxPayload
// bytes (payload.MaxPayloadSize when maxPayload <= 0).
func (f *Format) NewPacketizer(maxPayload int) payload.Packetizer {
	return newPacketizer(maxPayload)
}

// NewDepacketizer returns a depacketizer joining payloads into frames.
func (f *Format) NewDepacketizer() payload.Depacketizer {
	return newDepacketizer()
}

// Unmarshal builds a Format from an SDP media: pt, the a=rtpmap value after
// the payload type and the a=fmtp parameters with lower-case keys. A
// missing or garbled profile-level-id or config is left zero; an rtpmap
// that is not MP4V-ES/90000 is an error.
func Unmarshal(pt uint8, rtpmap string, fmtp map[string]string) (*Format, error) {
	name, rate, _ := strings.Cut(rtpmap, "/")
	if !strings.EqualFold(strings.TrimSpace(name), "MP4V-ES") {
		return nil, fmt.Errorf("mpeg4v: rtpmap %q is not MP4V-ES", rtpmap)
	}
	if rate, _, _ = strings.Cut(rate, "/"); strings.TrimSpace(rate) != "90000" {
		return nil, fmt.Errorf("mpeg4v: rtpmap %q: clock rate must be 90000", rtpmap)
	}
	f := &Format{PT: pt}
	if n, err := strconv.Atoi(strings.TrimSpace(fmtp["profile-level-id"])); err == nil && n > 0 && n < 256 {
		f.ProfileLevelID = n
	}
	if c, err := hex.DecodeString(strings.TrimSpace(fmtp["config"])); err == nil && len(c) > 0 {
		f.Config = c
	}
	return f, nil
}
