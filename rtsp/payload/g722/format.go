// Package g722 is the RTP payload format for G.722 (RFC 3551): static
// payload type 9, sampled at 16000 Hz but announced with an 8000 Hz RTP
// clock, as RFC 3551 section 4.5.2 requires.
package g722

// Format is G.722 over RTP, mono.
type Format struct{}
