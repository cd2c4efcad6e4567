package rtsp

import (
	"net"
	"net/netip"
	"time"

	"rtspcam/rtsp/sdp"
)

// sessionDescription is the SDP of m as DESCRIBE answers it.
func sessionDescription(local net.Addr, path string, m Media) []byte {
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
	return desc.Marshal()
}
