package srtp

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/pion/rtp"

	"rtspcam/rtsp/sdes"
)

func rtpPacket(t testing.TB, seq uint16, payload []byte) []byte {
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: 9000, SSRC: 0x11223344}, Payload: payload}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// An RTCP receiver report with no blocks: the smallest valid RTCP.
func rtcpRR(ssrc uint32) []byte {
	return []byte{0x80, 201, 0, 1, byte(ssrc >> 24), byte(ssrc >> 16), byte(ssrc >> 8), byte(ssrc)}
}

func TestRoundTripBothProfiles(t *testing.T) {
	for _, p := range []Profile{AES128SHA1_80, AES128SHA1_32} {
		t.Run(p.SDES(), func(t *testing.T) {
			k, err := NewKeys(p)
			if err != nil {
				t.Fatal(err)
			}
			// Keys travel through SDES and back, as DESCRIBE and SETUP do.
			c, err := sdes.Parse(k.Crypto(1).String())
			if err != nil {
				t.Fatal(err)
			}
			k2, err := KeysFromCrypto(c)
			if err != nil || k2 != k {
				t.Fatalf("keys changed through SDES: %v", err)
			}
			s, _ := NewSender(k)
			r, _ := NewReceiver(k2)
			payload := []byte("plaintext payload that must not show")
			for seq := uint16(65530); seq != 5; seq++ { // across the rollover
				plain := rtpPacket(t, seq, payload)
				enc, err := s.RTP(plain)
				if err != nil {
					t.Fatal(err)
				}
				if len(enc) != len(plain)+p.TagLen() {
					t.Fatalf("SRTP is %d bytes, want %d", len(enc), len(plain)+p.TagLen())
				}
				if bytes.Contains(enc, payload[:8]) {
					t.Fatal("SRTP packet carries the plaintext payload")
				}
				dec, err := r.RTP(append([]byte(nil), enc...))
				if err != nil || !bytes.Equal(dec, plain) {
					t.Fatalf("decrypt seq %d: %v", seq, err)
				}
			}
			enc, err := s.RTCP(rtcpRR(7))
			if err != nil {
				t.Fatal(err)
			}
			if len(enc) != 8+4+10 {
				t.Fatalf("SRTCP is %d bytes, want 22", len(enc))
			}
			if dec, err := r.RTCP(append([]byte(nil), enc...)); err != nil || !bytes.Equal(dec, rtcpRR(7)) {
				t.Fatalf("SRTCP round trip: %v", err)
			}
			if r.Rejected() != 0 {
				t.Fatalf("rejected %d good packets", r.Rejected())
			}
		})
	}
}

func TestWrongTagRejectedAndCounted(t *testing.T) {
	k, _ := NewKeys(AES128SHA1_80)
	s, _ := NewSender(k)
	r, _ := NewReceiver(k)
	enc, _ := s.RTCP(rtcpRR(9))
	bad := append([]byte(nil), enc...)
	bad[len(bad)-1] ^= 1
	if _, err := r.RTCP(bad); err == nil {
		t.Fatal("SRTCP with a wrong tag accepted")
	}
	other, _ := NewKeys(AES128SHA1_80)
	s2, _ := NewSender(other)
	enc2, _ := s2.RTP(rtpPacket(t, 1, []byte("x")))
	if _, err := r.RTP(append([]byte(nil), enc2...)); err == nil {
		t.Fatal("SRTP under another key accepted")
	}
	if _, err := r.RTCP([]byte{1, 2}); err == nil {
		t.Fatal("runt accepted")
	}
	if r.Rejected() != 3 {
		t.Fatalf("Rejected = %d, want 3", r.Rejected())
	}
}

func TestKeysNeverPrinted(t *testing.T) {
	k, _ := NewKeys(AES128SHA1_80)
	enc := k.Crypto(1).String()
	secret := enc[len(enc)-40:]
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %s", k, k, k, k)} {
		if bytes.Contains([]byte(s), []byte(secret)) || bytes.Contains([]byte(s), k.Master[:4]) {
			t.Fatalf("key shows in %q", s)
		}
	}
}

func TestSenderAllocatesNothing(t *testing.T) {
	k, _ := NewKeys(AES128SHA1_80)
	s, _ := NewSender(k)
	plain := rtpPacket(t, 1, make([]byte, 1200))
	rr := rtcpRR(3)
	seq := uint16(1)
	allocs := testing.AllocsPerRun(1000, func() {
		seq++
		plain[2], plain[3] = byte(seq>>8), byte(seq)
		if _, err := s.RTP(plain); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RTCP(rr); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per packet, want 0", allocs)
	}
}

func BenchmarkSenderRTP(b *testing.B) {
	k, _ := NewKeys(AES128SHA1_80)
	s, _ := NewSender(k)
	plain := rtpPacket(b, 1, make([]byte, 1388))
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		plain[2], plain[3] = byte(i>>8), byte(i)
		if _, err := s.RTP(plain); err != nil {
			b.Fatal(err)
		}
	}
}
