package mjpeg

import (
	"errors"
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/jpeg"
)

// RFC 2435 types (section 4.1; +64 when restart markers are present).
const (
	type422     = 0 // luma sampled 2x1
	type420     = 1 // luma sampled 2x2
	typeRestart = 64
)

var errNotBaseline = errors.New("not a baseline JPEG RFC 2435 can carry")

// frame is what the packetizer needs of one JPEG file. Parsing keeps it in
// fixed arrays, so it allocates nothing.
type frame struct {
	typ           uint8 // 0 or 1, +64 with restart markers
	width, height int
	restart       uint16      // restart interval in MCUs, 0 for none
	quant         [4][64]byte // DQT tables by id
	haveQuant     [4]bool
	lumaQ, chroma uint8  // table ids used by Y and by Cb/Cr
	data          []byte // entropy-coded segment, sub-slice of the file
}

// parse reads a baseline JPEG file: SOI, then DQT, SOF0, DHT, DRI, APPn and
// COM segments in any order, one SOS for all three components, the
// entropy-coded data and EOI. It refuses what RFC 2435 cannot describe:
// other SOF kinds (progressive, extended, lossless), 12-bit samples and
// 16-bit tables, sampling other than 4:2:2 or 4:2:0, Huffman tables other
// than the annex K ones, and frames over 2040 pixels.
func (fr *frame) parse(b []byte) error {
	*fr = frame{}
	if len(b) < 4 || b[0] != 0xff || b[1] != jpeg.MarkerStartOfImage {
		return fmt.Errorf("%w: no SOI", errNotBaseline)
	}
	pos := 2
	haveSOF := false
	for {
		// Markers may be preceded by fill bytes 0xff.
		for pos+1 < len(b) && b[pos] == 0xff && b[pos+1] == 0xff {
			pos++
		}
		if pos+4 > len(b) || b[pos] != 0xff {
			return fmt.Errorf("%w: bad marker at %d", errNotBaseline, pos)
		}
		marker := b[pos+1]
		size := int(b[pos+2])<<8 | int(b[pos+3])
		if size < 2 || pos+2+size > len(b) {
			return fmt.Errorf("%w: segment %#02x overruns the file", errNotBaseline, marker)
		}
		seg := b[pos+4 : pos+2+size]
		pos += 2 + size
		var err error
		switch {
		case marker == jpeg.MarkerDefineQuantizationTable:
			err = fr.readDQT(seg)
		case marker == jpeg.MarkerStartOfFrame1:
			err = fr.readSOF(seg)
			haveSOF = true
		case marker == jpeg.MarkerDefineHuffmanTable:
			err = checkDHT(seg)
		case marker == jpeg.MarkerDefineRestartInterval:
			if len(seg) != 2 {
				return fmt.Errorf("%w: DRI of %d bytes", errNotBaseline, len(seg))
			}
			fr.restart = uint16(seg[0])<<8 | uint16(seg[1])
		case marker >= 0xe0 && marker <= 0xef, marker == jpeg.MarkerComment:
		case marker == jpeg.MarkerStartOfScan:
			if !haveSOF {
				return fmt.Errorf("%w: SOS before SOF", errNotBaseline)
			}
			if err := fr.readSOS(seg); err != nil {
				return err
			}
			return fr.finish(b[pos:])
		case marker >= 0xc1 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc:
			return fmt.Errorf("%w: SOF%d (only baseline SOF0)", errNotBaseline, marker-0xc0)
		default:
			return fmt.Errorf("%w: unexpected marker %#02x", errNotBaseline, marker)
		}
		if err != nil {
			return err
		}
	}
}

func (fr *frame) readDQT(seg []byte) error {
	for len(seg) > 0 {
		pq, id := seg[0]>>4, seg[0]&0x0f
		if pq != 0 {
			return fmt.Errorf("%w: 16-bit quantization table", errNotBaseline)
		}
		if id > 3 || len(seg) < 65 {
			return fmt.Errorf("%w: bad DQT", errNotBaseline)
		}
		copy(fr.quant[id][:], seg[1:65])
		fr.haveQuant[id] = true
		seg = seg[65:]
	}
	return nil
}

func (fr *frame) readSOF(seg []byte) error {
	if len(seg) < 6 {
		return fmt.Errorf("%w: short SOF", errNotBaseline)
	}
	if seg[0] != 8 {
		return fmt.Errorf("%w: %d-bit samples", errNotBaseline, seg[0])
	}
	fr.height = int(seg[1])<<8 | int(seg[2])
	fr.width = int(seg[3])<<8 | int(seg[4])
	if fr.width == 0 || fr.height == 0 || fr.width > MaxDimension || fr.height > MaxDimension {
		return fmt.Errorf("%w: %dx%d (1 to %d pixels each way)", errNotBaseline, fr.width, fr.height, MaxDimension)
	}
	if seg[5] != 3 || len(seg) != 6+3*3 {
		return fmt.Errorf("%w: %d components (want Y, Cb, Cr)", errNotBaseline, seg[5])
	}
	switch seg[7] {
	case 0x21:
		fr.typ = type422
	case 0x22:
		fr.typ = type420
	default:
		return fmt.Errorf("%w: luma sampling %dx%d (want 2x1 or 2x2)", errNotBaseline, seg[7]>>4, seg[7]&0x0f)
	}
	if seg[10] != 0x11 || seg[13] != 0x11 {
		return fmt.Errorf("%w: chroma sampling is not 1x1", errNotBaseline)
	}
	if seg[11] != seg[14] || seg[8] > 3 || seg[11] > 3 {
		return fmt.Errorf("%w: Cb and Cr use different quantization tables", errNotBaseline)
	}
	fr.lumaQ, fr.chroma = seg[8], seg[11]
	return nil
}

// checkDHT accepts only the annex K tables: RFC 2435 receivers always
// decode with those, so a frame coded with other tables would turn to
// garbage on the way.
func checkDHT(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return fmt.Errorf("%w: short DHT", errNotBaseline)
		}
		class, id := seg[0]>>4, seg[0]&0x0f
		if class > 1 || id > 1 {
			return fmt.Errorf("%w: Huffman table %d/%d", errNotBaseline, class, id)
		}
		std := &standardHuffman[class][id]
		n := 0
		for i, c := range seg[1:17] {
			if c != std.counts[i] {
				return fmt.Errorf("%w: Huffman tables are not the standard ones (optimized?)", errNotBaseline)
			}
			n += int(c)
		}
		if len(seg) < 17+n || string(seg[17:17+n]) != string(std.symbols) {
			return fmt.Errorf("%w: Huffman tables are not the standard ones (optimized?)", errNotBaseline)
		}
		seg = seg[17+n:]
	}
	return nil
}

func (fr *frame) readSOS(seg []byte) error {
	if len(seg) != 1+3*2+3 || seg[0] != 3 {
		return fmt.Errorf("%w: scan is not one interleaved Y, Cb, Cr scan", errNotBaseline)
	}
	// Y uses DC/AC tables 0, Cb and Cr tables 1, as RFC 2435 receivers assume.
	if seg[2] != 0x00 || seg[4] != 0x11 || seg[6] != 0x11 {
		return fmt.Errorf("%w: scan Huffman table selectors", errNotBaseline)
	}
	if seg[7] != 0 || seg[8] != 63 || seg[9] != 0 {
		return fmt.Errorf("%w: spectral selection of a progressive scan", errNotBaseline)
	}
	return nil
}

// finish takes the entropy-coded data up to the last EOI (cameras may pad
// after it) and checks the tables the frame refers to.
func (fr *frame) finish(rest []byte) error {
	end := len(rest) - 2
	for end >= 0 && (rest[end] != 0xff || rest[end+1] != jpeg.MarkerEndOfImage) {
		end--
	}
	if end <= 0 {
		return fmt.Errorf("%w: no entropy-coded data or no EOI", errNotBaseline)
	}
	if end >= 1<<24 {
		return fmt.Errorf("%w: %d bytes of data exceed the 24-bit fragment offset", errNotBaseline, end)
	}
	fr.data = rest[:end]
	if !fr.haveQuant[fr.lumaQ] || !fr.haveQuant[fr.chroma] {
		return fmt.Errorf("%w: missing quantization table", errNotBaseline)
	}
	if fr.restart != 0 {
		fr.typ += typeRestart
	}
	return nil
}
