package rtsp

import (
	"net"
	"net/netip"
	"strings"
	"time"

	"rtspcam/rtsp/sdp"
	"rtspcam/rtsp/srtp"
)

// sessionDescription is the SDP of m as DESCRIBE answers it.
func sessionDescription(local net.Addr, path, reqURL string, m Media, keys *srtp.Keys) []byte {
	origin := ""
	if ap, err := netip.ParseAddrPort(local.String()); err == nil {
		origin = ap.Addr().Unmap().String()
	}
	now := uint64(time.Now().Unix())
	desc := sdp.Session{
		ID:       now,
		Version:  now,
		Name:     path,
		Origin:   origin,
		Duration: m.Duration(),
		Live:     m.Duration() == 0,
		Formats:  m.Formats(),
	}
	if strings.Contains(reqURL, "?") {
		// RFC 3986 resolution of "trackID=0" against a base with a
		// query drops the query (GStreamer does it so), and with it the
		// URL parameters the media was chosen by: give absolute URLs.
		base := contentBase(reqURL)
		desc.Control = func(i int) string { return base + sdp.TrackControl(i) }
	}
	if keys != nil {
		attrs, err := srtpAttributes(*keys)
		if err == nil {
			desc.Profile = "RTP/SAVP"
			desc.Attributes = func(int) []string { return attrs }
		}
	}
	return desc.Marshal()
}
