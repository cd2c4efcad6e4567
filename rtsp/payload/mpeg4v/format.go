// Package mpeg4v is the RTP payload format for MPEG-4 Part 2 visual
// (RFC 6416, "MP4V-ES").
package mpeg4v

// Format is MPEG-4 visual over RTP, clock 90000.
type Format struct {
	PT             uint8
	ProfileLevelID int    // profile-level-id; 1 (Simple Profile L1) when unknown
	Config         []byte // VOS+VO+VOL headers ("config" in fmtp, hex)
}
