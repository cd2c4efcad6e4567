// Package sdes reads and writes the SDP "a=crypto" attribute of RFC 4568
// (SDP Security Descriptions), which carries SRTP master keys in the clear
// inside the session description. Only the inline key method and the two
// AES-CM/HMAC-SHA1 suites SRTP defines by default are understood.
package sdes

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Suites this package knows (RFC 4568 §6.2).
const (
	SuiteAES128SHA1_80 = "AES_CM_128_HMAC_SHA1_80"
	SuiteAES128SHA1_32 = "AES_CM_128_HMAC_SHA1_32"
)

// Key sizes of both suites: a 128-bit master key and a 112-bit master salt.
const (
	KeyLen  = 16
	SaltLen = 14
)

// MaxLen bounds the attribute value Parse accepts.
const MaxLen = 1024

// ErrMalformed wraps every parse error.
var ErrMalformed = errors.New("sdes: malformed crypto attribute")

// ErrUnsupported is returned for a suite or key method this package does
// not implement; the caller may look at the next a=crypto line.
var ErrUnsupported = errors.New("sdes: unsupported crypto suite or key method")

// Crypto is one a=crypto line: "tag suite inline:key||lifetime|MKI:len [params]".
type Crypto struct {
	Tag   int
	Suite string
	// Key is the master key followed by the master salt (KeyLen+SaltLen bytes).
	Key []byte
	// Lifetime is the master key lifetime in packets, 0 when absent.
	Lifetime uint64
	// MKI is the master key identifier value and its length in bytes;
	// MKILen is 0 when absent.
	MKI    uint64
	MKILen int
}

// MasterKey and MasterSalt split Key.
func (c Crypto) MasterKey() []byte  { return c.Key[:KeyLen] }
func (c Crypto) MasterSalt() []byte { return c.Key[KeyLen:] }

// Parse reads the value of an a=crypto attribute (what follows "a=crypto:").
// Several inline keys (for MKI rollover) are not supported: the first is
// used and the rest ignored.
func Parse(v string) (Crypto, error) {
	var c Crypto
	if len(v) > MaxLen {
		return c, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformed, len(v), MaxLen)
	}
	fields := strings.Fields(v)
	if len(fields) < 3 {
		return c, fmt.Errorf("%w: want tag, suite and key params", ErrMalformed)
	}
	tag, err := strconv.Atoi(fields[0])
	if err != nil || tag < 0 || tag > 999999999 {
		return c, fmt.Errorf("%w: tag %q", ErrMalformed, short(fields[0]))
	}
	c.Tag = tag
	c.Suite = strings.ToUpper(fields[1])
	switch c.Suite {
	case SuiteAES128SHA1_80, SuiteAES128SHA1_32:
	default:
		return c, fmt.Errorf("%w: suite %q", ErrUnsupported, short(fields[1]))
	}
	params := fields[2]
	if i := strings.IndexByte(params, ';'); i >= 0 {
		params = params[:i] // further keys: ignored
	}
	method, info, ok := strings.Cut(params, ":")
	if !ok {
		return c, fmt.Errorf("%w: key params %q", ErrMalformed, short(params))
	}
	if !strings.EqualFold(method, "inline") {
		return c, fmt.Errorf("%w: key method %q", ErrUnsupported, short(method))
	}
	parts := strings.Split(info, "|")
	if len(parts) > 3 {
		return c, fmt.Errorf("%w: key info %q", ErrMalformed, short(info))
	}
	key, err := decodeKey(parts[0])
	if err != nil {
		return c, err
	}
	c.Key = key
	for _, p := range parts[1:] {
		if mki, length, isMKI := strings.Cut(p, ":"); isMKI {
			n, err1 := strconv.ParseUint(mki, 10, 64)
			l, err2 := strconv.Atoi(length)
			if err1 != nil || err2 != nil || l < 1 || l > 128 {
				return c, fmt.Errorf("%w: MKI %q", ErrMalformed, short(p))
			}
			c.MKI, c.MKILen = n, l
			continue
		}
		lt, err := parseLifetime(p)
		if err != nil {
			return c, err
		}
		c.Lifetime = lt
	}
	return c, nil
}

func decodeKey(s string) ([]byte, error) {
	// Keys are standard base64; some senders drop the padding.
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: key is not base64", ErrMalformed)
	}
	if len(key) != KeyLen+SaltLen {
		return nil, fmt.Errorf("%w: key and salt are %d bytes, want %d", ErrMalformed, len(key), KeyLen+SaltLen)
	}
	return key, nil
}

// parseLifetime reads "2^n" or a decimal number of packets.
func parseLifetime(p string) (uint64, error) {
	if e, ok := strings.CutPrefix(p, "2^"); ok {
		n, err := strconv.Atoi(e)
		if err != nil || n < 0 || n > 63 {
			return 0, fmt.Errorf("%w: lifetime %q", ErrMalformed, short(p))
		}
		return 1 << uint(n), nil
	}
	n, err := strconv.ParseUint(p, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: lifetime %q", ErrMalformed, short(p))
	}
	return n, nil
}

// String formats c as an a=crypto value (without "a=crypto:").
func (c Crypto) String() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(c.Tag))
	b.WriteByte(' ')
	b.WriteString(c.Suite)
	b.WriteString(" inline:")
	b.WriteString(base64.StdEncoding.EncodeToString(c.Key))
	if c.Lifetime > 0 {
		b.WriteString("|" + strconv.FormatUint(c.Lifetime, 10))
	}
	if c.MKILen > 0 {
		b.WriteString("|" + strconv.FormatUint(c.MKI, 10) + ":" + strconv.Itoa(c.MKILen))
	}
	return b.String()
}

func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
