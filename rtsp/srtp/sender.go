package srtp

import (
	"fmt"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	pion "github.com/pion/srtp/v3"
)

// MaxPacket is the largest plaintext packet a Sender or Receiver takes.
const MaxPacket = 1500

// Sender encrypts one session's outgoing RTP and RTCP. It writes into its
// own buffer, so a packet shared by every reader of a stream is encrypted
// for this session without being copied first and without allocating. A
// Sender is used by one goroutine at a time.
type Sender struct {
	ctx  *pion.Context
	buf  []byte
	rtp  rtp.Header
	rtcp rtcp.Header
}

// NewSender prepares encryption with k.
func NewSender(k Keys) (*Sender, error) {
	c, err := k.context()
	if err != nil {
		return nil, err
	}
	return &Sender{ctx: c, buf: make([]byte, MaxPacket+Overhead)}, nil
}

// RTP returns b as SRTP. The result lives in the Sender's buffer until the
// next call.
func (s *Sender) RTP(b []byte) ([]byte, error) { return s.RTPTo(s.buf, b) }

// RTCP returns b as SRTCP, in the Sender's buffer like RTP.
func (s *Sender) RTCP(b []byte) ([]byte, error) { return s.RTCPTo(s.buf, b) }

// RTPTo encrypts b into dst, which needs room for len(b)+Overhead bytes
// to stay allocation free, and returns the SRTP packet.
func (s *Sender) RTPTo(dst, b []byte) ([]byte, error) {
	if len(b) > MaxPacket {
		return nil, fmt.Errorf("srtp: RTP packet of %d bytes, at most %d", len(b), MaxPacket)
	}
	out, err := s.ctx.EncryptRTP(dst[:0], b, &s.rtp)
	if err != nil {
		return nil, fmt.Errorf("srtp: encrypting RTP: %w", err)
	}
	return out, nil
}

// RTCPTo encrypts b into dst like RTPTo.
func (s *Sender) RTCPTo(dst, b []byte) ([]byte, error) {
	if len(b) > MaxPacket {
		return nil, fmt.Errorf("srtp: RTCP packet of %d bytes, at most %d", len(b), MaxPacket)
	}
	out, err := s.ctx.EncryptRTCP(dst[:0], b, &s.rtcp)
	if err != nil {
		return nil, fmt.Errorf("srtp: encrypting RTCP: %w", err)
	}
	return out, nil
}
