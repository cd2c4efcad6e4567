// Package sdp writes the session descriptions the server announces and
// reads the ones publishers and proxied servers send.
package sdp

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"rtspcam/rtsp/payload"
)

// Session is what DESCRIBE answers with.
type Session struct {
	ID       uint64
	Version  uint64
	Name     string
	Origin   string // address for o= and c= ("IN IP4 x" or "IN IP6 x" is chosen by its form); empty means 0.0.0.0
	Duration time.Duration
	Live     bool
	Formats  []payload.Format
	// Control returns the a=control value of a track; TrackControl when nil.
	Control func(track int) string
	// Profile is the media transport protocol, "RTP/AVP" when empty;
	// "RTP/SAVP" offers SRTP.
	Profile string
	// Attributes returns extra attribute lines of a track ("crypto:…",
	// "key-mgmt:…", without "a="); none when nil.
	Attributes func(track int) []string
}

// TrackControl is the control attribute of track i: "trackID=i".
func TrackControl(i int) string { return "trackID=" + strconv.Itoa(i) }

// Marshal writes the description in the order RFC 4566 requires.
func (s *Session) Marshal() []byte {
	var b strings.Builder
	addr := s.Origin
	family := "IP4"
	if strings.Contains(addr, ":") {
		family = "IP6"
	}
	if addr == "" {
		addr = "0.0.0.0"
	}
	name := s.Name
	if name == "" {
		name = "rtspcam"
	}
	fmt.Fprintf(&b, "v=0\r\no=- %d %d IN %s %s\r\ns=%s\r\n", s.ID, s.Version, family, addr, name)
	fmt.Fprintf(&b, "c=IN %s %s\r\nt=0 0\r\na=tool:rtspcam\r\na=control:*\r\n", family, zeroAddr(family))
	if s.Live || s.Duration <= 0 {
		b.WriteString("a=range:npt=0-\r\n")
	} else {
		fmt.Fprintf(&b, "a=range:npt=0-%.3f\r\n", s.Duration.Seconds())
	}
	for i, f := range s.Formats {
		pt := f.PayloadType()
		profile := s.Profile
		if profile == "" {
			profile = "RTP/AVP"
		}
		fmt.Fprintf(&b, "m=%s 0 %s %d\r\n", f.MediaType(), profile, pt)
		if m := f.RTPMap(); m != "" {
			fmt.Fprintf(&b, "a=rtpmap:%d %s\r\n", pt, m)
		}
		if p := f.FMTP(); p != "" {
			fmt.Fprintf(&b, "a=fmtp:%d %s\r\n", pt, p)
		}
		ctl := TrackControl(i)
		if s.Control != nil {
			ctl = s.Control(i)
		}
		fmt.Fprintf(&b, "a=control:%s\r\n", ctl)
		if s.Attributes != nil {
			for _, a := range s.Attributes(i) {
				fmt.Fprintf(&b, "a=%s\r\n", a)
			}
		}
	}
	return []byte(b.String())
}

func zeroAddr(family string) string {
	if family == "IP6" {
		return "::"
	}
	return "0.0.0.0"
}
