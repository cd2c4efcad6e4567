package mikey

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
)

// gstMessage is what GStreamer 1.22's gst_mikey_message_new_from_caps
// built for the key 00 01 … 1d with hmac-sha1-80 (via GstSdp from Python).
const gstMessage = "AQAFAEyvOakAAAsA7rBg3jOtnwoKEJeQsvLk4cLEaGmDIFit21kBAAAAFQABAQEBEAIBAQMBCgcBAQgBAQoBAQAAACIAIAAeAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdAA=="

func seq30() []byte {
	b := make([]byte, 30)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func TestParseGStreamer(t *testing.T) {
	b, _ := base64.StdEncoding.DecodeString(gstMessage)
	m, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	k, err := m.SRTP()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k.Master, seq30()) || k.TagLen != 10 {
		t.Fatalf("keys %x tag %d, want 000102…1d and 10", k.Master, k.TagLen)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tag := range []int{10, 4} {
		m, err := NewSRTP(seq30(), tag, []uint32{0x12345678, 0x9abcdef0})
		if err != nil {
			t.Fatal(err)
		}
		got, err := Parse(m.Marshal())
		if err != nil {
			t.Fatal(err)
		}
		k, err := got.SRTP()
		if err != nil || !bytes.Equal(k.Master, seq30()) || k.TagLen != tag {
			t.Fatalf("round trip: %x %d %v", k.Master, k.TagLen, err)
		}
		if len(got.Sessions) != 2 || got.Sessions[1].SSRC != 0x9abcdef0 || got.CSBID != m.CSBID || got.Timestamp != m.Timestamp {
			t.Fatalf("header changed: %+v", got)
		}
	}
	// Key and salt apart (TEK+SALT) read as one master.
	m := &Message{Keys: []Key{{Type: KeyTEKSalt, Key: seq30()[:16], Salt: seq30()[16:]}}}
	got, err := Parse(m.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if k, err := got.SRTP(); err != nil || !bytes.Equal(k.Master, seq30()) {
		t.Fatalf("TEK+SALT: %x %v", k.Master, err)
	}
}

func TestRefused(t *testing.T) {
	good, _ := base64.StdEncoding.DecodeString(gstMessage)
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []struct {
		name string
		b    []byte
		err  error
	}{
		{"empty", nil, ErrMalformed},
		{"truncated", good[:len(good)-5], ErrMalformed},
		{"version 2", mut(func(b []byte) []byte { b[0] = 2; return b }), ErrUnsupported},
		{"DH", mut(func(b []byte) []byte { b[1] = 4; return b }), ErrUnsupported},
		{"encrypted KEMAC", mut(func(b []byte) []byte {
			i := bytes.Index(b, []byte{0, 0, 0x22, 0, 0x20}) // KEMAC: next, enc alg, len
			b[i] = 1
			return b
		}), ErrUnsupported},
		{"too big", make([]byte, MaxSize+1), ErrMalformed},
	}
	for _, c := range cases {
		if _, err := Parse(c.b); !errors.Is(err, c.err) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.err)
		}
	}
	if _, err := (&Message{}).SRTP(); err == nil {
		t.Error("a message without keys gave SRTP keys")
	}
}

// GStreamer 1.22's rtspclientsink profiles=savp (a publisher) sends its
// keys twice: in the ANNOUNCE's a=key-mgmt (one crypto session, no SSRC
// yet) and in the SETUP's KeyMgmt header (with the stream's SSRC and ROC).
// Keys from a throwaway test run.
const (
	sinkAnnounce = "AQAFAJu2RfkBAADpSxeFAAAAAAsA7rBuTPcNYr8KEFFrIR7dx3EhIaahbwNai1gBAAAAFQABAQEBEAIBAQMBCgcBAQgBAQoBAQAAACIAIAAeLR5fPy1h9aKhjlflRFTIR30QTH9Vmq72Qvw05+hhAA=="
	sinkSetup    = "AQAFAEa7YWcCAADpSxeFAAAAAAA2Ce59AAAAAAsA7rBuTPc23rkKEGstLIN4v+oEdM3FiQVJlwMBAAAAFQABAQEBEAIBAQMBCgcBAQgBAQoBAQAAACIAIAAeLR5fPy1h9aKhjlflRFTIR30QTH9Vmq72Qvw05+hhAA=="
)

func TestRTSPClientSinkKeys(t *testing.T) {
	var keys [][]byte
	for _, s := range []string{sinkAnnounce, sinkSetup} {
		b, _ := base64.StdEncoding.DecodeString(s)
		m, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		k, err := m.SRTP()
		if err != nil || k.TagLen != 10 || len(k.Master) != 30 {
			t.Fatalf("keys %d bytes, tag %d: %v", len(k.Master), k.TagLen, err)
		}
		keys = append(keys, k.Master)
	}
	if !bytes.Equal(keys[0], keys[1]) {
		t.Fatal("the ANNOUNCE and SETUP messages carry different keys")
	}
}

func FuzzParse(f *testing.F) {
	good, _ := base64.StdEncoding.DecodeString(gstMessage)
	f.Add(good)
	for _, s := range []string{sinkAnnounce, sinkSetup} {
		b, _ := base64.StdEncoding.DecodeString(s)
		f.Add(b)
	}
	m, _ := NewSRTP(seq30(), 4, []uint32{1})
	f.Add(m.Marshal())
	f.Add((&Message{Keys: []Key{{Type: KeyTEKSalt, Key: seq30()[:16], Salt: seq30()[16:]}}}).Marshal())
	f.Add(good[:20])
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			return
		}
		again, err := Parse(m.Marshal())
		if err != nil {
			t.Fatalf("cannot re-parse what Marshal wrote: %v", err)
		}
		k1, err1 := m.SRTP()
		k2, err2 := again.SRTP()
		if (err1 == nil) != (err2 == nil) || !bytes.Equal(k1.Master, k2.Master) {
			t.Fatalf("keys changed through Marshal: %v %v", err1, err2)
		}
	})
}
