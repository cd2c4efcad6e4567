package message

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Interleaved is one frame of binary data on an RTSP connection (RFC 2326
// §10.12): '$', the channel, a 16-bit big-endian length and the payload.
type Interleaved struct {
	Channel uint8
	Payload []byte
}

// interleavedHeaderSize is '$', channel and length.
const interleavedHeaderSize = 4

// MaxInterleavedPayload is the largest payload a frame can carry.
const MaxInterleavedPayload = 0xffff

// MarshalSize returns the encoded size of f.
func (f *Interleaved) MarshalSize() int {
	return interleavedHeaderSize + len(f.Payload)
}

// MarshalTo writes f to dst without allocating and returns the bytes
// written.
func (f *Interleaved) MarshalTo(dst []byte) (int, error) {
	if len(f.Payload) > MaxInterleavedPayload {
		return 0, errPayloadTooLarge
	}
	n := interleavedHeaderSize + len(f.Payload)
	if len(dst) < n {
		return 0, io.ErrShortBuffer
	}
	dst[0] = '$'
	dst[1] = f.Channel
	binary.BigEndian.PutUint16(dst[2:], uint16(len(f.Payload)))
	copy(dst[4:], f.Payload)
	return n, nil
}

var errPayloadTooLarge = fmt.Errorf("message: interleaved payload over %d bytes", MaxInterleavedPayload)

// Marshal returns f encoded.
func (f *Interleaved) Marshal() ([]byte, error) {
	b := make([]byte, f.MarshalSize())
	n, err := f.MarshalTo(b)
	if err != nil {
		return nil, err
	}
	return b[:n], nil
}
