package pusher

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

// rtpPacket builds an RTP v2 packet of n bytes (header included) whose
// sequence number is seq.
func rtpPacket(seq uint16, n int) []byte {
	b := make([]byte, n)
	b[0] = 0x80
	b[1] = 96
	binary.BigEndian.PutUint16(b[2:], seq)
	binary.BigEndian.PutUint32(b[4:], uint32(seq)*3000)
	binary.BigEndian.PutUint32(b[8:], 0x11223344)
	for i := 12; i < n; i++ {
		b[i] = byte(i)
	}
	return b
}

// frame prefixes p with the pusher header for channel ch and length n.
func frame(ch byte, n int, p []byte) []byte {
	out := []byte{FrameMagic, ch, byte(n >> 8), byte(n)}
	return append(out, p...)
}

func framed(p []byte) []byte { return frame(FrameChannel, len(p), p) }

func readAll(t *testing.T, in []byte) ([][]byte, Drops, error) {
	t.Helper()
	fr := NewFrameReader(bytes.NewReader(in))
	var got [][]byte
	for {
		p, err := fr.Next()
		if err != nil {
			return got, fr.Drops, err
		}
		if !ValidRTP(p) || len(p) > MaxPacket {
			t.Fatalf("Next returned an invalid packet % x", p)
		}
		got = append(got, append([]byte(nil), p...))
	}
}

func TestFrameReader(t *testing.T) {
	t.Parallel()
	good := func(seq uint16) []byte { return rtpPacket(seq, 200) }
	var rtcp = []byte{0x80, 200, 0, 6, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28}
	badVersion := rtpPacket(9, 50)
	badVersion[0] = 0x40
	cases := []struct {
		name string
		in   []byte
		want []uint16 // sequence numbers returned
		drop Drops
		err  error
	}{
		{"valid", cat(framed(good(1)), framed(good(2)), framed(rtpPacket(3, MaxPacket))), []uint16{1, 2, 3}, Drops{}, io.EOF},
		{"wrong magic then valid", cat([]byte("GARBAGE\x00\x01"), framed(good(1)), framed(good(2))), []uint16{1, 2}, Drops{Framing: 1}, io.EOF},
		{"magic lost mid-stream", cat(framed(good(1)), []byte{0x23, 0, 0, 200}, good(2), framed(good(3))), []uint16{1, 3}, Drops{Framing: 1}, io.EOF},
		{"dollar inside the garbage", cat([]byte{0, '$', 0, 0, 40, 1, 2}, framed(good(1))), []uint16{1}, Drops{Framing: 1}, io.EOF},
		{"short frames", cat(frame(0, 0, nil), frame(0, 11, make([]byte, 11)), framed(good(1))), []uint16{1}, Drops{Short: 2}, io.EOF},
		{"oversized", cat(framed(rtpPacket(1, MaxPacket+1)), framed(rtpPacket(2, 65535)), framed(good(3))), []uint16{3}, Drops{Oversized: 2}, io.EOF},
		{"other channel", cat(frame(1, len(rtcp), rtcp), framed(good(1))), []uint16{1}, Drops{Framing: 1}, io.EOF},
		{"malformed RTP", cat(framed(badVersion), framed(rtcp), framed(good(1))), []uint16{1}, Drops{Malformed: 2}, io.EOF},
		{"truncated frame", cat(framed(good(1)), framed(good(2))[:100]), []uint16{1}, Drops{}, io.ErrUnexpectedEOF},
		{"truncated header", cat(framed(good(1)), []byte{'$', 0}), []uint16{1}, Drops{}, io.ErrUnexpectedEOF},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, drops, err := readAll(t, tc.in)
			if !errors.Is(err, tc.err) {
				t.Errorf("err %v, want %v", err, tc.err)
			}
			var seqs []uint16
			for _, p := range got {
				seqs = append(seqs, binary.BigEndian.Uint16(p[2:]))
			}
			if !equal(seqs, tc.want) {
				t.Errorf("packets %v, want %v", seqs, tc.want)
			}
			if drops != tc.drop {
				t.Errorf("drops %+v, want %+v", drops, tc.drop)
			}
		})
	}
}

// TestFrameReaderByteAtATime feeds the stream one byte per Read, as a slow
// TCP peer may.
func TestFrameReaderByteAtATime(t *testing.T) {
	t.Parallel()
	in := cat([]byte("xx"), framed(rtpPacket(1, 100)), frame(0, 5, make([]byte, 5)), framed(rtpPacket(2, 1000)))
	fr := NewFrameReader(&oneByte{in: in})
	for _, want := range []uint16{1, 2} {
		p, err := fr.Next()
		if err != nil {
			t.Fatal(err)
		}
		if got := binary.BigEndian.Uint16(p[2:]); got != want {
			t.Fatalf("seq %d, want %d", got, want)
		}
	}
	if _, err := fr.Next(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	if fr.Drops != (Drops{Framing: 1, Short: 1}) {
		t.Errorf("drops %+v", fr.Drops)
	}
}

func TestValidRTP(t *testing.T) {
	t.Parallel()
	ext := rtpPacket(1, 24)
	ext[0] |= 0x10
	binary.BigEndian.PutUint16(ext[14:], 2) // 8 bytes of extension: 12+4+8 = 24
	extLong := append([]byte(nil), ext...)
	binary.BigEndian.PutUint16(extLong[14:], 3)
	csrc := rtpPacket(1, 20)
	csrc[0] |= 2
	csrcLong := rtpPacket(1, 19)
	csrcLong[0] |= 2
	pad := rtpPacket(1, 20)
	pad[0] |= 0x20
	pad[19] = 8
	padLong := append([]byte(nil), pad...)
	padLong[19] = 9
	padZero := append([]byte(nil), pad...)
	padZero[19] = 0
	rtcpMux := rtpPacket(1, 20)
	rtcpMux[1] = 200
	for _, tc := range []struct {
		name string
		b    []byte
		ok   bool
	}{
		{"plain", rtpPacket(1, 12), true}, {"short", rtpPacket(1, 12)[:11], false},
		{"extension", ext, true}, {"extension past end", extLong, false},
		{"csrc", csrc, true}, {"csrc past end", csrcLong, false},
		{"padding", pad, true}, {"padding past end", padLong, false}, {"zero padding", padZero, false},
		{"rtcp", rtcpMux, false}, {"version 1", append([]byte{0x40}, rtpPacket(1, 12)[1:]...), false},
	} {
		if got := ValidRTP(tc.b); got != tc.ok {
			t.Errorf("%s: ValidRTP = %v", tc.name, got)
		}
	}
}

// TestFrameReaderAllocatesNothing: the TCP ingest reads every packet into
// the reader's own buffer.
func TestFrameReaderAllocatesNothing(t *testing.T) {
	var stream []byte
	for i := 0; i < 64; i++ {
		stream = append(stream, framed(rtpPacket(uint16(i), 1200))...)
	}
	src := bytes.NewReader(stream)
	fr := NewFrameReader(src)
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := fr.Next(); err == io.EOF {
			src.Reset(stream)
			fr.Reset(src)
			if _, err := fr.Next(); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per packet, want 0", allocs)
	}
}

func BenchmarkFrameReader(b *testing.B) {
	var stream []byte
	for i := 0; i < 256; i++ {
		stream = append(stream, framed(rtpPacket(uint16(i), 1200))...)
	}
	src := bytes.NewReader(stream)
	fr := NewFrameReader(src)
	b.ReportAllocs()
	b.SetBytes(1204)
	for b.Loop() {
		if _, err := fr.Next(); err == io.EOF {
			src.Reset(stream)
			fr.Reset(src)
		}
	}
}

func FuzzFrameReader(f *testing.F) {
	f.Add(framed(rtpPacket(1, 100)))
	f.Add(cat([]byte("GARBAGE"), framed(rtpPacket(1, 12)), framed(rtpPacket(2, 40))))
	f.Add(cat(frame(0, 5, make([]byte, 5)), framed(rtpPacket(1, 20))))
	f.Add(cat(frame(0, 2000, nil), framed(rtpPacket(1, 20))))
	f.Add(cat(frame(1, 8, make([]byte, 8)), []byte{'$', 0, 0}))
	f.Add([]byte{'$', '$', 0, 0, 12, 0x80, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		fr := NewFrameReader(bytes.NewReader(in))
		n := 0
		for {
			p, err := fr.Next()
			if err != nil {
				break
			}
			if !ValidRTP(p) || len(p) > MaxPacket {
				t.Fatalf("invalid packet returned: % x", p)
			}
			n++
			if n > len(in)/(FrameHeader+minRTP) {
				t.Fatalf("%d packets from %d bytes", n, len(in))
			}
		}
		d := fr.Drops
		if d.Framing+d.Short+d.Oversized+d.Malformed > uint64(len(in)) {
			t.Fatalf("drops %+v from %d bytes", d, len(in))
		}
	})
}

type oneByte struct{ in []byte }

func (o *oneByte) Read(p []byte) (int, error) {
	if len(o.in) == 0 {
		return 0, io.EOF
	}
	p[0] = o.in[0]
	o.in = o.in[1:]
	return 1, nil
}

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

func equal(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
