package file

import (
	"errors"
	"io"
)

// readAhead is an io.ReadSeeker over an io.ReaderAt that reads in large
// blocks. go-mp4 decodes box fields a few bits at a time; without it every
// field of the sample tables was a pread syscall, and opening a file cost
// more CPU than streaming it.
type readAhead struct {
	r        io.ReaderAt
	size     int64
	off      int64
	buf      []byte
	bufStart int64
	bufLen   int
}

const readAheadBlock = 64 << 10

func newReadAhead(r io.ReaderAt, size int64) *readAhead {
	return &readAhead{r: r, size: size, buf: make([]byte, readAheadBlock)}
}

func (ra *readAhead) Read(p []byte) (int, error) {
	if ra.off >= ra.size {
		return 0, io.EOF
	}
	if ra.off < ra.bufStart || ra.off >= ra.bufStart+int64(ra.bufLen) {
		if len(p) >= len(ra.buf) {
			// Large reads go straight through.
			n, err := ra.r.ReadAt(p[:min(int64(len(p)), ra.size-ra.off)], ra.off)
			ra.off += int64(n)
			if n > 0 && errors.Is(err, io.EOF) {
				err = nil
			}
			return n, err
		}
		n, err := ra.r.ReadAt(ra.buf[:min(int64(len(ra.buf)), ra.size-ra.off)], ra.off)
		if n == 0 {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		ra.bufStart, ra.bufLen = ra.off, n
	}
	i := int(ra.off - ra.bufStart)
	n := copy(p, ra.buf[i:ra.bufLen])
	ra.off += int64(n)
	return n, nil
}

func (ra *readAhead) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = ra.off + offset
	case io.SeekEnd:
		abs = ra.size + offset
	default:
		return 0, errors.New("readahead: bad whence")
	}
	if abs < 0 {
		return 0, errors.New("readahead: negative position")
	}
	ra.off = abs
	return abs, nil
}
