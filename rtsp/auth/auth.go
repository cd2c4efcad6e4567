// Package auth implements RTSP authentication (RFC 2617 as RTSP uses it):
// the server side (Validator: Basic and Digest with stateless nonces) and
// the client side (Sender: answers a server's challenge).
package auth

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"strings"
)

// Errors from Validator.Check. They never carry a password.
var (
	// ErrNoCredentials: the request has no Authorization header; answer
	// 401 with Challenges(false).
	ErrNoCredentials = errors.New("auth: no credentials")
	// ErrBadCredentials: unknown user, wrong password, a nonce this
	// server did not issue, or a malformed header; answer 401 with
	// Challenges(false).
	ErrBadCredentials = errors.New("auth: bad credentials")
	// ErrStaleNonce: the digest is right but its nonce has expired; answer
	// 401 with Challenges(true) so the client retries without asking the
	// user again.
	ErrStaleNonce = errors.New("auth: stale nonce")
	// ErrUnsupportedChallenge: NewSender found neither Basic nor an MD5
	// Digest challenge.
	ErrUnsupportedChallenge = errors.New("auth: no supported challenge")
)

// Digest algorithms supported.
const (
	algMD5     = "MD5"
	algMD5Sess = "MD5-sess"
)

func md5Hex(parts ...string) string {
	h := md5.New()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{':'})
		}
		h.Write([]byte(p))
	}
	var sum [md5.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// digestParams are the inputs of one Digest response.
type digestParams struct {
	algorithm, user, realm, password string
	nonce, cnonce, qop, nc           string
	method, uri                      string
}

// response computes request-digest per RFC 2617 §3.2.2.1: with qop=auth,
// or in RFC 2069 style without qop.
func (d *digestParams) response() string {
	ha1 := md5Hex(d.user, d.realm, d.password)
	if strings.EqualFold(d.algorithm, algMD5Sess) {
		ha1 = md5Hex(ha1, d.nonce, d.cnonce)
	}
	ha2 := md5Hex(d.method, d.uri)
	if d.qop != "" {
		return md5Hex(ha1, d.nonce, d.nc, d.cnonce, d.qop, ha2)
	}
	return md5Hex(ha1, d.nonce, ha2)
}
