package mpeg4v

import (
	"bytes"
	"errors"
	"testing"

	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
)

func pkt(seq uint16, ts uint32, marker bool, p ...byte) *rtp.Packet {
	return &rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Timestamp: ts, Marker: marker}, Payload: p}
}

func TestDepacketizerCases(t *testing.T) {
	cases := []struct {
		name   string
		pkts   []*rtp.Packet
		frames [][]byte
		errs   int
	}{
		{"one packet", []*rtp.Packet{pkt(1, 0, true, 1, 2)}, [][]byte{{1, 2}}, 0},
		{"joined until marker", []*rtp.Packet{pkt(1, 0, false, 1), pkt(2, 0, false, 2), pkt(3, 0, true, 3)}, [][]byte{{1, 2, 3}}, 0},
		{"timestamp change", []*rtp.Packet{pkt(1, 0, false, 1), pkt(2, 9, false, 2), pkt(3, 9, true, 3)}, [][]byte{{1}, {2, 3}}, 0},
		{"lost middle", []*rtp.Packet{pkt(1, 0, false, 1), pkt(3, 0, true, 3), pkt(4, 9, true, 4)}, [][]byte{{4}}, 1},
		{"lost marker", []*rtp.Packet{pkt(1, 0, false, 1), pkt(3, 9, false, 4), pkt(4, 9, true, 5)}, [][]byte{{4, 5}}, 1},
		{"empty payload", []*rtp.Packet{pkt(1, 0, false, 1), pkt(2, 0, false), pkt(3, 0, true, 3), pkt(4, 9, true, 4)}, [][]byte{{4}}, 1},
		{"sequence wraps", []*rtp.Packet{pkt(65535, 0, false, 1), pkt(0, 0, true, 2)}, [][]byte{{1, 2}}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := newDepacketizer()
			var frames [][]byte
			errs := 0
			for _, p := range c.pkts {
				au, err := d.Depacketize(p)
				if err != nil {
					if !errors.Is(err, payload.ErrMalformed) {
						t.Errorf("error kind: %v", err)
					}
					errs++
				}
				if au != nil {
					frames = append(frames, append([]byte(nil), au[0]...))
				}
			}
			if errs != c.errs || len(frames) != len(c.frames) {
				t.Fatalf("frames %x, %d errors; want %x, %d", frames, errs, c.frames, c.errs)
			}
			for i := range frames {
				if !bytes.Equal(frames[i], c.frames[i]) {
					t.Fatalf("frames %x, want %x", frames, c.frames)
				}
			}
		})
	}
}

func TestDepacketizerLimit(t *testing.T) {
	d := newDepacketizer()
	chunk := make([]byte, 60000)
	var seq uint16
	var errs []error
	for size := 0; size <= payload.MaxAccessUnitSize; size += len(chunk) {
		if _, err := d.Depacketize(pkt(seq, 0, false, chunk...)); err != nil {
			errs = append(errs, err)
		}
		seq++
	}
	if len(errs) != 1 || !errors.Is(errs[0], payload.ErrTooLarge) {
		t.Errorf("errors %v", errs)
	}
	if au, err := d.Depacketize(pkt(seq, 9, true, 1)); err != nil || len(au) != 1 || !bytes.Equal(au[0], []byte{1}) {
		t.Errorf("after the limit: %x %v", au, err)
	}
}

// FuzzDepacketizer feeds random packet sequences. Each 0xff-separated
// chunk is one packet: a sequence delta, a timestamp step, the marker,
// then the payload.
func FuzzDepacketizer(f *testing.F) {
	f.Add([]byte{1, 0, 1, 0, 0, 1, 0xb6, 0x10})
	f.Add([]byte{1, 0, 0, 1, 2, 0xff, 1, 0, 1, 3, 0xff, 2, 0, 1, 4})
	f.Add([]byte{1, 0, 0, 1, 0xff, 1, 5, 0, 2, 0xff, 1, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := newDepacketizer()
		var seq uint16
		var ts uint32
		for _, chunk := range bytes.Split(data, []byte{0xff}) {
			if len(chunk) < 3 {
				continue
			}
			seq += uint16(chunk[0])
			ts += uint32(chunk[1])
			au, err := d.Depacketize(pkt(seq, ts, chunk[2]&1 != 0, chunk[3:]...))
			if err != nil && au != nil {
				t.Fatal("frame and error together")
			}
			if au != nil && (len(au) != 1 || len(au[0]) == 0 || len(au[0]) > payload.MaxAccessUnitSize) {
				t.Fatalf("bad frame: %d slices", len(au))
			}
		}
	})
}
