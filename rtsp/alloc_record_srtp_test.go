package rtsp

import (
	"testing"

	"rtspcam/rtsp/srtp"
)

// nopPublication takes packets and keeps nothing.
type nopPublication struct{ n int }

func (p *nopPublication) WriteRTP(int, []byte) error  { p.n++; return nil }
func (p *nopPublication) WriteRTCP(int, []byte) error { return nil }
func (p *nopPublication) Close()                      {}

// srtpRecording is a publishing session of one track over TCP whose
// publisher sends SRTP under k, as setupRecordTrack leaves it.
func srtpRecording(tb testing.TB, k srtp.Keys) (*recording, *sessionTrack, *nopPublication) {
	srv := &Server{}
	srv.init()
	pub := &nopPublication{}
	ss := &serverSession{s: srv, slot: -1, tcp: true}
	in, err := newRecordReceiver(&k)
	if err != nil {
		tb.Fatal(err)
	}
	r := &recording{ss: ss, ann: &announcement{pub: pub}, in: []*srtp.Receiver{in}}
	ss.rec = r
	return r, &sessionTrack{index: 0, rtpChannel: 0, rtcpChannel: 1}, pub
}

// publisherPackets are n SRTP packets of 1200 payload bytes with
// consecutive sequence numbers, encrypted under k.
func publisherPackets(tb testing.TB, k srtp.Keys, n int) [][]byte {
	s, err := srtp.NewSender(k)
	if err != nil {
		tb.Fatal(err)
	}
	plain := make([]byte, 12+1200)
	plain[0], plain[1], plain[11] = 0x80, 96, 7
	out := make([][]byte, n)
	for i := range out {
		plain[2], plain[3] = byte(i>>8), byte(i)
		enc, err := s.RTP(plain)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = append([]byte(nil), enc...)
	}
	return out
}

// TestRecordSRTPAllocations: a publisher's SRTP packet is authenticated,
// decrypted (into the reading goroutine's Receiver) and handed to the
// publication without allocating, and so is a forged one refused.
func TestRecordSRTPAllocations(t *testing.T) {
	k, _ := srtp.NewKeys(srtp.AES128SHA1_80)
	r, st, pub := srtpRecording(t, k)
	pkts := publisherPackets(t, k, 1200)
	wire := make([]byte, 2048)
	i := 0
	step := func() {
		n := copy(wire, pkts[i]) // the socket read's buffer, decrypted in place of a copy
		i++
		r.interleaved(st, 0, wire[:n])
	}
	for range 100 {
		step()
	}
	if a := testing.AllocsPerRun(1000, step); a != 0 {
		t.Fatalf("%.2f allocations per SRTP packet received, want 0", a)
	}
	if pub.n != 1101 || r.srtpRejected.Load() != 0 { // AllocsPerRun runs once more to warm up
		t.Fatalf("publication got %d packets, %d rejected; want 1101, 0", pub.n, r.srtpRejected.Load())
	}
	forged := append([]byte(nil), pkts[0]...)
	forged[len(forged)-1] ^= 1
	if a := testing.AllocsPerRun(100, func() { r.interleaved(st, 0, forged) }); a != 0 {
		t.Fatalf("%.2f allocations per forged packet, want 0", a)
	}
	if r.srtpRejected.Load() != 101 || r.ss.s.SRTPRejected() != 101 {
		t.Fatalf("rejected %d (server %d), want 101", r.srtpRejected.Load(), r.ss.s.SRTPRejected())
	}
}

// BenchmarkRecordSRTP receives a publisher's packets of 1200 payload
// bytes over TCP and hands them to the publication: plain RTP, and SRTP
// (authenticate and decrypt first).
func BenchmarkRecordSRTP(b *testing.B) {
	for _, secure := range []bool{false, true} {
		b.Run(map[bool]string{false: "plain", true: "srtp"}[secure], func(b *testing.B) {
			k, _ := srtp.NewKeys(srtp.AES128SHA1_80)
			r, st, _ := srtpRecording(b, k)
			pkts := publisherPackets(b, k, 4096)
			if !secure {
				r.in[0] = nil
			}
			wire := make([]byte, 2048)
			b.SetBytes(1200)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				n := copy(wire, pkts[i%len(pkts)])
				i++
				r.interleaved(st, 0, wire[:n])
			}
			if r.srtpRejected.Load() != 0 {
				b.Fatalf("%d packets rejected", r.srtpRejected.Load())
			}
		})
	}
}
