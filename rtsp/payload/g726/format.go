// Package g726 is the RTP payload format for G.726 (RFC 3551 section 4.5.4,
// "G726-16/24/32/40", codewords packed from the least significant bit).
package g726

// Format is G.726 over RTP, 8000 Hz mono.
type Format struct {
	PT      uint8
	Bitrate int // 16000, 24000, 32000 or 40000
}
