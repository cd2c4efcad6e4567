package h264

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

// feed runs packets through d and returns the AUs and errors, in order.
func feed(d payload.Depacketizer, ps ...*rtp.Packet) (aus [][][]byte, errs []error) {
	for _, p := range ps {
		au, err := d.Depacketize(p)
		if err != nil {
			errs = append(errs, err)
		}
		if au != nil {
			c := make([][]byte, len(au))
			for i := range au {
				c[i] = append([]byte(nil), au[i]...)
			}
			aus = append(aus, c)
		}
	}
	return aus, errs
}

func TestDepacketizerCases(t *testing.T) {
	cases := []struct {
		name    string
		pkts    []*rtp.Packet
		aus     [][][]byte
		errs    int
		errKind error
	}{
		{"single with marker", []*rtp.Packet{pkt(1, 0, true, 0x65, 1, 2)}, [][][]byte{{{0x65, 1, 2}}}, 0, nil},
		// Packet 4 ends two AUs at once: the second waits for the next call.
		{"timestamp change ends AU", []*rtp.Packet{pkt(1, 0, false, 0x41, 1), pkt(2, 0, false, 0x01, 2), pkt(3, 9, false, 0x41, 3), pkt(4, 18, true, 0x41, 4), pkt(5, 27, false, 0x41, 5)},
			[][][]byte{{{0x41, 1}, {0x01, 2}}, {{0x41, 3}}, {{0x41, 4}}}, 0, nil},
		{"STAP-A", []*rtp.Packet{pkt(1, 0, true, 0x78, 0, 2, 0x67, 1, 0, 1, 0x68)}, [][][]byte{{{0x67, 1}, {0x68}}}, 0, nil},
		{"FU-A", []*rtp.Packet{pkt(1, 0, false, 0x7c, 0x85, 1), pkt(2, 0, false, 0x7c, 0x05, 2), pkt(3, 0, true, 0x7c, 0x45, 3)},
			[][][]byte{{{0x65, 1, 2, 3}}}, 0, nil},
		{"lost fragment", []*rtp.Packet{pkt(1, 0, false, 0x7c, 0x85, 1), pkt(3, 0, true, 0x7c, 0x45, 3), pkt(4, 9, true, 0x41, 4)},
			[][][]byte{{{0x41, 4}}}, 1, payload.ErrMalformed},
		{"lost start", []*rtp.Packet{pkt(1, 0, false, 0x7c, 0x05, 2), pkt(2, 0, true, 0x7c, 0x45, 3), pkt(3, 9, true, 0x41, 4)},
			[][][]byte{{{0x41, 4}}}, 1, payload.ErrMalformed},
		{"lost end before next AU", []*rtp.Packet{pkt(1, 0, false, 0x7c, 0x85, 1), pkt(3, 9, true, 0x41, 4), pkt(4, 18, true, 0x41, 5)},
			[][][]byte{{{0x41, 4}}}, 1, payload.ErrMalformed},
		{"FU-A cut by timestamp", []*rtp.Packet{pkt(1, 0, false, 0x7c, 0x85, 1), pkt(2, 9, false, 0x41, 4), pkt(3, 9, true, 0x41, 5)},
			[][][]byte{{{0x41, 4}, {0x41, 5}}}, 1, payload.ErrMalformed},
		{"single inside FU-A", []*rtp.Packet{pkt(1, 0, false, 0x7c, 0x85, 1), pkt(2, 0, false, 0x41, 4), pkt(3, 0, true, 0x41, 5), pkt(4, 9, true, 0x41, 6)},
			[][][]byte{{{0x41, 6}}}, 1, payload.ErrMalformed},
		{"STAP-B unsupported", []*rtp.Packet{pkt(1, 0, true, 0x19, 0, 0, 0, 1, 0x41)}, nil, 1, payload.ErrMalformed},
		{"FU-B unsupported", []*rtp.Packet{pkt(1, 0, true, 0x1d, 0x85, 0, 0, 1)}, nil, 1, payload.ErrMalformed},
		{"type 0", []*rtp.Packet{pkt(1, 0, true, 0x00, 1)}, nil, 1, payload.ErrMalformed},
		{"empty", []*rtp.Packet{pkt(1, 0, true)}, nil, 1, payload.ErrMalformed},
		{"STAP-A truncated", []*rtp.Packet{pkt(1, 0, true, 0x78, 0, 5, 0x67)}, nil, 1, payload.ErrMalformed},
		{"STAP-A zero size", []*rtp.Packet{pkt(1, 0, true, 0x78, 0, 0)}, nil, 1, payload.ErrMalformed},
		{"FU-A too short", []*rtp.Packet{pkt(1, 0, true, 0x7c)}, nil, 1, payload.ErrMalformed},
		{"rest of broken AU skipped", []*rtp.Packet{pkt(1, 0, false, 0x00), pkt(2, 0, false, 0x41, 2), pkt(3, 0, true, 0x41, 3), pkt(4, 9, true, 0x41, 4)},
			[][][]byte{{{0x41, 4}}}, 1, payload.ErrMalformed},
		{"marker inside FU-A after timestamp change", []*rtp.Packet{pkt(1, 0, false, 0x41, 1), pkt(2, 9, true, 0x7c, 0x85, 2), pkt(3, 18, true, 0x41, 3)},
			[][][]byte{{{0x41, 1}}, {{0x41, 3}}}, 0, nil},
		{"marker inside FU-A", []*rtp.Packet{pkt(1, 0, true, 0x7c, 0x85, 2), pkt(2, 9, true, 0x41, 3)},
			[][][]byte{{{0x41, 3}}}, 1, payload.ErrMalformed},
		{"sequence wraps", []*rtp.Packet{pkt(65535, 0, false, 0x7c, 0x85, 1), pkt(0, 0, true, 0x7c, 0x45, 2)}, [][][]byte{{{0x65, 1, 2}}}, 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			aus, errs := feed(newDepacketizer(), c.pkts...)
			if len(errs) != c.errs {
				t.Fatalf("errors %v, want %d", errs, c.errs)
			}
			for _, err := range errs {
				if !errors.Is(err, c.errKind) {
					t.Errorf("error %v is not %v", err, c.errKind)
				}
			}
			if len(aus) != len(c.aus) {
				t.Fatalf("AUs %x, want %x", aus, c.aus)
			}
			for i := range aus {
				if len(aus[i]) != len(c.aus[i]) {
					t.Fatalf("AU %d = %x, want %x", i, aus[i], c.aus[i])
				}
				for j := range aus[i] {
					if !bytes.Equal(aus[i][j], c.aus[i][j]) {
						t.Fatalf("AU %d = %x, want %x", i, aus[i], c.aus[i])
					}
				}
			}
		})
	}
}

func TestDepacketizerLimits(t *testing.T) {
	d := newDepacketizer()
	// MaxNALUnits+1 NAL units in STAP-As of 100.
	var seq uint16
	var errs []error
	for i := 0; i <= MaxNALUnits/100; i++ {
		p := []byte{0x78}
		for range 100 {
			p = append(p, 0, 2, 0x41, byte(i))
		}
		_, e := feed(d, pkt(seq, 0, false, p...))
		errs = append(errs, e...)
		seq++
	}
	if len(errs) != 1 || !errors.Is(errs[0], payload.ErrTooLarge) {
		t.Errorf("NAL count: %v", errs)
	}
	// An AU one byte over the size limit.
	d = newDepacketizer()
	chunk := make([]byte, 60000)
	chunk[0], chunk[1] = 0x7c, 0x05
	errs = nil
	n := 0
	for size := 0; size <= payload.MaxAccessUnitSize; size += len(chunk) - 2 {
		c := chunk
		if n == 0 {
			c = append([]byte{0x7c, 0x85}, chunk[2:]...)
		}
		_, e := feed(d, pkt(seq, 9, false, c...))
		errs = append(errs, e...)
		seq++
		n++
	}
	if len(errs) != 1 || !errors.Is(errs[0], payload.ErrTooLarge) {
		t.Errorf("size: %v", errs)
	}
	// Still usable.
	aus, errs := feed(d, pkt(seq, 18, true, 0x41, 1))
	if len(errs) != 0 || len(aus) != 1 {
		t.Errorf("after limits: %v %v", aus, errs)
	}
}

// FuzzDepacketizer feeds random packet sequences; the depacketizer must
// not panic and must respect its limits. Each 0xff-separated chunk of the
// input is one packet, its first 3 bytes giving a sequence delta, the
// timestamp step and the marker.
func FuzzDepacketizer(f *testing.F) {
	add := func(ps ...*rtp.Packet) {
		var b []byte
		for i, p := range ps {
			if i > 0 {
				b = append(b, 0xff)
			}
			m := byte(0)
			if p.Marker {
				m = 1
			}
			b = append(b, 1, byte(p.Timestamp), m)
			b = append(b, p.Payload...)
		}
		f.Add(b)
	}
	add(pkt(0, 0, true, 0x65, 1))
	add(pkt(0, 0, false, 0x7c, 0x85, 1), pkt(0, 0, false, 0x7c, 0x05, 2), pkt(0, 0, true, 0x7c, 0x45, 3))
	add(pkt(0, 0, true, 0x78, 0, 2, 0x67, 1, 0, 1, 0x68))
	add(pkt(0, 0, false, 0x41, 1), pkt(0, 1, false, 0x41, 2), pkt(0, 1, true, 0x1c, 0x40))
	add(pkt(0, 0, false, 0x78, 0, 9, 0x67), pkt(0, 0, true, 0x19))
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
				t.Fatal("AU and error together")
			}
			total := 0
			for _, n := range au {
				if len(n) == 0 {
					t.Fatal("empty NAL unit")
				}
				total += len(n)
			}
			if len(au) > MaxNALUnits || total > payload.MaxAccessUnitSize {
				t.Fatalf("limits exceeded: %d NAL units, %d bytes", len(au), total)
			}
		}
	})
}
