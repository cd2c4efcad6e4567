// Package mjpeg is the RTP payload format for JPEG (RFC 2435), static
// payload type 26, clock 90000.
package mjpeg

// Format is Motion JPEG over RTP. It has no parameters: each packet carries
// the size, type and quantization tables of its frame.
type Format struct{}
