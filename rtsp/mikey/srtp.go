package mikey

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"
)

// SRTPKeys is what an SRTP session needs from a message: the master key
// and salt (30 bytes for AES-128) and the auth tag length in bytes.
type SRTPKeys struct {
	Master []byte
	TagLen int
}

// SRTP extracts the first SRTP key and its policy. The key data may carry
// key and salt together (GStreamer's form) or apart (TEK+SALT).
func (m *Message) SRTP() (SRTPKeys, error) {
	var k SRTPKeys
	if len(m.Keys) == 0 {
		return k, fmt.Errorf("%w: no key", ErrMalformed)
	}
	key := m.Keys[0]
	k.Master = append(append([]byte(nil), key.Key...), key.Salt...)
	if len(k.Master) != 30 {
		return SRTPKeys{}, fmt.Errorf("%w: %d key bytes, want 30 (AES-128 key and salt)", ErrUnsupported, len(k.Master))
	}
	k.TagLen = 10
	if len(m.Policies) > 0 {
		p := m.Policies[0]
		if enc := p.Value(ParamEncAlg, EncAlgAESCM); enc != EncAlgAESCM {
			return SRTPKeys{}, fmt.Errorf("%w: SRTP cipher %d", ErrUnsupported, enc)
		}
		if auth := p.Value(ParamAuthAlg, AuthAlgHMACSHA1); auth != AuthAlgHMACSHA1 {
			return SRTPKeys{}, fmt.Errorf("%w: SRTP auth %d", ErrUnsupported, auth)
		}
		if l := p.Value(ParamEncKeyLen, 16); l != 16 {
			return SRTPKeys{}, fmt.Errorf("%w: key length %d", ErrUnsupported, l)
		}
		k.TagLen = p.Value(ParamAuthTagLen, 10)
		if k.TagLen != 10 && k.TagLen != 4 {
			return SRTPKeys{}, fmt.Errorf("%w: auth tag of %d bytes", ErrUnsupported, k.TagLen)
		}
	}
	return k, nil
}

// NewSRTP builds the initiation message that hands master (key then salt,
// 30 bytes) to the peer for the streams ssrcs, with an AES-CM/HMAC-SHA1
// policy whose SRTP auth tag is tagLen bytes.
func NewSRTP(master []byte, tagLen int, ssrcs []uint32) (*Message, error) {
	var r [16]byte
	if _, err := rand.Read(r[:]); err != nil {
		return nil, fmt.Errorf("mikey: %w", err)
	}
	m := &Message{
		Type:      TypePSKInit,
		CSBID:     binary.BigEndian.Uint32(r[:4]),
		Timestamp: ntp(time.Now()),
		Rand:      r[:],
		Policies: []Policy{{No: 0, Params: []Param{
			{ParamEncAlg, []byte{EncAlgAESCM}},
			{ParamEncKeyLen, []byte{16}},
			{ParamAuthAlg, []byte{AuthAlgHMACSHA1}},
			{ParamAuthKeyLen, []byte{20}},
			{ParamSaltKeyLen, []byte{14}},
			{ParamSRTPEnc, []byte{1}},
			{ParamSRTCPEnc, []byte{1}},
			{ParamSRTPAuth, []byte{1}},
			{ParamAuthTagLen, []byte{byte(tagLen)}},
		}}},
		Keys: []Key{{Type: KeyTEK, Key: append([]byte(nil), master...)}},
	}
	for _, s := range ssrcs {
		m.Sessions = append(m.Sessions, CryptoSession{SSRC: s})
	}
	return m, nil
}

func ntp(t time.Time) uint64 {
	const epoch = 2208988800 // seconds from 1900 to 1970
	s := uint64(t.Unix()) + epoch
	f := uint64(t.Nanosecond()) << 32 / 1e9
	return s<<32 | f
}
