package sdes

import (
	"bytes"
	"errors"
	"testing"
)

// key30 is "0123456789abcdefghijklmnopqrst" in base64.
const key30 = "MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3BxcnN0"

var cases = []struct {
	name, in string
	want     Crypto
	err      error
}{
	{"rfc 4568 example", "1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|2^20|1:4",
		Crypto{Tag: 1, Suite: SuiteAES128SHA1_80, Key: []byte("0123456789abcdefghijklmnopqrst"), Lifetime: 1 << 20, MKI: 1, MKILen: 4}, nil},
	{"32-bit tag", "2 AES_CM_128_HMAC_SHA1_32 inline:" + key30,
		Crypto{Tag: 2, Suite: SuiteAES128SHA1_32, Key: []byte("0123456789abcdefghijklmnopqrst")}, nil},
	{"session params after", "1 aes_cm_128_hmac_sha1_80 inline:" + key30 + " KDR=0 UNENCRYPTED_SRTCP",
		Crypto{Tag: 1, Suite: SuiteAES128SHA1_80, Key: []byte("0123456789abcdefghijklmnopqrst")}, nil},
	{"two keys", "1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|1:4;inline:" + key30 + "|2:4",
		Crypto{Tag: 1, Suite: SuiteAES128SHA1_80, Key: []byte("0123456789abcdefghijklmnopqrst"), MKI: 1, MKILen: 4}, nil},
	{"gcm", "1 AEAD_AES_128_GCM inline:" + key30, Crypto{}, ErrUnsupported},
	{"uri key", "1 AES_CM_128_HMAC_SHA1_80 uri:http://x", Crypto{}, ErrUnsupported},
	{"short key", "1 AES_CM_128_HMAC_SHA1_80 inline:QUJD", Crypto{}, ErrMalformed},
	{"not base64", "1 AES_CM_128_HMAC_SHA1_80 inline:!!!!", Crypto{}, ErrMalformed},
	{"no tag", "AES_CM_128_HMAC_SHA1_80 inline:" + key30, Crypto{}, ErrMalformed},
	{"missing key", "1 AES_CM_128_HMAC_SHA1_80", Crypto{}, ErrMalformed},
	{"bad lifetime", "1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|2^99", Crypto{}, ErrMalformed},
	{"bad mki", "1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|1:0", Crypto{}, ErrMalformed},
}

func TestParse(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(c.in)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("Parse(%q) error = %v, want %v", c.in, err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", c.in, err)
			}
			if got.Tag != c.want.Tag || got.Suite != c.want.Suite || !bytes.Equal(got.Key, c.want.Key) ||
				got.Lifetime != c.want.Lifetime || got.MKI != c.want.MKI || got.MKILen != c.want.MKILen {
				t.Fatalf("Parse(%q) = %+v, want %+v", c.in, got, c.want)
			}
			again, err := Parse(got.String())
			if err != nil || !bytes.Equal(again.Key, got.Key) || again.Suite != got.Suite || again.Lifetime != got.Lifetime {
				t.Fatalf("round trip of %q: %+v, %v", got.String(), again, err)
			}
			if !bytes.Equal(got.MasterKey(), c.want.Key[:16]) || !bytes.Equal(got.MasterSalt(), c.want.Key[16:]) {
				t.Fatal("MasterKey/MasterSalt split wrong")
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range cases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			return
		}
		if len(c.Key) != KeyLen+SaltLen {
			t.Fatalf("accepted key of %d bytes", len(c.Key))
		}
		again, err := Parse(c.String())
		if err != nil {
			t.Fatalf("cannot re-parse %q: %v", c.String(), err)
		}
		if !bytes.Equal(again.Key, c.Key) || again.Suite != c.Suite || again.Tag != c.Tag {
			t.Fatalf("round trip changed %+v to %+v", c, again)
		}
	})
}
