// Package h264 is the RTP payload format for H.264 (RFC 6184):
// single NAL unit, STAP-A and FU-A, packetization-mode 1.
package h264

// Format is H.264 over RTP, clock 90000.
type Format struct {
	PT  uint8  // dynamic payload type, 96 by default
	SPS []byte // sequence parameter set (NAL unit, no start code); may be nil until learnt
	PPS []byte // picture parameter set
}
