// Package payload holds the contract between media sources, the fan-out and
// the RTP payload formats: a Format describes one RTP media as SDP announces
// it, a Packetizer splits access units into RTP payloads and a Depacketizer
// joins RTP payloads back into access units. One sub-package per format.
package payload

import (
	"errors"

	"github.com/pion/rtp"
)

// MaxPacketSize is the largest RTP packet (header included) the server
// builds: it fits a 1500-byte Ethernet path with IPv6+UDP headers and a
// little room for SRTP's auth tag.
const MaxPacketSize = 1400

// RTPHeaderSize is the size of the fixed RTP header the server writes (no
// CSRC, no extension).
const RTPHeaderSize = 12

// MaxPayloadSize is what a Packetizer gets by default for one payload.
const MaxPayloadSize = MaxPacketSize - RTPHeaderSize

// MaxAccessUnitSize bounds what a Depacketizer will assemble; larger access
// units are dropped with ErrTooLarge rather than growing memory without end.
const MaxAccessUnitSize = 8 << 20

// Media types as SDP names them.
const (
	Video = "video"
	Audio = "audio"
)

// Errors shared by the format packages.
var (
	ErrTooLarge  = errors.New("payload: access unit too large")
	ErrMalformed = errors.New("payload: malformed payload")
)

// Format describes one RTP payload format of one media.
//
// An access unit ("AU") is what one RTP timestamp carries, given as a list
// of byte slices:
//   - H.264 / H.265: the NAL units, without start codes or length prefixes;
//   - MPEG-4 video: one slice, the VOP (optionally preceded by VOS/VOL headers);
//   - MJPEG: one slice, a complete baseline JPEG file (SOI … EOI);
//   - AAC: one slice per raw AAC frame (no ADTS header); several frames may
//     share one RTP packet;
//   - Opus: one slice, one Opus packet;
//   - G.711 / G.722 / G.726: one slice of encoded audio (sources deliver at
//     most 20–40 ms per AU so one AU fits one packet).
type Format interface {
	// MediaType is Video or Audio.
	MediaType() string
	// PayloadType is the RTP payload type (static or dynamic 96–127).
	PayloadType() uint8
	// ClockRate is the RTP timestamp clock in Hz (G.722: 8000 by RFC 3551).
	ClockRate() int
	// RTPMap is the a=rtpmap value after the payload type, e.g.
	// "H264/90000", "MPEG4-GENERIC/48000/2", "PCMU/8000".
	RTPMap() string
	// FMTP is the a=fmtp value after the payload type, or "" when the
	// format has none.
	FMTP() string
	// NewPacketizer returns a packetizer whose payloads are at most
	// maxPayload bytes long.
	NewPacketizer(maxPayload int) Packetizer
	// NewDepacketizer returns a depacketizer for this format.
	NewDepacketizer() Depacketizer
}

// Emit receives one RTP payload. marker is the RTP marker bit (last packet
// of a video access unit; first packet of a talkspurt for audio formats
// that use it, otherwise false). tsOffset is added to the access unit's RTP
// timestamp (non-zero only when a format splits one AU into packets of
// different timestamps). The payload slice is valid only during the call.
type Emit func(payload []byte, marker bool, tsOffset uint32)

// Packetizer splits access units into RTP payloads. It keeps its scratch
// buffers between calls: in steady state Packetize allocates nothing. It is
// not safe for concurrent use.
type Packetizer interface {
	// Packetize calls emit once per RTP payload of au, in order. key tells
	// that au is a random access point (H.264/H.265 packetizers insert the
	// parameter sets before an IDR that lacks them).
	Packetize(au [][]byte, key bool, emit Emit) error
}

// Depacketizer joins RTP packets into access units. It is not safe for
// concurrent use.
type Depacketizer interface {
	// Depacketize consumes one packet. It returns a complete access unit
	// when one is done, or nil and nil when more packets are needed. A lost
	// or malformed packet returns an error and drops the partial access
	// unit; the depacketizer stays usable. The returned slices are valid
	// until the next call.
	Depacketize(pkt *rtp.Packet) ([][]byte, error)
}
