package file

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	mch264 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	mch265 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/h264"
	"rtspcam/rtsp/payload/h265"
)

// defaultFPS is the frame rate of raw streams whose SPS tells none.
const defaultFPS = 25

// scanBlock is the read size while indexing a raw stream.
const scanBlock = 1 << 20

// maxParamSet bounds a parameter set kept from a raw stream.
const maxParamSet = 64 << 10

// annexBDemuxer reads a raw H.264 or H.265 elementary stream. Open indexes
// where each access unit starts (8 bytes per AU) and which are keyframes.
type annexBDemuxer struct {
	r        io.ReaderAt
	size     int64
	closer   io.Closer
	h265     bool
	format   []payload.Format
	starts   []int64 // file offset of each AU
	keys     []int   // indexes of keyframe AUs, ascending
	frameDur time.Duration

	next int // AU to read
	buf  []byte
	au   [][]byte
}

func openAnnexB(r io.ReaderAt, size int64, closer io.Closer, isH265 bool) (Demuxer, error) {
	name := "h264"
	if isH265 {
		name = "h265"
	}
	d := &annexBDemuxer{r: r, size: size, closer: closer, h265: isH265}
	params, err := d.index()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(d.starts) == 0 {
		return nil, fmt.Errorf("%s: %w: no access unit", name, ErrUnsupported)
	}
	fps := float64(defaultFPS)
	if isH265 {
		f := &h265.Format{PT: 96, VPS: params[32], SPS: params[33], PPS: params[34]}
		var sps mch265.SPS
		if f.SPS != nil && sps.Unmarshal(f.SPS) == nil && sps.FPS() > 0 {
			fps = sps.FPS()
		}
		d.format = []payload.Format{f}
	} else {
		f := &h264.Format{PT: 96, SPS: params[7], PPS: params[8]}
		var sps mch264.SPS
		if f.SPS != nil && sps.Unmarshal(f.SPS) == nil && sps.FPS() > 0 {
			fps = sps.FPS()
		}
		d.format = []payload.Format{f}
	}
	if fps < 1 || fps > 1000 {
		fps = defaultFPS
	}
	d.frameDur = time.Duration(float64(time.Second) / fps)
	return d, nil
}

// index scans the stream once for start codes, recording where each access
// unit begins and the first parameter sets of each kind.
func (d *annexBDemuxer) index() (map[int][]byte, error) {
	params := map[int][]byte{}
	pending := -1       // parameter set type whose bytes start at pendingAt
	var pendingAt int64 // its offset (after the start code)
	ab := auBoundary{h265: d.h265}
	buf := make([]byte, 0, min(int64(scanBlock), d.size)+8)
	var base int64 // file offset of buf[0]
	auKey := func(key bool) {
		if key {
			d.keys = append(d.keys, len(d.starts)-1)
		}
	}
	onNAL := func(at int64, hdr []byte) error {
		if pending >= 0 {
			n := at - 3 - pendingAt
			if n > 0 && n <= maxParamSet {
				ps := make([]byte, n)
				if _, err := d.r.ReadAt(ps, pendingAt); err == nil {
					params[pending] = bytes.TrimRight(ps, "\x00")
				}
			}
			pending = -1
		}
		if len(hdr) == 0 {
			return nil
		}
		starts, prevKey := ab.nal(hdr)
		if len(d.starts) == 0 || starts {
			if len(d.starts) > 0 {
				auKey(prevKey)
			}
			if len(d.starts) == MaxSamples {
				return fmt.Errorf("more than %d access units", MaxSamples)
			}
			d.starts = append(d.starts, at-3)
		}
		typ := int(hdr[0] & 0x1F)
		if d.h265 {
			typ = int(hdr[0]>>1) & 0x3F
		}
		if _, ok := params[typ]; !ok && (!d.h265 && (typ == 7 || typ == 8) || d.h265 && typ >= 32 && typ <= 34) {
			pending, pendingAt = typ, at
		}
		return nil
	}
	for {
		n, err := d.r.ReadAt(buf[len(buf):cap(buf)], base+int64(len(buf)))
		buf = buf[:len(buf)+n]
		eof := errors.Is(err, io.EOF) || base+int64(len(buf)) >= d.size
		if err != nil && !eof {
			return nil, err
		}
		limit := len(buf) - 6 // keep room for a start code and 3 header bytes
		if eof {
			limit = len(buf) - 3
		}
		i := 0
		for i <= limit {
			j := bytes.Index(buf[i:], startCode)
			if j < 0 || i+j > limit {
				break
			}
			p := i + j
			if err := onNAL(base+int64(p)+3, buf[p+3:min(p+6, len(buf))]); err != nil {
				return nil, err
			}
			i = p + 3
		}
		if eof {
			if err := onNAL(d.size+3, nil); err != nil {
				return nil, err
			}
			if len(d.starts) > 0 {
				auKey(ab.key)
			}
			return params, nil
		}
		keep := max(i, limit+1)
		rest := copy(buf, buf[keep:])
		base += int64(keep)
		buf = buf[:rest]
	}
}

func (d *annexBDemuxer) Tracks() []payload.Format { return d.format }

func (d *annexBDemuxer) Duration() time.Duration {
	return time.Duration(len(d.starts)) * d.frameDur
}

func (d *annexBDemuxer) ReadSample() (Sample, error) {
	if d.next >= len(d.starts) {
		return Sample{}, io.EOF
	}
	i := d.next
	d.next++
	start, end := d.starts[i], d.size
	if i+1 < len(d.starts) {
		end = d.starts[i+1]
	}
	n := end - start
	if n > MaxSampleSize {
		return Sample{}, fmt.Errorf("access unit %d: %d bytes (limit %d)", i, n, MaxSampleSize)
	}
	if int64(cap(d.buf)) < n {
		d.buf = make([]byte, n, n+n/4)
	}
	d.buf = d.buf[:n]
	if _, err := d.r.ReadAt(d.buf, start); err != nil && !(errors.Is(err, io.EOF) && end == d.size) {
		return Sample{}, fmt.Errorf("access unit %d: %w", i, err)
	}
	au, err := splitNALs(d.buf, d.au, d.h265)
	if err != nil {
		return Sample{}, fmt.Errorf("access unit %d: %w", i, err)
	}
	d.au = au
	t := time.Duration(i) * d.frameDur
	k := sort.SearchInts(d.keys, i)
	return Sample{PTS: t, DTS: t, Key: k < len(d.keys) && d.keys[k] == i, AU: au}, nil
}

func (d *annexBDemuxer) Seek(t time.Duration) (time.Duration, error) {
	target := 0
	if t > 0 && d.frameDur > 0 {
		target = int(t / d.frameDur)
	}
	// last keyframe at or before target
	k := sort.SearchInts(d.keys, target+1) - 1
	i := 0
	if k >= 0 {
		i = d.keys[k]
	}
	d.next = i
	return time.Duration(i) * d.frameDur, nil
}

func (d *annexBDemuxer) Close() error {
	if d.closer != nil {
		return d.closer.Close()
	}
	return nil
}
