// Package aac is the RTP payload format for MPEG-4 AAC (RFC 3640,
// "mpeg4-generic", mode AAC-hbr).
package aac

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"rtspcam/rtsp/payload"
)

// Limits of what Unmarshal and the depacketizer accept.
const (
	// MaxFramesPerPacket bounds the AU headers of one packet.
	MaxFramesPerPacket = 512
	// MaxSampleRate and MaxChannels bound the rtpmap.
	MaxSampleRate = 192000
	MaxChannels   = 8
)

// Format is AAC over RTP; the clock is the sample rate.
//
// Each RTP packet carries an AU-headers section (one header of SizeLength
// + IndexLength bits for the first frame, SizeLength + IndexDeltaLength
// for the next) and then the raw AAC frames (no ADTS headers). A Format is
// read by many goroutines; do not change it once shared.
type Format struct {
	PT               uint8  // dynamic payload type, 96 when not in 96–127
	Config           []byte // AudioSpecificConfig
	SampleRate       int
	Channels         int
	SizeLength       int // 13 for AAC-hbr (the default when 0)
	IndexLength      int // 3 (the default when SizeLength is 0)
	IndexDeltaLength int // 3 (the default when SizeLength is 0)
}

var _ payload.Format = (*Format)(nil)

// FormatFromConfig builds an AAC-hbr Format from an AudioSpecificConfig
// (as found in MP4 esds boxes or an SDP config parameter).
func FormatFromConfig(asc []byte) (*Format, error) {
	var c mpeg4audio.AudioSpecificConfig
	if err := c.Unmarshal(asc); err != nil {
		return nil, fmt.Errorf("aac: AudioSpecificConfig: %w", err)
	}
	if c.SampleRate <= 0 || c.SampleRate > MaxSampleRate || c.ChannelCount <= 0 || c.ChannelCount > MaxChannels {
		return nil, fmt.Errorf("aac: AudioSpecificConfig: %d Hz, %d channels not supported", c.SampleRate, c.ChannelCount)
	}
	return &Format{
		Config:           append([]byte(nil), asc...),
		SampleRate:       c.SampleRate,
		Channels:         c.ChannelCount,
		SizeLength:       13,
		IndexLength:      3,
		IndexDeltaLength: 3,
	}, nil
}

// lengths returns the AU header field sizes in bits, with the AAC-hbr
// defaults for a zero Format.
func (f *Format) lengths() (size, index, delta int) {
	if f.SizeLength == 0 {
		return 13, 3, 3
	}
	return f.SizeLength, f.IndexLength, f.IndexDeltaLength
}

// samplesPerFrame is 960 when the AudioSpecificConfig sets
// frameLengthFlag, else 1024.
func (f *Format) samplesPerFrame() uint32 {
	var c mpeg4audio.AudioSpecificConfig
	if c.Unmarshal(f.Config) == nil && c.FrameLengthFlag {
		return 960
	}
	return 1024
}

// MediaType is payload.Audio.
func (f *Format) MediaType() string { return payload.Audio }

// PayloadType is PT, or 96 when PT is not dynamic.
func (f *Format) PayloadType() uint8 {
	if f.PT < 96 || f.PT > 127 {
		return 96
	}
	return f.PT
}

// ClockRate is the sample rate.
func (f *Format) ClockRate() int { return f.SampleRate }

// RTPMap is "MPEG4-GENERIC/<rate>/<channels>".
func (f *Format) RTPMap() string {
	return "MPEG4-GENERIC/" + strconv.Itoa(f.SampleRate) + "/" + strconv.Itoa(f.Channels)
}

// FMTP announces AAC-hbr with the AU header sizes and the
// AudioSpecificConfig in hex.
func (f *Format) FMTP() string {
	size, index, delta := f.lengths()
	return "streamtype=5; profile-level-id=1; mode=AAC-hbr; sizelength=" + strconv.Itoa(size) +
		"; indexlength=" + strconv.Itoa(index) + "; indexdeltalength=" + strconv.Itoa(delta) +
		"; config=" + hex.EncodeToString(f.Config)
}

// NewPacketizer returns a packetizer whose payloads are at most maxPayload
// bytes (payload.MaxPayloadSize when <= 0).
func (f *Format) NewPacketizer(maxPayload int) payload.Packetizer {
	size, index, delta := f.lengths()
	return newPacketizer(maxPayload, size, index, delta, f.samplesPerFrame())
}

// NewDepacketizer returns a depacketizer honouring the Format's AU header
// sizes.
func (f *Format) NewDepacketizer() payload.Depacketizer {
	size, index, delta := f.lengths()
	return newDepacketizer(size, index, delta)
}

// Unmarshal builds a Format from an SDP media: pt, the a=rtpmap value after
// the payload type ("MPEG4-GENERIC/44100/2") and the a=fmtp parameters with
// lower-case keys. The config parameter is required; sizelength must be
// 1–16 and indexlength/indexdeltalength 0–8. AU header fields this package
// does not read (CTS/DTS deltas, random access and stream state flags) and
// constant-size streams are refused.
func Unmarshal(pt uint8, rtpmap string, fmtp map[string]string) (*Format, error) {
	parts := strings.Split(strings.TrimSpace(rtpmap), "/")
	if !strings.EqualFold(strings.TrimSpace(parts[0]), "MPEG4-GENERIC") {
		return nil, fmt.Errorf("aac: rtpmap %q is not MPEG4-GENERIC", rtpmap)
	}
	if len(parts) < 2 || len(parts) > 3 {
		return nil, fmt.Errorf("aac: rtpmap %q: want MPEG4-GENERIC/<rate>[/<channels>]", rtpmap)
	}
	f := &Format{PT: pt, Channels: 1}
	rate, err := strconv.Atoi(strings.TrimSpace(parts[1]))
	if err != nil || rate <= 0 || rate > MaxSampleRate {
		return nil, fmt.Errorf("aac: rtpmap %q: bad clock rate", rtpmap)
	}
	f.SampleRate = rate
	if len(parts) == 3 {
		ch, err := strconv.Atoi(strings.TrimSpace(parts[2]))
		if err != nil || ch <= 0 || ch > MaxChannels {
			return nil, fmt.Errorf("aac: rtpmap %q: bad channel count", rtpmap)
		}
		f.Channels = ch
	}
	if m, ok := fmtp["mode"]; ok && !strings.EqualFold(m, "AAC-hbr") && !strings.EqualFold(m, "AAC-lbr") {
		return nil, fmt.Errorf("aac: mode %q not supported", m)
	}
	if st, ok := fmtp["streamtype"]; ok && strings.TrimSpace(st) != "5" {
		return nil, fmt.Errorf("aac: streamtype %q is not audio", st)
	}
	for _, k := range []string{"constantsize", "constantduration", "ctsdeltalength", "dtsdeltalength",
		"randomaccessindication", "streamstateindication"} {
		if v, ok := fmtp[k]; ok && strings.TrimSpace(v) != "0" {
			return nil, fmt.Errorf("aac: %s=%s not supported", k, v)
		}
	}
	field := func(key string, lo, hi int) (int, error) {
		v, ok := fmtp[key]
		if !ok {
			return 0, nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("aac: %s=%q not in %d–%d", key, v, lo, hi)
		}
		return n, nil
	}
	if f.SizeLength, err = field("sizelength", 1, 16); err != nil {
		return nil, err
	}
	if f.SizeLength == 0 {
		return nil, fmt.Errorf("aac: sizelength missing")
	}
	if f.IndexLength, err = field("indexlength", 0, 8); err != nil {
		return nil, err
	}
	if f.IndexDeltaLength, err = field("indexdeltalength", 0, 8); err != nil {
		return nil, err
	}
	cfg, err := hex.DecodeString(strings.TrimSpace(fmtp["config"]))
	if err != nil || len(cfg) == 0 {
		return nil, fmt.Errorf("aac: config %q is not a hex AudioSpecificConfig", fmtp["config"])
	}
	var c mpeg4audio.AudioSpecificConfig
	if err := c.Unmarshal(cfg); err != nil {
		return nil, fmt.Errorf("aac: config: %w", err)
	}
	f.Config = cfg
	return f, nil
}
