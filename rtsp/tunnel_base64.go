package rtsp

import (
	"errors"
	"fmt"
	"io"
)

// errTunnelBase64 reports a byte that is neither base64 nor white space on
// a tunnel's POST.
var errTunnelBase64 = errors.New("rtsp tunnel: invalid base64 on the POST")

// base64Stream decodes the body of a tunnel's POST: standard base64 that
// arrives in pieces of any size. Clients encode each request on its own,
// so padding may appear in the middle of the stream; white space (line
// breaks some clients insert) is skipped. Allocation free.
type base64Stream struct {
	r    io.Reader
	in   [512]byte // undecoded input
	inN  int
	q    [4]byte // the quantum being collected
	qN   int
	out  [3]byte // decoded bytes not yet returned
	outI int
	outN int
	off  int64 // input offset, for errors
	err  error
}

func newBase64Stream(r io.Reader) *base64Stream { return &base64Stream{r: r} }

// base64Value maps a byte to its 6-bit value; 0x40 marks padding, 0x80
// white space, 0xff anything else.
var base64Value = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	t['='] = 0x40
	for _, c := range " \t\r\n\f\v" {
		t[c] = 0x80
	}
	return t
}()

// Read returns decoded bytes; an error from the POST connection, or
// errTunnelBase64, once everything decoded before it was returned.
func (d *base64Stream) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if d.outI < d.outN {
			c := copy(p[n:], d.out[d.outI:d.outN])
			d.outI += c
			n += c
			continue
		}
		if d.err != nil && d.inN == 0 {
			break
		}
		if d.inN == 0 {
			if n > 0 {
				return n, nil // hand over what we have before blocking
			}
			m, err := d.r.Read(d.in[:])
			d.inN = m
			if err != nil {
				d.err = err
			}
		}
		d.decodeInput()
		if d.inN == 0 && d.qN > 0 && errors.Is(d.err, io.EOF) {
			d.err = fmt.Errorf("%w: stream ends inside a quantum", io.ErrUnexpectedEOF)
		}
	}
	if n > 0 {
		return n, nil
	}
	return 0, d.err
}

// decodeInput consumes input until a quantum completes or input runs out.
func (d *base64Stream) decodeInput() {
	i := 0
	for i < d.inN && d.outI == d.outN {
		c := d.in[i]
		v := base64Value[c]
		i++
		switch {
		case v == 0x80:
			continue
		case v == 0xff:
			d.err = fmt.Errorf("%w: byte %#02x at offset %d", errTunnelBase64, c, d.off+int64(i-1))
			d.inN = 0
			return
		}
		d.q[d.qN] = v
		d.qN++
		if d.qN == 4 {
			d.qN = 0
			if !d.flushQuantum() {
				d.err = fmt.Errorf("%w: misplaced padding before offset %d", errTunnelBase64, d.off+int64(i))
				d.inN = 0
				return
			}
		}
	}
	d.off += int64(i)
	copy(d.in[:], d.in[i:d.inN])
	d.inN -= i
}

// flushQuantum decodes q into out: 3 bytes, or 2 or 1 before padding.
func (d *base64Stream) flushQuantum() bool {
	q := d.q
	if q[0] == 0x40 || q[1] == 0x40 || (q[2] == 0x40 && q[3] != 0x40) {
		return false
	}
	d.outI = 0
	d.out[0] = q[0]<<2 | q[1]>>4
	switch {
	case q[2] == 0x40:
		d.outN = 1
	case q[3] == 0x40:
		d.out[1] = q[1]<<4 | q[2]>>2
		d.outN = 2
	default:
		d.out[1] = q[1]<<4 | q[2]>>2
		d.out[2] = q[2]<<6 | q[3]
		d.outN = 3
	}
	return true
}
