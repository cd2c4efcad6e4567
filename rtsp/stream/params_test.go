package stream

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"

	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/g711"
	"rtspcam/rtsp/payload/h264"
	"rtspcam/rtsp/payload/h265"
	"rtspcam/rtsp/payload/mpeg4v"
)

var (
	ps264SPS = []byte{0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x47, 0xfe, 0xc8}
	ps264PPS = []byte{0x68, 0xce, 0x3c, 0x80}
	ps265VPS = []byte{0x40, 0x01, 0x0c, 0x01, 0xff, 0xff}
	ps265SPS = []byte{0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00}
	ps265PPS = []byte{0x44, 0x01, 0xc1, 0x72}
	mp4vCfg  = []byte{0, 0, 1, 0xb0, 0x01, 0, 0, 1, 0xb5, 0x89, 0, 0, 1, 0, 0, 0, 1, 0x20, 0x00, 0xc4}
)

// aggregate builds an aggregation payload: hdr, then 16-bit sizes and NAL
// units.
func aggregate(hdr []byte, nalus ...[]byte) []byte {
	out := append([]byte(nil), hdr...)
	for _, n := range nalus {
		out = binary.BigEndian.AppendUint16(out, uint16(len(n)))
		out = append(out, n...)
	}
	return out
}

// fuA splits a NAL unit into two H.264 FU-A payloads.
func fuA(nalu []byte) [][]byte {
	ind := nalu[0]&0xe0 | 28
	typ := nalu[0] & 0x1f
	mid := 1 + (len(nalu)-1)/2
	return [][]byte{
		append([]byte{ind, 0x80 | typ}, nalu[1:mid]...),
		append([]byte{ind, 0x40 | typ}, nalu[mid:]...),
	}
}

// fu265 splits an H.265 NAL unit into two fragmentation units.
func fu265(nalu []byte) [][]byte {
	typ := (nalu[0] >> 1) & 0x3f
	h0, h1 := nalu[0]&0x81|49<<1, nalu[1]
	mid := 2 + (len(nalu)-2)/2
	return [][]byte{
		append([]byte{h0, h1, 0x80 | typ}, nalu[2:mid]...),
		append([]byte{h0, h1, 0x40 | typ}, nalu[mid:]...),
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// TestRelayLearnsParameterSets: a publisher whose SDP has no parameter
// sets sends them in-band, as single NAL units, in aggregation packets or
// in fragments; the stream's format then announces them.
func TestRelayLearnsParameterSets(t *testing.T) {
	cases := []struct {
		name    string
		format  payload.Format
		packets [][]byte
		want    []string // in the FMTP
	}{
		{"h264 single", &h264.Format{PT: 97}, [][]byte{ps264SPS, ps264PPS, {0x65, 1, 2}},
			[]string{"profile-level-id=42C01E", "sprop-parameter-sets=" + b64(ps264SPS) + "," + b64(ps264PPS)}},
		{"h264 STAP-A", &h264.Format{}, [][]byte{aggregate([]byte{0x18}, ps264SPS, ps264PPS, []byte{0x65, 1})},
			[]string{"sprop-parameter-sets=" + b64(ps264SPS) + "," + b64(ps264PPS)}},
		{"h264 FU-A", &h264.Format{}, append(fuA(ps264SPS), fuA(ps264PPS)...),
			[]string{"sprop-parameter-sets=" + b64(ps264SPS) + "," + b64(ps264PPS)}},
		{"h264 replaces the SDP's", &h264.Format{SPS: []byte{0x67, 1, 2, 3}, PPS: []byte{0x68, 9}}, [][]byte{ps264SPS, ps264PPS},
			[]string{"sprop-parameter-sets=" + b64(ps264SPS) + "," + b64(ps264PPS)}},
		{"h265 single", &h265.Format{}, [][]byte{ps265VPS, ps265SPS, ps265PPS},
			[]string{"sprop-vps=" + b64(ps265VPS), "sprop-sps=" + b64(ps265SPS), "sprop-pps=" + b64(ps265PPS)}},
		{"h265 AP", &h265.Format{}, [][]byte{aggregate([]byte{0x60, 0x01}, ps265VPS, ps265SPS, ps265PPS)},
			[]string{"sprop-vps=" + b64(ps265VPS), "sprop-sps=" + b64(ps265SPS), "sprop-pps=" + b64(ps265PPS)}},
		{"h265 FU", &h265.Format{}, append(append(fu265(ps265VPS), fu265(ps265SPS)...), fu265(ps265PPS)...),
			[]string{"sprop-vps=" + b64(ps265VPS), "sprop-sps=" + b64(ps265SPS), "sprop-pps=" + b64(ps265PPS)}},
		{"mpeg4 config", &mpeg4v.Format{}, [][]byte{append(append([]byte(nil), mp4vCfg...), 0, 0, 1, 0xb6, 0x10, 0x20)},
			[]string{"config=000001B001000001B589000001000000012000C4", "profile-level-id=1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := NewRelay([]payload.Format{tc.format, &g711.Format{MuLaw: true}}, DefaultGOPBytes)
			before := s.Formats()[0].FMTP()
			for i, pl := range tc.packets {
				if err := s.WriteRTP(0, rtpPacket(3, uint16(i), 0, i == len(tc.packets)-1, pl)); err != nil {
					t.Fatal(err)
				}
			}
			got := s.Formats()
			fmtp := got[0].FMTP()
			for _, w := range tc.want {
				if !strings.Contains(fmtp, w) {
					t.Fatalf("FMTP %q lacks %q (before: %q)", fmtp, w, before)
				}
			}
			if got[0].PayloadType() != tc.format.PayloadType() || got[1] != s.tracks[1].format {
				t.Fatal("learning changed the payload type or another track")
			}
			if tc.format.FMTP() != before {
				t.Fatal("the announced format itself was changed (it is shared)")
			}
		})
	}
}

// TestRelayParameterSetsIgnoresJunk: truncated aggregation packets,
// fragments that never end or that start mid-way, and oversized sets are
// not learnt.
func TestRelayParameterSetsIgnoresJunk(t *testing.T) {
	s := NewRelay([]payload.Format{&h264.Format{}}, 0)
	frags := fuA(ps264SPS)
	big := append([]byte{0x67}, bytes.Repeat([]byte{1}, MaxParamSet)...)
	for i, pl := range [][]byte{
		{0x18, 0x00, 0x20, 0x67, 0x42}, // STAP-A size past the end
		frags[1],                       // an end with no start
		frags[0],                       // a start, then another NAL's start
		{0x7c, 0x85, 1, 2},
		frags[1],
		big,
	} {
		s.WriteRTP(0, rtpPacket(3, uint16(i), 0, false, pl))
	}
	if f := s.Formats()[0].FMTP(); f != "packetization-mode=1" {
		t.Fatalf("learnt from junk: %q", f)
	}
}

// TestRelayLearningAllocatesNothing: parameter sets that repeat before
// every IDR (as ffmpeg and cameras send them) cost no allocation once
// learnt; only a change copies.
func TestRelayLearningAllocatesNothing(t *testing.T) {
	s := NewRelay([]payload.Format{&h264.Format{}}, DefaultGOPBytes)
	r := NewReader(0)
	s.AddReader(r)
	stap := rtpPacket(3, 0, 0, false, aggregate([]byte{0x18}, ps264SPS, ps264PPS))
	frags := fuA(ps264SPS)
	fu1, fu2 := rtpPacket(3, 0, 0, false, frags[0]), rtpPacket(3, 0, 0, false, frags[1])
	buf := make([]*Packet, 64)
	seq := uint16(0)
	step := func() {
		for _, pkt := range [][]byte{stap, fu1, fu2} {
			seq++
			binary.BigEndian.PutUint16(pkt[2:], seq)
			binary.BigEndian.PutUint32(pkt[4:], uint32(seq/3)*3000) // a new keyframe each step
			s.WriteRTP(0, pkt)
		}
		n, _ := r.Read(buf)
		for _, p := range buf[:n] {
			p.Release()
		}
	}
	for i := 0; i < 100; i++ {
		step()
	}
	first := s.Formats()[0]
	if allocs := testing.AllocsPerRun(1000, step); allocs != 0 {
		t.Fatalf("%.2f allocations per packet with repeated parameter sets, want 0", allocs)
	}
	if s.Formats()[0] != first {
		t.Fatal("an unchanged parameter set made a new format")
	}
	newPPS := []byte{0x68, 0xce, 0x3c, 0x81}
	s.WriteRTP(0, rtpPacket(3, seq+1, 0, false, newPPS))
	if !strings.Contains(s.Formats()[0].FMTP(), ","+b64(newPPS)) {
		t.Fatalf("a changed PPS was not learnt: %q", s.Formats()[0].FMTP())
	}
}

func BenchmarkRelayLearnParameterSets(b *testing.B) {
	s := NewRelay([]payload.Format{&h264.Format{}}, 0)
	pkt := rtpPacket(3, 0, 0, false, aggregate([]byte{0x18}, ps264SPS, ps264PPS))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		binary.BigEndian.PutUint16(pkt[2:], uint16(i))
		s.WriteRTP(0, pkt)
	}
}

// FuzzParamSets feeds any payload to each kind of learner: no panic, and
// nothing learnt past the bound.
func FuzzParamSets(f *testing.F) {
	f.Add(aggregate([]byte{0x18}, ps264SPS, ps264PPS))
	f.Add(fuA(ps264SPS)[0])
	f.Add(aggregate([]byte{0x60, 0x01}, ps265VPS, ps265SPS))
	f.Add(fu265(ps265SPS)[0])
	f.Add(append(append([]byte(nil), mp4vCfg...), 0, 0, 1, 0xb6))
	f.Add([]byte{0x18, 0x00, 0x20, 0x67})
	f.Fuzz(func(t *testing.T, pl []byte) {
		for _, f := range []payload.Format{&h264.Format{}, &h265.Format{}, &mpeg4v.Format{}} {
			ps := newParamSets(f)
			// twice: a start fragment followed by its own bytes as the rest
			ps.learn(pl)
			ps.learn(pl)
			for _, set := range ps.sets {
				if len(set) > MaxParamSet {
					t.Fatalf("learnt %d bytes", len(set))
				}
			}
			_ = ps.format(f).FMTP()
		}
	})
}
