package file

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"time"

	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/mjpeg"
)

// mjpegFrameDur is the frame duration of concatenated JPEG files (25 fps).
const mjpegFrameDur = time.Second / 25

// mjpegDemuxer reads concatenated JPEG images. Open indexes where each
// image starts and ends (16 bytes per frame).
type mjpegDemuxer struct {
	r      io.ReaderAt
	closer io.Closer
	format []payload.Format
	starts []int64
	ends   []int64
	next   int
	buf    []byte
	au     [][]byte
}

func openMJPEG(r io.ReaderAt, size int64, closer io.Closer) (Demuxer, error) {
	d := &mjpegDemuxer{r: r, closer: closer, format: []payload.Format{&mjpeg.Format{}}, au: make([][]byte, 1)}
	if err := d.index(io.NewSectionReader(r, 0, size)); err != nil {
		return nil, fmt.Errorf("mjpeg: %w", err)
	}
	if len(d.starts) == 0 {
		return nil, fmt.Errorf("mjpeg: %w: no JPEG image", ErrUnsupported)
	}
	return d, nil
}

// jpegScanner reads a JPEG stream byte by byte, counting the offset.
type jpegScanner struct {
	br  *bufio.Reader
	off int64
}

func (s *jpegScanner) byte() (byte, error) {
	c, err := s.br.ReadByte()
	if err == nil {
		s.off++
	}
	return c, err
}

func (s *jpegScanner) skip(n int64) error {
	m, err := s.br.Discard(int(n))
	s.off += int64(m)
	return err
}

// index walks the images: SOI, marker segments by their lengths, and after
// each SOS the entropy-coded data up to the next marker, until EOI.
// Anything between images is skipped.
func (d *mjpegDemuxer) index(sr *io.SectionReader) error {
	s := &jpegScanner{br: bufio.NewReaderSize(sr, int(min(256<<10, sr.Size()+16)))}
	for {
		// find SOI
		start, err := s.findSOI()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		end, err := s.imageEnd()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil // a cut last image is dropped
		}
		if err != nil {
			return err
		}
		if end-start > MaxSampleSize {
			return fmt.Errorf("image at %d: %d bytes (limit %d)", start, end-start, MaxSampleSize)
		}
		if len(d.starts) == MaxSamples {
			return fmt.Errorf("more than %d images", MaxSamples)
		}
		d.starts = append(d.starts, start)
		d.ends = append(d.ends, end)
	}
}

func (s *jpegScanner) findSOI() (int64, error) {
	prev := byte(0)
	for {
		c, err := s.byte()
		if err != nil {
			return 0, err
		}
		if prev == 0xFF && c == 0xD8 {
			return s.off - 2, nil
		}
		prev = c
	}
}

// imageEnd reads from after SOI to after EOI and returns that offset.
func (s *jpegScanner) imageEnd() (int64, error) {
	haveFF := false // the 0xFF of the next marker is already consumed
	for {
		if !haveFF {
			c, err := s.byte()
			if err != nil {
				return 0, err
			}
			if c != 0xFF {
				return 0, fmt.Errorf("at %d: marker expected", s.off-1)
			}
		}
		haveFF = false
		m, err := s.byte()
		for err == nil && m == 0xFF { // fill bytes
			m, err = s.byte()
		}
		if err != nil {
			return 0, err
		}
		switch {
		case m == 0xD9:
			return s.off, nil
		case m == 0x01 || m >= 0xD0 && m <= 0xD7:
			continue // no length
		}
		hi, err := s.byte()
		if err != nil {
			return 0, err
		}
		lo, err := s.byte()
		if err != nil {
			return 0, err
		}
		n := int64(hi)<<8 | int64(lo)
		if n < 2 {
			return 0, fmt.Errorf("at %d: segment length %d", s.off-2, n)
		}
		if err := s.skip(n - 2); err != nil {
			return 0, err
		}
		if m != 0xDA {
			continue
		}
		// entropy-coded data runs to a marker other than stuffing (FF00)
		// and restart markers
		for !haveFF {
			c, err := s.byte()
			if err != nil {
				return 0, err
			}
			if c != 0xFF {
				continue
			}
			next, err := s.br.Peek(1)
			if err != nil {
				return 0, err
			}
			switch {
			case next[0] == 0x00 || next[0] >= 0xD0 && next[0] <= 0xD7:
				if err := s.skip(1); err != nil {
					return 0, err
				}
			case next[0] != 0xFF:
				haveFF = true
			}
		}
	}
}

func (d *mjpegDemuxer) Tracks() []payload.Format { return d.format }

func (d *mjpegDemuxer) Duration() time.Duration {
	return time.Duration(len(d.starts)) * mjpegFrameDur
}

func (d *mjpegDemuxer) ReadSample() (Sample, error) {
	if d.next >= len(d.starts) {
		return Sample{}, io.EOF
	}
	i := d.next
	d.next++
	n := d.ends[i] - d.starts[i]
	if int64(cap(d.buf)) < n {
		d.buf = make([]byte, n, n+n/4)
	}
	d.buf = d.buf[:n]
	if _, err := d.r.ReadAt(d.buf, d.starts[i]); err != nil {
		return Sample{}, fmt.Errorf("mjpeg: image %d: %w", i, err)
	}
	d.au[0] = d.buf
	t := time.Duration(i) * mjpegFrameDur
	return Sample{PTS: t, DTS: t, Key: true, AU: d.au}, nil
}

func (d *mjpegDemuxer) Seek(t time.Duration) (time.Duration, error) {
	i := 0
	if t > 0 {
		i = min(int(t/mjpegFrameDur), len(d.starts)-1)
	}
	d.next = i
	return time.Duration(i) * mjpegFrameDur, nil
}

func (d *mjpegDemuxer) Close() error {
	if d.closer != nil {
		return d.closer.Close()
	}
	return nil
}
