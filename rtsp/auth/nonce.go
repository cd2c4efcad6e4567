package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// A nonce is hex(issue time as Unix nanoseconds, 8 bytes big-endian ‖
// first 16 bytes of HMAC-SHA256(secret, those 8 bytes)). The server keeps
// no per-nonce state: any connection, and any process holding the same
// secret, can verify a nonce and tell its age.
const (
	nonceTimeLen = 8
	nonceMACLen  = 16
	nonceHexLen  = 2 * (nonceTimeLen + nonceMACLen)
)

func (v *Validator) mac(msg []byte) []byte {
	m := hmac.New(sha256.New, v.secret)
	m.Write(msg)
	return m.Sum(nil)
}

func (v *Validator) newNonce(now time.Time) string {
	var b [nonceTimeLen + nonceMACLen]byte
	binary.BigEndian.PutUint64(b[:nonceTimeLen], uint64(now.UnixNano()))
	copy(b[nonceTimeLen:], v.mac(b[:nonceTimeLen]))
	return hex.EncodeToString(b[:])
}

// nonceTime returns when nonce was issued, or false when this secret did
// not make it.
func (v *Validator) nonceTime(nonce string) (time.Time, bool) {
	if len(nonce) != nonceHexLen {
		return time.Time{}, false
	}
	var b [nonceTimeLen + nonceMACLen]byte
	if _, err := hex.Decode(b[:], []byte(nonce)); err != nil {
		return time.Time{}, false
	}
	if !hmac.Equal(b[nonceTimeLen:], v.mac(b[:nonceTimeLen])[:nonceMACLen]) {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b[:nonceTimeLen]))), true
}
