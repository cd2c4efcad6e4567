// Package g711 is the RTP payload format for G.711 µ-law (PCMU, static
// payload type 0) and A-law (PCMA, 8) (RFC 3551).
package g711

// Format is G.711 over RTP. With 8000 Hz mono it uses the static payload
// types 0 and 8; other rates or channel counts use PT (dynamic).
type Format struct {
	MuLaw      bool
	SampleRate int // 8000 when 0
	Channels   int // 1 when 0
	PT         uint8
}
