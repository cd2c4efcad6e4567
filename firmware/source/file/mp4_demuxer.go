package file

import (
	"errors"
	"fmt"
	"io"
	"time"

	mp4 "github.com/abema/go-mp4"

	"rtspcam/rtsp/payload"
)

// maxTableBox bounds a sample-table box: 10 million samples of the widest
// entry (stsc, 12 bytes) plus headers.
const maxTableBox = 12*MaxSamples + 64

// mp4Demuxer reads ISO BMFF (MP4, 3GP) and QuickTime files. Open reads the
// moov box only; samples are read with ReadAt on demand.
type mp4Demuxer struct {
	r        io.ReaderAt
	size     int64
	closer   io.Closer
	tracks   []*mp4Track
	formats  []payload.Format
	duration time.Duration
}

// mp4Trak collects the boxes of one trak while walking moov.
type mp4Trak struct {
	timescale uint32
	handler   string
	entry     []byte // raw stsd payload
	elst      *mp4.Elst
	stts      *mp4.Stts
	ctts      *mp4.Ctts
	stss      *mp4.Stss
	stsc      *mp4.Stsc
	stsz      *mp4.Stsz
	stco      *mp4.Stco
	co64      *mp4.Co64
}

// mp4Walk is the state of the box walk.
type mp4Walk struct {
	r              io.ReaderAt
	movieTimescale uint32
	haveMoov       bool
	fragmented     bool
	traks          []*mp4Trak
}

func openMP4(r io.ReaderAt, size int64, closer io.Closer) (Demuxer, error) {
	w := &mp4Walk{r: r}
	_, err := mp4.ReadBoxStructure(newReadAhead(r, size), w.handle)
	if err != nil && !w.haveMoov {
		return nil, fmt.Errorf("mp4: %w", err)
	}
	if !w.haveMoov {
		return nil, fmt.Errorf("mp4: %w: no moov box", ErrUnsupported)
	}
	if w.fragmented {
		return nil, fmt.Errorf("mp4: %w: fragmented MP4 (moof) is not supported", ErrUnsupported)
	}
	if w.movieTimescale == 0 {
		return nil, fmt.Errorf("mp4: movie timescale is 0")
	}

	d := &mp4Demuxer{r: r, size: size, closer: closer}
	var reasons []error
	for _, tk := range w.traks {
		if tk.handler != "vide" && tk.handler != "soun" {
			continue
		}
		pt := uint8(96 + len(d.tracks))
		t, err := buildMP4Track(tk, pt, w.movieTimescale)
		if err != nil {
			if errors.Is(err, ErrUnsupported) {
				reasons = append(reasons, err)
				continue
			}
			return nil, fmt.Errorf("mp4: track %d: %w", len(d.tracks)+len(reasons), err)
		}
		if len(d.tracks) == MaxTracks {
			break
		}
		d.tracks = append(d.tracks, t)
		d.formats = append(d.formats, t.format)
		d.duration = max(d.duration, t.duration())
	}
	if len(d.tracks) == 0 {
		if len(reasons) > 0 {
			return nil, fmt.Errorf("mp4: no playable track: %w", errors.Join(reasons...))
		}
		return nil, fmt.Errorf("mp4: %w: no playable track", ErrUnsupported)
	}
	for _, t := range d.tracks {
		t.reset()
	}
	return d, nil
}

// handle is the go-mp4 walk callback: it descends into the containers on
// the way to the sample tables and decodes the boxes it needs. mdat and
// every other box are skipped without reading them.
func (w *mp4Walk) handle(h *mp4.ReadHandle) (any, error) {
	typ := h.BoxInfo.Type.String()
	depth := len(h.Path)
	var cur *mp4Trak
	if len(w.traks) > 0 {
		cur = w.traks[len(w.traks)-1]
	}
	switch {
	case depth == 1 && typ == "moov":
		if w.haveMoov {
			return nil, nil // only the first moov counts
		}
		w.haveMoov = true
		return h.Expand()
	case depth == 1 && typ == "moof":
		w.fragmented = true
		return nil, nil
	case depth == 2 && typ == "mvex":
		w.fragmented = true
		return nil, nil
	case depth == 2 && typ == "mvhd":
		b, err := w.payload(h)
		if err != nil {
			return nil, err
		}
		w.movieTimescale = b.(*mp4.Mvhd).Timescale
		return nil, nil
	case depth == 2 && typ == "trak":
		if len(w.traks) >= 4*MaxTracks {
			return nil, nil
		}
		w.traks = append(w.traks, &mp4Trak{})
		return h.Expand()
	}
	if cur == nil || depth < 3 || h.Path[1].String() != "trak" {
		return nil, nil
	}
	switch typ {
	case "mdia", "minf", "stbl", "edts":
		return h.Expand()
	case "mdhd":
		b, err := w.payload(h)
		if err != nil {
			return nil, err
		}
		cur.timescale = b.(*mp4.Mdhd).Timescale
	case "hdlr":
		if h.Path[depth-2].String() != "mdia" {
			return nil, nil
		}
		b, err := w.payload(h)
		if err != nil {
			return nil, err
		}
		cur.handler = string(b.(*mp4.Hdlr).HandlerType[:])
	case "elst":
		b, err := w.payload(h)
		if err != nil {
			return nil, err
		}
		cur.elst = b.(*mp4.Elst)
	case "stsd":
		n := h.BoxInfo.Size - h.BoxInfo.HeaderSize
		if n > 1<<20 {
			return nil, fmt.Errorf("stsd: %d bytes is too large", n)
		}
		buf := make([]byte, n)
		if _, err := w.r.ReadAt(buf, int64(h.BoxInfo.Offset+h.BoxInfo.HeaderSize)); err != nil {
			return nil, fmt.Errorf("stsd: %w", err)
		}
		cur.entry = buf
	case "stts", "ctts", "stss", "stsc", "stsz", "stco", "co64":
		b, err := w.payload(h)
		if err != nil {
			return nil, err
		}
		switch v := b.(type) {
		case *mp4.Stts:
			cur.stts = v
		case *mp4.Ctts:
			cur.ctts = v
		case *mp4.Stss:
			cur.stss = v
		case *mp4.Stsc:
			cur.stsc = v
		case *mp4.Stsz:
			cur.stsz = v
		case *mp4.Stco:
			cur.stco = v
		case *mp4.Co64:
			cur.co64 = v
		}
	}
	return nil, nil
}

// payload decodes the box with go-mp4 after checking its size against the
// limits, so a hostile size cannot make the decoder allocate without end.
func (w *mp4Walk) payload(h *mp4.ReadHandle) (mp4.IBox, error) {
	typ := h.BoxInfo.Type.String()
	if h.BoxInfo.Size > maxTableBox {
		return nil, fmt.Errorf("%s: %d bytes is too large", typ, h.BoxInfo.Size)
	}
	b, _, err := h.ReadPayload()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", typ, err)
	}
	return b, nil
}

func (d *mp4Demuxer) Tracks() []payload.Format { return d.formats }

func (d *mp4Demuxer) Duration() time.Duration { return d.duration }

func (d *mp4Demuxer) ReadSample() (Sample, error) {
	var t *mp4Track
	idx := -1
	var best time.Duration
	for i, c := range d.tracks {
		if c.done() {
			continue
		}
		dts := c.nextDTS()
		if t == nil || dts < best {
			t, idx, best = c, i, dts
		}
	}
	if t == nil {
		return Sample{}, io.EOF
	}
	s := Sample{Track: idx, DTS: best, PTS: t.nextPTS(), Key: t.key()}
	pos := t.cur.pos
	var n int64
	for k := 0; k < t.group && !t.done(); k++ {
		n += int64(t.size(t.cur.sample))
		last := t.cur.chunkLeft == 1
		t.step()
		if last || n >= MaxSampleSize {
			break
		}
	}
	if n > MaxSampleSize {
		return Sample{}, fmt.Errorf("mp4: track %d: sample of %d bytes is too large", idx, n)
	}
	if pos < 0 || pos+n > d.size {
		return Sample{}, fmt.Errorf("mp4: track %d: sample at %d+%d: %w", idx, pos, n, io.ErrUnexpectedEOF)
	}
	if int64(cap(t.buf)) < n {
		t.buf = make([]byte, n, n+n/4)
	}
	t.buf = t.buf[:n]
	if _, err := d.r.ReadAt(t.buf, pos); err != nil {
		return Sample{}, fmt.Errorf("mp4: track %d: %w", idx, err)
	}
	au, err := t.splitAU(t.buf)
	if err != nil {
		return Sample{}, fmt.Errorf("mp4: track %d: %w", idx, err)
	}
	s.AU = au
	return s, nil
}

// splitAU turns sample bytes into the AU layout: the NAL units of a
// length-prefixed sample (access unit delimiters dropped), or the whole
// sample.
func (t *mp4Track) splitAU(b []byte) ([][]byte, error) {
	t.au = t.au[:0]
	if t.nalLen == 0 {
		t.au = append(t.au, b)
		return t.au, nil
	}
	for len(b) > 0 {
		if len(b) < t.nalLen {
			return nil, fmt.Errorf("NAL length prefix cut: %w", payload.ErrMalformed)
		}
		var n uint64
		for _, c := range b[:t.nalLen] {
			n = n<<8 | uint64(c)
		}
		b = b[t.nalLen:]
		if n > uint64(len(b)) {
			return nil, fmt.Errorf("NAL of %d bytes in %d: %w", n, len(b), payload.ErrMalformed)
		}
		nal := b[:n]
		b = b[n:]
		if len(nal) == 0 || isDelimiter(nal, t.h265) {
			continue
		}
		t.au = append(t.au, nal)
	}
	if len(t.au) == 0 {
		return nil, fmt.Errorf("sample without NAL units: %w", payload.ErrMalformed)
	}
	return t.au, nil
}

// isDelimiter tells whether nal is an access unit delimiter.
func isDelimiter(nal []byte, h265 bool) bool {
	if h265 {
		return (nal[0]>>1)&0x3F == 35
	}
	return nal[0]&0x1F == 9
}

func (d *mp4Demuxer) Seek(t time.Duration) (time.Duration, error) {
	if t < 0 {
		t = 0
	}
	lead := d.tracks[0]
	for _, c := range d.tracks {
		if c.video {
			lead = c
			break
		}
	}
	i, reached := lead.lastAtOrBefore(t, true)
	lead.seekTo(i)
	for _, c := range d.tracks {
		if c == lead {
			continue
		}
		j, _ := c.lastAtOrBefore(reached, false)
		c.seekTo(j)
	}
	return reached, nil
}

func (d *mp4Demuxer) Close() error {
	if d.closer != nil {
		return d.closer.Close()
	}
	return nil
}
