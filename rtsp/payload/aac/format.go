// Package aac is the RTP payload format for MPEG-4 AAC (RFC 3640,
// "mpeg4-generic", mode AAC-hbr).
package aac

// Format is AAC over RTP; the clock is the sample rate.
type Format struct {
	PT               uint8
	Config           []byte // AudioSpecificConfig
	SampleRate       int
	Channels         int
	SizeLength       int // 13 for AAC-hbr
	IndexLength      int // 3
	IndexDeltaLength int // 3
}
