package file

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	mp4 "github.com/abema/go-mp4"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/aac"
	"rtspcam/rtsp/payload/g711"
	"rtspcam/rtsp/payload/h264"
	"rtspcam/rtsp/payload/h265"
	"rtspcam/rtsp/payload/mjpeg"
	"rtspcam/rtsp/payload/mpeg4v"
	"rtspcam/rtsp/payload/opus"
)

// Sizes of the fixed parts of sample entries (after the 8-byte box header
// and the 8-byte SampleEntry header).
const (
	visualEntryFields  = 70
	soundEntryFieldsV0 = 20
	soundEntryFieldsV1 = 16 // QuickTime sound description version 1 extension
	soundEntryFieldsV2 = 36 // version 2 extension
)

// sampleEntry is what the first stsd entry tells about a track.
type sampleEntry struct {
	format payload.Format
	video  bool
	nalLen int
	h265   bool
	pcm    bool // one byte-sized "sample" per audio frame, grouped into AUs
}

// parseSampleEntry decodes the first entry of a raw stsd payload. The
// entry's fixed fields are read by hand (go-mp4 knows no QuickTime sound
// descriptions nor JPEG entries); the codec configuration boxes inside it
// are decoded with go-mp4.
func parseSampleEntry(stsd []byte, pt uint8) (sampleEntry, error) {
	if len(stsd) < 8+16 {
		return sampleEntry{}, fmt.Errorf("stsd: %w", errShort)
	}
	if binary.BigEndian.Uint32(stsd[4:]) == 0 {
		return sampleEntry{}, fmt.Errorf("stsd: no sample entry")
	}
	e := stsd[8:]
	size := binary.BigEndian.Uint32(e)
	if size < 16 || uint64(size) > uint64(len(e)) {
		return sampleEntry{}, fmt.Errorf("stsd: entry size %d out of range", size)
	}
	e = e[:size]
	typ := string(e[4:8])
	body := e[16:]

	switch typ {
	case "avc1", "avc3", "hvc1", "hev1", "mp4v", "jpeg", "mjpa", "mjpb":
		if len(body) < visualEntryFields {
			return sampleEntry{}, fmt.Errorf("%s entry: %w", typ, errShort)
		}
		return parseVisualEntry(typ, body[visualEntryFields:], pt)
	case "mp4a", "Opus", "ulaw", "alaw":
		return parseSoundEntry(typ, body, pt)
	}
	return sampleEntry{}, fmt.Errorf("%w: codec %q", ErrUnsupported, printable(typ))
}

func parseVisualEntry(typ string, children []byte, pt uint8) (sampleEntry, error) {
	switch typ {
	case "avc1", "avc3":
		child, ok := findChild(children, "avcC")
		if !ok {
			return sampleEntry{}, fmt.Errorf("%s entry: no avcC", typ)
		}
		var c mp4.AVCDecoderConfiguration
		c.SetType(mp4.BoxTypeAvcC())
		if _, err := mp4.Unmarshal(bytes.NewReader(child), uint64(len(child)), &c, mp4.Context{}); err != nil {
			return sampleEntry{}, fmt.Errorf("avcC: %w", err)
		}
		f := &h264.Format{PT: pt}
		if len(c.SequenceParameterSets) > 0 {
			f.SPS = c.SequenceParameterSets[0].NALUnit
		}
		if len(c.PictureParameterSets) > 0 {
			f.PPS = c.PictureParameterSets[0].NALUnit
		}
		return sampleEntry{format: f, video: true, nalLen: int(c.LengthSizeMinusOne) + 1}, nil
	case "hvc1", "hev1":
		child, ok := findChild(children, "hvcC")
		if !ok {
			return sampleEntry{}, fmt.Errorf("%s entry: no hvcC", typ)
		}
		var c mp4.HvcC
		if _, err := mp4.Unmarshal(bytes.NewReader(child), uint64(len(child)), &c, mp4.Context{}); err != nil {
			return sampleEntry{}, fmt.Errorf("hvcC: %w", err)
		}
		f := &h265.Format{PT: pt}
		for _, a := range c.NaluArrays {
			if len(a.Nalus) == 0 {
				continue
			}
			nal := a.Nalus[0].NALUnit
			switch a.NaluType {
			case 32:
				f.VPS = nal
			case 33:
				f.SPS = nal
			case 34:
				f.PPS = nal
			}
		}
		return sampleEntry{format: f, video: true, nalLen: int(c.LengthSizeMinusOne) + 1, h265: true}, nil
	case "mp4v":
		oti, config, err := parseEsds(children)
		if err != nil {
			return sampleEntry{}, err
		}
		if oti != 0x20 {
			return sampleEntry{}, fmt.Errorf("%w: codec mp4v with object type 0x%02x (only MPEG-4 visual)", ErrUnsupported, oti)
		}
		return sampleEntry{format: &mpeg4v.Format{PT: pt, ProfileLevelID: mpeg4ProfileLevel(config), Config: config}, video: true}, nil
	default: // JPEG
		return sampleEntry{format: &mjpeg.Format{}, video: true}, nil
	}
}

func parseSoundEntry(typ string, body []byte, pt uint8) (sampleEntry, error) {
	if len(body) < soundEntryFieldsV0 {
		return sampleEntry{}, fmt.Errorf("%s entry: %w", typ, errShort)
	}
	version := binary.BigEndian.Uint16(body[0:])
	channels := int(binary.BigEndian.Uint16(body[8:]))
	rate := int(binary.BigEndian.Uint32(body[16:]) >> 16)
	children := body[soundEntryFieldsV0:]
	switch version {
	case 1:
		if len(children) < soundEntryFieldsV1 {
			return sampleEntry{}, fmt.Errorf("%s entry v1: %w", typ, errShort)
		}
		children = children[soundEntryFieldsV1:]
	case 2:
		if len(children) < soundEntryFieldsV2 {
			return sampleEntry{}, fmt.Errorf("%s entry v2: %w", typ, errShort)
		}
		r := math.Float64frombits(binary.BigEndian.Uint64(children[4:]))
		if r >= 1 && r <= 1e6 {
			rate = int(r)
		}
		channels = int(binary.BigEndian.Uint32(children[12:]))
		children = children[soundEntryFieldsV2:]
	}

	switch typ {
	case "mp4a":
		oti, config, err := parseEsds(children)
		if err != nil {
			return sampleEntry{}, err
		}
		switch oti {
		case 0x40, 0x66, 0x67, 0x68:
		case 0x69, 0x6B:
			return sampleEntry{}, fmt.Errorf("%w: codec MP3", ErrUnsupported)
		default:
			return sampleEntry{}, fmt.Errorf("%w: codec mp4a with object type 0x%02x", ErrUnsupported, oti)
		}
		var asc mpeg4audio.AudioSpecificConfig
		if err := asc.Unmarshal(config); err != nil {
			return sampleEntry{}, fmt.Errorf("AudioSpecificConfig: %w", err)
		}
		ch := int(asc.ChannelConfig)
		if ch == 7 {
			ch = 8
		}
		if ch == 0 {
			ch = channels
		}
		return sampleEntry{format: &aac.Format{
			PT: pt, Config: config, SampleRate: asc.SampleRate, Channels: ch,
			SizeLength: 13, IndexLength: 3, IndexDeltaLength: 3,
		}}, nil
	case "Opus":
		if child, ok := findChild(children, "dOps"); ok {
			var c mp4.DOps
			if _, err := mp4.Unmarshal(bytes.NewReader(child), uint64(len(child)), &c, mp4.Context{}); err == nil && c.OutputChannelCount > 0 {
				channels = int(c.OutputChannelCount)
			}
		}
		if channels > 2 {
			return sampleEntry{}, fmt.Errorf("%w: codec Opus with %d channels", ErrUnsupported, channels)
		}
		return sampleEntry{format: &opus.Format{PT: pt, Channels: max(channels, 1)}}, nil
	default: // ulaw, alaw
		if rate <= 0 || channels <= 0 || channels > 8 {
			return sampleEntry{}, fmt.Errorf("%s entry: rate %d, %d channels", typ, rate, channels)
		}
		return sampleEntry{format: &g711.Format{MuLaw: typ == "ulaw", SampleRate: rate, Channels: channels, PT: pt}, pcm: true}, nil
	}
}

// parseEsds finds the esds box among the children (directly or inside a
// QuickTime wave box) and returns the object type and decoder config.
func parseEsds(children []byte) (uint8, []byte, error) {
	child, ok := findChild(children, "esds")
	if !ok {
		wave, ok2 := findChild(children, "wave")
		if ok2 {
			child, ok = findChild(wave, "esds")
		}
	}
	if !ok {
		return 0, nil, fmt.Errorf("no esds box")
	}
	var e mp4.Esds
	if _, err := mp4.Unmarshal(bytes.NewReader(child), uint64(len(child)), &e, mp4.Context{}); err != nil {
		return 0, nil, fmt.Errorf("esds: %w", err)
	}
	var oti uint8
	var config []byte
	for _, d := range e.Descriptors {
		switch {
		case d.Tag == mp4.DecoderConfigDescrTag && d.DecoderConfigDescriptor != nil:
			oti = d.DecoderConfigDescriptor.ObjectTypeIndication
		case d.Tag == mp4.DecSpecificInfoTag && config == nil:
			config = d.Data
		}
	}
	if config == nil && oti != 0x69 && oti != 0x6B {
		return oti, nil, fmt.Errorf("esds: no decoder specific info")
	}
	return oti, config, nil
}

// findChild returns the payload of the first box of type typ in a run of
// boxes.
func findChild(b []byte, typ string) ([]byte, bool) {
	for len(b) >= 8 {
		size := uint64(binary.BigEndian.Uint32(b))
		hdr := uint64(8)
		switch size {
		case 0:
			size = uint64(len(b))
		case 1:
			if len(b) < 16 {
				return nil, false
			}
			size = binary.BigEndian.Uint64(b[8:])
			hdr = 16
		}
		if size < hdr || size > uint64(len(b)) {
			return nil, false
		}
		if string(b[4:8]) == typ {
			return b[hdr:size], true
		}
		b = b[size:]
	}
	return nil, false
}

// mpeg4ProfileLevel reads profile_and_level_indication from the visual
// object sequence header of an MPEG-4 visual config, 1 when absent.
func mpeg4ProfileLevel(config []byte) int {
	for i := 0; i+4 < len(config); i++ {
		if config[i] == 0 && config[i+1] == 0 && config[i+2] == 1 && config[i+3] == 0xB0 {
			return int(config[i+4])
		}
	}
	return 1
}

// printable makes a four-character code safe to print.
func printable(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7E {
			b[i] = '?'
		}
	}
	return string(b)
}
