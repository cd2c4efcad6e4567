package srtp

import (
	"errors"
	"sync/atomic"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	pion "github.com/pion/srtp/v3"
)

// Errors of a refused packet. They are not wrapped with the packet's
// details: a flood of forged packets must cost no allocation either.
var (
	ErrRefused = errors.New("srtp: packet refused (wrong auth tag, replayed, or not SRTP)")
	ErrTooLong = errors.New("srtp: packet too long")
)

// Receiver checks and decrypts what one peer sends: its SRTCP reports, or
// the SRTP of a publisher. A packet that fails authentication is refused
// and counted. A Receiver is used by one goroutine at a time.
type Receiver struct {
	ctx      *pion.Context
	buf      []byte
	rtp      rtp.Header
	rtcp     rtcp.Header
	rejected atomic.Uint64
}

// NewReceiver prepares decryption with the peer's keys k.
func NewReceiver(k Keys) (*Receiver, error) {
	c, err := k.context()
	if err != nil {
		return nil, err
	}
	return &Receiver{ctx: c, buf: make([]byte, MaxPacket+Overhead)}, nil
}

// Rejected is the number of packets refused: a wrong auth tag, a replay
// or a packet too short to be SRTP.
func (r *Receiver) Rejected() uint64 { return r.rejected.Load() }

// RTCP authenticates and decrypts an SRTCP packet into the Receiver's
// buffer; the result lives until the next call.
func (r *Receiver) RTCP(b []byte) ([]byte, error) {
	if len(b) > MaxPacket+Overhead {
		r.rejected.Add(1)
		return nil, ErrTooLong
	}
	out, err := r.ctx.DecryptRTCP(r.buf[:0], b, &r.rtcp)
	if err != nil {
		r.rejected.Add(1)
		return nil, ErrRefused
	}
	return out, nil
}

// RTP authenticates and decrypts an SRTP packet like RTCP.
func (r *Receiver) RTP(b []byte) ([]byte, error) {
	if len(b) > MaxPacket+Overhead {
		r.rejected.Add(1)
		return nil, ErrTooLong
	}
	out, err := r.ctx.DecryptRTP(r.buf[:0], b, &r.rtp)
	if err != nil {
		r.rejected.Add(1)
		return nil, ErrRefused
	}
	return out, nil
}
