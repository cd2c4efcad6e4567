package pusher

import (
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"rtspcam/firmware/config"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/aac"
	"rtspcam/rtsp/payload/g711"
	"rtspcam/rtsp/payload/g722"
	"rtspcam/rtsp/payload/g726"
	"rtspcam/rtsp/payload/h264"
	"rtspcam/rtsp/payload/h265"
	"rtspcam/rtsp/payload/mjpeg"
	"rtspcam/rtsp/payload/mpeg4v"
	"rtspcam/rtsp/payload/opus"
)

// Dynamic payload types the pusher's SDP uses; the relay rewrites what the
// sender used to these.
const (
	VideoPayloadType = 96
	AudioPayloadType = 97
)

// Tracks are the formats of a pusher's path and which track each port
// feeds (-1 when the node has no such media).
type Tracks struct {
	Formats []payload.Format
	Video   int
	Audio   int
}

// TracksOf builds the tracks a <pusher> node announces: video first, then
// audio, each only when the node names its codec (and, for TCP and UDP,
// its port).
func TracksOf(p config.Pusher) (Tracks, error) {
	t := Tracks{Video: -1, Audio: -1}
	raw := p.Transfer.Mode == config.PushTCP || p.Transfer.Mode == config.PushUDP
	if p.Video.Codec != "" && (!raw || p.Transfer.VPort > 0) {
		f, err := VideoFormat(p.Video)
		if err != nil {
			return Tracks{}, err
		}
		t.Video = len(t.Formats)
		t.Formats = append(t.Formats, f)
	}
	if p.Audio.Codec != "" && (!raw || p.Transfer.APort > 0) {
		f, err := AudioFormat(p.Audio)
		if err != nil {
			return Tracks{}, err
		}
		t.Audio = len(t.Formats)
		t.Formats = append(t.Formats, f)
	}
	if len(t.Formats) == 0 {
		return Tracks{}, fmt.Errorf("pusher %q: no video or audio codec with a port", p.Suffix)
	}
	return t, nil
}

// VideoFormat is the RTP format of a configured video codec. Parameter
// sets are not known beforehand: the relay learns them in-band.
func VideoFormat(v config.Video) (payload.Format, error) {
	switch v.Codec {
	case config.VideoH264:
		return &h264.Format{PT: VideoPayloadType}, nil
	case config.VideoH265:
		return &h265.Format{PT: VideoPayloadType}, nil
	case config.VideoJPEG:
		return &mjpeg.Format{}, nil
	case config.VideoMPEG4:
		return &mpeg4v.Format{PT: VideoPayloadType, ProfileLevelID: 1}, nil
	}
	return nil, fmt.Errorf("pusher: video codec %q not supported", v.Codec)
}

// AudioFormat is the RTP format of a configured audio codec, sample rate
// and channel count (defaults: 8000 Hz mono for G.7xx, 44100 Hz stereo for
// AAC, stereo for Opus).
func AudioFormat(a config.Audio) (payload.Format, error) {
	rate, ch := a.SampleRate, a.Channels
	switch a.Codec {
	case config.AudioG711A, config.AudioG711U:
		return &g711.Format{MuLaw: a.Codec == config.AudioG711U, SampleRate: rate, Channels: ch, PT: AudioPayloadType}, nil
	case config.AudioG722:
		return &g722.Format{}, nil
	case config.AudioG726:
		br := a.Bitrate * 1000
		switch br {
		case 16000, 24000, 32000, 40000:
		default:
			br = 32000
		}
		return &g726.Format{PT: AudioPayloadType, Bitrate: br}, nil
	case config.AudioAAC:
		if rate <= 0 {
			rate = 44100
		}
		if ch <= 0 {
			ch = 2
		}
		asc, err := (&mpeg4audio.AudioSpecificConfig{Type: mpeg4audio.ObjectTypeAACLC, SampleRate: rate, ChannelCount: ch}).Marshal()
		if err != nil {
			return nil, fmt.Errorf("pusher: AAC %d Hz, %d channels: %w", rate, ch, err)
		}
		f, err := aac.FormatFromConfig(asc)
		if err != nil {
			return nil, fmt.Errorf("pusher: %w", err)
		}
		f.PT = AudioPayloadType
		return f, nil
	case config.AudioOpus:
		if ch != 1 {
			ch = 2
		}
		return &opus.Format{PT: AudioPayloadType, Channels: ch}, nil
	}
	return nil, fmt.Errorf("pusher: audio codec %q not supported", a.Codec)
}
