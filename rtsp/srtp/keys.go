// Package srtp protects one RTSP session's RTP and RTCP with SRTP and SRTCP
// (RFC 3711) through pion/srtp: the master keys a session offers or is
// given, a Sender that encrypts into its own preallocated buffer, and a
// Receiver that checks and decrypts what the peer sends. Keys never appear
// in errors or String output.
package srtp

import (
	"crypto/rand"
	"fmt"

	pion "github.com/pion/srtp/v3"

	"rtspcam/rtsp/sdes"
)

// Profile is an SRTP crypto suite.
type Profile int

// The two AES-CM/HMAC-SHA1 suites every SRTP peer implements.
const (
	AES128SHA1_80 Profile = iota // 80-bit auth tag, the default
	AES128SHA1_32                // 32-bit auth tag on SRTP, 80-bit on SRTCP
)

// KeyLen is the master key and salt length of both profiles.
const KeyLen = sdes.KeyLen + sdes.SaltLen

// Overhead is the most SRTP or SRTCP adds to a packet: the SRTCP index and
// an 80-bit tag.
const Overhead = 4 + 10

// SDES is the suite name of p in an a=crypto attribute.
func (p Profile) SDES() string {
	if p == AES128SHA1_32 {
		return sdes.SuiteAES128SHA1_32
	}
	return sdes.SuiteAES128SHA1_80
}

// TagLen is the SRTP auth tag length of p in bytes.
func (p Profile) TagLen() int {
	if p == AES128SHA1_32 {
		return 4
	}
	return 10
}

func (p Profile) pion() pion.ProtectionProfile {
	if p == AES128SHA1_32 {
		return pion.ProtectionProfileAes128CmHmacSha1_32
	}
	return pion.ProtectionProfileAes128CmHmacSha1_80
}

// ProfileOf maps an a=crypto suite name to a Profile.
func ProfileOf(suite string) (Profile, error) {
	switch suite {
	case sdes.SuiteAES128SHA1_80:
		return AES128SHA1_80, nil
	case sdes.SuiteAES128SHA1_32:
		return AES128SHA1_32, nil
	}
	return 0, fmt.Errorf("srtp: unsupported suite %q", suite)
}

// Keys is a master key and salt with the profile they are used with.
type Keys struct {
	Profile Profile
	Master  [KeyLen]byte // key (16 bytes) then salt (14 bytes)
}

// NewKeys draws fresh random keys.
func NewKeys(p Profile) (Keys, error) {
	k := Keys{Profile: p}
	if _, err := rand.Read(k.Master[:]); err != nil {
		return k, fmt.Errorf("srtp: drawing keys: %w", err)
	}
	return k, nil
}

// KeysFromCrypto takes the keys of a parsed a=crypto attribute.
func KeysFromCrypto(c sdes.Crypto) (Keys, error) {
	p, err := ProfileOf(c.Suite)
	if err != nil {
		return Keys{}, err
	}
	if len(c.Key) != KeyLen {
		return Keys{}, fmt.Errorf("srtp: key of %d bytes, want %d", len(c.Key), KeyLen)
	}
	k := Keys{Profile: p}
	copy(k.Master[:], c.Key)
	return k, nil
}

// Crypto is k as an a=crypto attribute with tag.
func (k Keys) Crypto(tag int) sdes.Crypto {
	return sdes.Crypto{Tag: tag, Suite: k.Profile.SDES(), Key: append([]byte(nil), k.Master[:]...)}
}

// String hides the key: Keys may end up in a log line by mistake.
func (k Keys) String() string { return "srtp keys " + k.Profile.SDES() + " (hidden)" }

// GoString hides the key from %#v too.
func (k Keys) GoString() string { return k.String() }

func (k Keys) context() (*pion.Context, error) {
	c, err := pion.CreateContext(k.Master[:sdes.KeyLen], k.Master[sdes.KeyLen:], k.Profile.pion())
	if err != nil {
		return nil, fmt.Errorf("srtp: %w", err)
	}
	return c, nil
}
