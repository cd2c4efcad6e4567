package h265

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
		{"single with marker", []*rtp.Packet{pkt(1, 0, true, 0x26, 1, 2)}, [][][]byte{{{0x26, 1, 2}}}, 0, nil},
		// Packet 4 ends two AUs at once: the second waits for the next call.
		{"timestamp change ends AU", []*rtp.Packet{pkt(1, 0, false, 2, 1, 1), pkt(2, 0, false, 2, 1, 2), pkt(3, 9, false, 2, 1, 3), pkt(4, 18, true, 2, 1, 4), pkt(5, 27, false, 2, 1, 5)},
			[][][]byte{{{2, 1, 1}, {2, 1, 2}}, {{2, 1, 3}}, {{2, 1, 4}}}, 0, nil},
		{"AP", []*rtp.Packet{pkt(1, 0, true, 0x60, 1, 0, 3, 0x40, 1, 7, 0, 2, 0x42, 1)}, [][][]byte{{{0x40, 1, 7}, {0x42, 1}}}, 0, nil},
		{"FU", []*rtp.Packet{pkt(1, 0, false, 0x62, 1, 0x93, 1), pkt(2, 0, false, 0x62, 1, 0x13, 2), pkt(3, 0, true, 0x62, 1, 0x53, 3)},
			[][][]byte{{{0x26, 1, 1, 2, 3}}}, 0, nil},
		{"lost fragment", []*rtp.Packet{pkt(1, 0, false, 0x62, 1, 0x93, 1), pkt(3, 0, true, 0x62, 1, 0x53, 3), pkt(4, 9, true, 2, 1, 4)},
			[][][]byte{{{2, 1, 4}}}, 1, payload.ErrMalformed},
		{"lost start", []*rtp.Packet{pkt(1, 0, false, 0x62, 1, 0x13, 2), pkt(2, 0, true, 0x62, 1, 0x53, 3), pkt(3, 9, true, 2, 1, 4)},
			[][][]byte{{{2, 1, 4}}}, 1, payload.ErrMalformed},
		{"FU cut by timestamp", []*rtp.Packet{pkt(1, 0, false, 0x62, 1, 0x93, 1), pkt(2, 9, false, 2, 1, 4), pkt(3, 9, true, 2, 1, 5)},
			[][][]byte{{{2, 1, 4}, {2, 1, 5}}}, 1, payload.ErrMalformed},
		{"single inside FU", []*rtp.Packet{pkt(1, 0, false, 0x62, 1, 0x93, 1), pkt(2, 0, false, 2, 1, 4), pkt(3, 0, true, 2, 1, 5), pkt(4, 9, true, 2, 1, 6)},
			[][][]byte{{{2, 1, 6}}}, 1, payload.ErrMalformed},
		{"PACI unsupported", []*rtp.Packet{pkt(1, 0, true, 50<<1, 1, 0, 0, 2, 1)}, nil, 1, payload.ErrMalformed},
		{"type 63", []*rtp.Packet{pkt(1, 0, true, 0x7e, 1)}, nil, 1, payload.ErrMalformed},
		{"short", []*rtp.Packet{pkt(1, 0, true, 2)}, nil, 1, payload.ErrMalformed},
		{"AP truncated", []*rtp.Packet{pkt(1, 0, true, 0x60, 1, 0, 5, 0x40)}, nil, 1, payload.ErrMalformed},
		{"AP unit of 1 byte", []*rtp.Packet{pkt(1, 0, true, 0x60, 1, 0, 1, 0x40)}, nil, 1, payload.ErrMalformed},
		{"FU too short", []*rtp.Packet{pkt(1, 0, true, 0x62, 1)}, nil, 1, payload.ErrMalformed},
		{"marker inside FU after timestamp change", []*rtp.Packet{pkt(1, 0, false, 2, 1, 1), pkt(2, 9, true, 0x62, 1, 0x93, 2), pkt(3, 18, true, 2, 1, 3)},
			[][][]byte{{{2, 1, 1}}, {{2, 1, 3}}}, 0, nil},
		{"marker inside FU", []*rtp.Packet{pkt(1, 0, true, 0x62, 1, 0x93, 2), pkt(2, 9, true, 2, 1, 3)},
			[][][]byte{{{2, 1, 3}}}, 1, payload.ErrMalformed},
		{"sequence wraps", []*rtp.Packet{pkt(65535, 0, false, 0x62, 1, 0x93, 1), pkt(0, 0, true, 0x62, 1, 0x53, 2)}, [][][]byte{{{0x26, 1, 1, 2}}}, 0, nil},
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
		p := []byte{0x60, 1}
		for range 100 {
			p = append(p, 0, 2, 2, byte(i))
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
	chunk[0], chunk[1], chunk[2] = 0x62, 1, 0x13
	errs = nil
	n := 0
	for size := 0; size <= payload.MaxAccessUnitSize; size += len(chunk) - 3 {
		c := chunk
		if n == 0 {
			c = append([]byte{0x62, 1, 0x93}, chunk[3:]...)
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
	aus, errs := feed(d, pkt(seq, 18, true, 2, 1, 1))
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
	add(pkt(0, 0, true, 0x26, 1, 1))
	add(pkt(0, 0, false, 0x62, 1, 0x93, 1), pkt(0, 0, false, 0x62, 1, 0x13, 2), pkt(0, 0, true, 0x62, 1, 0x53, 3))
	add(pkt(0, 0, true, 0x60, 1, 0, 3, 0x40, 1, 7, 0, 2, 0x42, 1))
	add(pkt(0, 0, false, 2, 1, 1), pkt(0, 1, false, 2, 1, 2), pkt(0, 1, true, 0x62, 1, 0x40))
	add(pkt(0, 0, false, 0x60, 1, 0, 9, 0x40), pkt(0, 0, true, 0x64, 1))
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
				if len(n) < 2 {
					t.Fatal("NAL unit without header")
				}
				total += len(n)
			}
			if len(au) > MaxNALUnits || total > payload.MaxAccessUnitSize {
				t.Fatalf("limits exceeded: %d NAL units, %d bytes", len(au), total)
			}
		}
	})
}
