package mjpeg

import (
	"errors"
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/jpeg"
	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
)

var errFragmentLost = errors.New("mjpeg: fragment lost")

// depacketizer joins RFC 2435 fragments and rebuilds a JPEG file around
// them: SOI, DQT, SOF0, DRI (types 64–127), the annex K DHT tables, SOS,
// the data and EOI.
type depacketizer struct {
	buf     []byte // the file being rebuilt
	joining bool
	ts      uint32
	seq     uint16
	next    int // fragment offset expected next

	// tables sent in-band (Q 128–255) may be omitted on later frames
	// (RFC 2435 4.2: length 0 means "as before for this Q")
	dynQ     [128][2][64]byte
	dynCount [128]int // tables stored for that Q: 0 (none), 1 or 2

	scaled [2][64]byte               // scratch: tables for Q 1–99
	qt     [2]jpeg.QuantizationTable // scratch for writeHeader
	au     [1][]byte
}

func newDepacketizer() *depacketizer {
	return &depacketizer{}
}

// Depacketize adds one fragment; it returns the rebuilt JPEG file on the
// packet with the marker bit. A first fragment that arrives while another
// frame is unfinished drops that frame (with an error, unless the new
// packet completes its own frame) and starts the new one.
func (d *depacketizer) Depacketize(pkt *rtp.Packet) ([][]byte, error) {
	b := pkt.Payload
	if len(b) < mainHeaderSize {
		d.joining = false
		return nil, fmt.Errorf("mjpeg: %d-byte payload: %w", len(b), payload.ErrMalformed)
	}
	off := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	typ, q := b[4], int(b[5])
	width, height := int(b[6])*8, int(b[7])*8
	b = b[mainHeaderSize:]
	var restart uint16
	if typ >= typeRestart && typ < 128 {
		if len(b) < restartHeaderSize {
			d.joining = false
			return nil, fmt.Errorf("mjpeg: short restart header: %w", payload.ErrMalformed)
		}
		restart = uint16(b[0])<<8 | uint16(b[1])
		b = b[restartHeaderSize:]
	}

	lost := false // a frame was pending when this one started
	if off == 0 {
		lost = d.joining
		if typ&^typeRestart > type420 || typ >= 128 {
			d.joining = false
			return nil, fmt.Errorf("mjpeg: type %d not supported: %w", typ, payload.ErrMalformed)
		}
		if width == 0 || height == 0 {
			d.joining = false
			return nil, fmt.Errorf("mjpeg: %dx%d frame: %w", width, height, payload.ErrMalformed)
		}
		luma, chroma, rest, err := d.tables(q, b)
		if err != nil {
			d.joining = false
			return nil, err
		}
		b = rest
		d.buf = writeHeader(d.buf[:0], &d.qt, typ, width, height, restart, luma, chroma)
		d.joining, d.ts, d.next = true, pkt.Timestamp, 0
	} else if !d.joining || pkt.Timestamp != d.ts || pkt.SequenceNumber != d.seq+1 || off != d.next {
		d.joining = false
		return nil, fmt.Errorf("%w before packet %d (offset %d)", errFragmentLost, pkt.SequenceNumber, off)
	}
	d.seq = pkt.SequenceNumber
	if len(d.buf)+len(b)+2 > payload.MaxAccessUnitSize {
		d.joining = false
		return nil, fmt.Errorf("mjpeg: frame over %d bytes: %w", payload.MaxAccessUnitSize, payload.ErrTooLarge)
	}
	d.buf = append(d.buf, b...)
	d.next += len(b)
	if !pkt.Marker {
		if lost {
			return nil, fmt.Errorf("%w: frame at %d left unfinished", errFragmentLost, d.ts)
		}
		return nil, nil
	}
	d.joining = false
	if n := len(d.buf); n < 2 || d.buf[n-2] != 0xff || d.buf[n-1] != jpeg.MarkerEndOfImage {
		d.buf = append(d.buf, 0xff, jpeg.MarkerEndOfImage)
	}
	d.au[0] = d.buf
	return d.au[:], nil
}

// tables returns the quantization tables (DQT order) of a first fragment
// and the payload after them. chroma is nil when the sender sent a single
// table for all components (FFmpeg does when its JPEG has one).
func (d *depacketizer) tables(q int, b []byte) (luma, chroma *[64]byte, rest []byte, err error) {
	switch {
	case q == 0 || (q >= 100 && q < 128):
		return nil, nil, nil, fmt.Errorf("mjpeg: reserved Q %d: %w", q, payload.ErrMalformed)
	case q < 100:
		d.scaled[0], d.scaled[1] = scaledTables(q)
		return &d.scaled[0], &d.scaled[1], b, nil
	}
	if len(b) < 4 {
		return nil, nil, nil, fmt.Errorf("mjpeg: short quantization table header: %w", payload.ErrMalformed)
	}
	precision, length := b[1], int(b[2])<<8|int(b[3])
	b = b[4:]
	slot := q - 128
	if length == 0 {
		if d.dynCount[slot] == 0 {
			return nil, nil, nil, fmt.Errorf("mjpeg: Q %d without tables: %w", q, payload.ErrMalformed)
		}
	} else {
		if precision != 0 {
			return nil, nil, nil, fmt.Errorf("mjpeg: 16-bit quantization tables not supported: %w", payload.ErrMalformed)
		}
		if (length != 64 && length != 128) || len(b) < length {
			return nil, nil, nil, fmt.Errorf("mjpeg: quantization tables of %d bytes: %w", length, payload.ErrMalformed)
		}
		copy(d.dynQ[slot][0][:], b[:64])
		if length == 128 {
			copy(d.dynQ[slot][1][:], b[64:128])
		}
		d.dynCount[slot] = length / 64
		b = b[length:]
	}
	if d.dynCount[slot] == 1 {
		return &d.dynQ[slot][0], nil, b, nil
	}
	return &d.dynQ[slot][0], &d.dynQ[slot][1], b, nil
}

// writeHeader appends the JPEG segments before the entropy-coded data.
// With chroma nil, all components use the luma table.
func writeHeader(buf []byte, qt *[2]jpeg.QuantizationTable, typ uint8, width, height int, restart uint16,
	luma, chroma *[64]byte,
) []byte {
	buf = jpeg.StartOfImage{}.Marshal(buf)
	qt[0] = jpeg.QuantizationTable{ID: 0, Data: luma[:]}
	tables := qt[:1]
	if chroma != nil {
		qt[1] = jpeg.QuantizationTable{ID: 1, Data: chroma[:]}
		tables = qt[:2]
	}
	buf = jpeg.DefineQuantizationTable{Tables: tables}.Marshal(buf)
	buf = jpeg.StartOfFrame1{
		Type:                   typ &^ typeRestart,
		Width:                  width,
		Height:                 height,
		QuantizationTableCount: uint8(len(tables)),
	}.Marshal(buf)
	if typ >= typeRestart {
		buf = append(buf, 0xff, jpeg.MarkerDefineRestartInterval, 0, 4, byte(restart>>8), byte(restart))
	}
	for class := range standardHuffman {
		for id, t := range standardHuffman[class] {
			buf = jpeg.DefineHuffmanTable{
				Codes:       t.counts[:],
				Symbols:     t.symbols,
				TableClass:  class,
				TableNumber: id,
			}.Marshal(buf)
		}
	}
	return jpeg.StartOfScan{}.Marshal(buf)
}
