package sdp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	psdp "github.com/pion/sdp/v3"

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

// MaxSize bounds the descriptions Unmarshal reads.
const MaxSize = 64 << 10

// MaxMedias bounds the media sections of one description.
const MaxMedias = 16

// maxCrypto bounds the a=crypto lines kept per media: offers list a
// handful of suites, the rest is noise.
const maxCrypto = 8

// Media is one m= section as a publisher or proxied server announced it.
type Media struct {
	Format   payload.Format
	Control  string // a=control, "" when absent
	Protocol string // "RTP/AVP", "RTP/SAVP", …
	// Crypto holds the media's a=crypto values (SDES keys, RFC 4568) and
	// KeyMgmt its a=key-mgmt value (MIKEY, RFC 4567), as sent: a
	// publisher's SRTP keys, read by the caller through rtsp/sdes and
	// rtsp/mikey.
	Crypto  []string
	KeyMgmt string
}

// Description is what Unmarshal understood of an SDP.
type Description struct {
	Control string // session-level a=control
	KeyMgmt string // session-level a=key-mgmt, for media without their own
	Medias  []Media
	// Skipped lists the media sections left out and why (unknown codec…).
	Skipped []string
}

// ErrNoMedia is returned when no media section has a playable format.
var ErrNoMedia = errors.New("sdp: no playable media")

// Unmarshal reads a session description, tolerant of what real encoders
// and cameras send: odd o= and c= lines, missing a=control, session-level
// control only. Each media section contributes its first payload type that
// a format package understands.
func Unmarshal(b []byte) (*Description, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("sdp: description of %d bytes exceeds %d", len(b), MaxSize)
	}
	var sd psdp.SessionDescription
	if err := sd.UnmarshalString(normalize(string(b))); err != nil {
		return nil, fmt.Errorf("sdp: %w", err)
	}
	d := &Description{}
	if v, ok := sd.Attribute("control"); ok {
		d.Control = strings.TrimSpace(v)
	}
	if v, ok := sd.Attribute("key-mgmt"); ok {
		d.KeyMgmt = strings.TrimSpace(v)
	}
	for i, md := range sd.MediaDescriptions {
		if i >= MaxMedias {
			d.Skipped = append(d.Skipped, fmt.Sprintf("media %d: more than %d media", i, MaxMedias))
			break
		}
		m, err := readMedia(md)
		if err != nil {
			d.Skipped = append(d.Skipped, fmt.Sprintf("media %d (%s): %v", i, md.MediaName.Media, err))
			continue
		}
		d.Medias = append(d.Medias, m)
	}
	if len(d.Medias) == 0 {
		if len(d.Skipped) > 0 {
			return nil, fmt.Errorf("%w: %s", ErrNoMedia, strings.Join(d.Skipped, "; "))
		}
		return nil, ErrNoMedia
	}
	return d, nil
}

// normalize repairs what pion/sdp is strict about and cameras get wrong:
// bare LF line ends, blank lines, trailing spaces, and lines out of the
// RFC 4566 order at the session level (pion wants v, o, s first).
func normalize(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var head, rest []string
	var have = map[byte]bool{}
	inMedia := false
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if len(line) < 2 || line[1] != '=' {
			continue
		}
		if line[0] == 'm' {
			inMedia = true
		}
		if !inMedia && (line[0] == 'v' || line[0] == 'o' || line[0] == 's') {
			if have[line[0]] {
				continue
			}
			have[line[0]] = true
			head = append(head, line)
			continue
		}
		rest = append(rest, line)
	}
	if !have['v'] {
		head = append([]string{"v=0"}, head...)
	}
	if !have['o'] {
		head = append(head, "o=- 0 0 IN IP4 0.0.0.0")
	}
	if !have['s'] {
		head = append(head, "s=-")
	}
	// pion wants a t= line; some encoders leave it out. It goes after the
	// session's c=/b= lines and before its attributes and media.
	hasT := false
	for _, l := range rest {
		if l[0] == 'm' {
			break
		}
		hasT = hasT || l[0] == 't'
	}
	if !hasT {
		at := len(rest)
		for i, l := range rest {
			if strings.IndexByte("rzkam", l[0]) >= 0 {
				at = i
				break
			}
		}
		rest = append(rest[:at], append([]string{"t=0 0"}, rest[at:]...)...)
	}
	// pion wants v, o, s in this order.
	order := map[byte]int{'v': 0, 'o': 1, 's': 2}
	for i := 0; i < len(head); i++ {
		for j := i + 1; j < len(head); j++ {
			if order[head[j][0]] < order[head[i][0]] {
				head[i], head[j] = head[j], head[i]
			}
		}
	}
	for i, l := range head {
		if l[0] == 'o' && len(strings.Fields(l[2:])) < 6 {
			head[i] = "o=- 0 0 IN IP4 0.0.0.0"
		}
		if l[0] == 's' && strings.TrimSpace(l[2:]) == "" {
			head[i] = "s=-"
		}
	}
	return strings.Join(append(head, rest...), "\r\n") + "\r\n"
}

func readMedia(md *psdp.MediaDescription) (Media, error) {
	m := Media{Protocol: strings.Join(md.MediaName.Protos, "/")}
	if v, ok := md.Attribute("control"); ok {
		m.Control = strings.TrimSpace(v)
	}
	for _, a := range md.Attributes {
		switch strings.ToLower(a.Key) {
		case "crypto":
			if len(m.Crypto) < maxCrypto {
				m.Crypto = append(m.Crypto, strings.TrimSpace(a.Value))
			}
		case "key-mgmt":
			if m.KeyMgmt == "" {
				m.KeyMgmt = strings.TrimSpace(a.Value)
			}
		}
	}
	if len(md.MediaName.Formats) == 0 {
		return m, errors.New("no payload type")
	}
	var lastErr error
	for _, ptStr := range md.MediaName.Formats {
		pt, err := strconv.Atoi(ptStr)
		if err != nil || pt < 0 || pt > 127 {
			lastErr = fmt.Errorf("bad payload type %q", ptStr)
			continue
		}
		rtpmap, fmtp := attributesOf(md, ptStr)
		f, err := formatOf(md.MediaName.Media, uint8(pt), rtpmap, fmtp)
		if err != nil {
			lastErr = err
			continue
		}
		m.Format = f
		return m, nil
	}
	return m, lastErr
}

func attributesOf(md *psdp.MediaDescription, pt string) (string, map[string]string) {
	rtpmap := ""
	fmtp := map[string]string{}
	for _, a := range md.Attributes {
		v := strings.TrimSpace(a.Value)
		p, rest, _ := strings.Cut(v, " ")
		if p != pt {
			continue
		}
		switch strings.ToLower(a.Key) {
		case "rtpmap":
			rtpmap = strings.TrimSpace(rest)
		case "fmtp":
			for _, kv := range strings.Split(rest, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(kv), "=")
				if k != "" {
					fmtp[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(val)
				}
			}
		}
	}
	return rtpmap, fmtp
}

// formatOf picks the format package by encoding name, or by static
// payload type when the rtpmap is missing.
func formatOf(media string, pt uint8, rtpmap string, fmtp map[string]string) (payload.Format, error) {
	enc, _, _ := strings.Cut(rtpmap, "/")
	enc = strings.ToUpper(enc)
	if enc == "" {
		switch pt {
		case 0:
			enc = "PCMU"
		case 8:
			enc = "PCMA"
		case 9:
			enc = "G722"
		case 26:
			enc = "JPEG"
		}
	}
	switch {
	case enc == "H264":
		return h264.Unmarshal(pt, rtpmap, fmtp)
	case enc == "H265":
		return h265.Unmarshal(pt, rtpmap, fmtp)
	case enc == "MP4V-ES":
		return mpeg4v.Unmarshal(pt, rtpmap, fmtp)
	case enc == "JPEG":
		return mjpeg.Unmarshal(pt, rtpmap, fmtp)
	case enc == "MPEG4-GENERIC":
		return aac.Unmarshal(pt, rtpmap, fmtp)
	case enc == "OPUS":
		return opus.Unmarshal(pt, rtpmap, fmtp)
	case enc == "PCMU" || enc == "PCMA":
		return g711.Unmarshal(pt, rtpmap, fmtp)
	case enc == "G722":
		return g722.Unmarshal(pt, rtpmap, fmtp)
	case strings.HasPrefix(enc, "G726-"):
		return g726.Unmarshal(pt, rtpmap, fmtp)
	}
	return nil, fmt.Errorf("unsupported %s format %d %q", media, pt, rtpmap)
}
