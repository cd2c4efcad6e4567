// Package h265 is the RTP payload format for H.265 (RFC 7798):
// single NAL unit, aggregation packets and fragmentation units.
package h265

// Format is H.265 over RTP, clock 90000.
type Format struct {
	PT  uint8
	VPS []byte
	SPS []byte
	PPS []byte
}
