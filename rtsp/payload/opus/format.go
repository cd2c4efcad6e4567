// Package opus is the RTP payload format for Opus (RFC 7587): clock 48000,
// rtpmap always "opus/48000/2", channel count in sprop-stereo.
package opus

// Format is Opus over RTP.
type Format struct {
	PT       uint8
	Channels int // 1 or 2
}
