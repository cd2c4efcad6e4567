package file

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/aac"
	"rtspcam/rtsp/payload/h264"
	"rtspcam/rtsp/payload/h265"
	"rtspcam/rtsp/payload/mpeg4v"
	"rtspcam/rtsp/payload/opus"
)

// Codecs of MPEG-TS tracks.
const (
	tsH264 = iota + 1
	tsH265
	tsMPEG4V
	tsAAC
	tsOpus
	tsPrivate // private data: AAC when it carries ADTS (M2TS files from ffmpeg)
)

// tsTrack is one playable elementary stream.
type tsTrack struct {
	pid    uint16
	codec  int
	format payload.Format
	video  bool

	// PES assembly
	pes     []byte // PES being assembled
	done    []byte // last complete PES, which queued samples alias
	skip    bool   // discard until the next unit start
	startAt int64  // file offset of the packet that started pes

	// from the indexing pass
	firstDTS, minPTS int64
	lastPTS          int64
	count            int
	sampleRate       int
	nals             [][]byte // NAL list of the last video PES, reused
}

// tsKey is a random access point in the file.
type tsKey struct {
	offset int64 // of the packet starting the keyframe's PES
	pts    int64 // unwrapped
}

// tsDemuxer reads MPEG-TS files (188-byte packets, or 192-byte M2TS).
type tsDemuxer struct {
	r       io.ReaderAt
	size    int64
	closer  io.Closer
	stride  int // 188 or 192
	skipHdr int // bytes before the sync byte (4 in M2TS)

	tracks  []*tsTrack
	byPID   map[uint16]int
	formats []payload.Format
	keys    []tsKey
	origin  int64
	dur     time.Duration

	br    *bufio.Reader
	off   int64 // file offset of the next packet
	pkt   []byte
	unw   tsUnwrap
	queue []Sample
	qpos  int
	after int64 // after a seek: drop samples presented before this (unwrapped)

	indexing bool
}

func openTS(r io.ReaderAt, size int64, closer io.Closer) (Demuxer, error) {
	d := &tsDemuxer{r: r, size: size, closer: closer, stride: tsPacketSize, byPID: map[uint16]int{}}
	var head [3*192 + 4]byte
	n, _ := r.ReadAt(head[:], 0)
	if !isTS(head[:n]) && isM2TS(head[:n]) {
		d.stride, d.skipHdr = 192, 4
	}
	d.pkt = make([]byte, d.stride)
	if err := d.index(); err != nil {
		return nil, fmt.Errorf("mpegts: %w", err)
	}
	return d, nil
}

// isM2TS tells whether head starts with 192-byte M2TS packets.
func isM2TS(head []byte) bool {
	if len(head) < 192+5 {
		return false
	}
	for i := 4; i < len(head); i += 192 {
		if head[i] != tsSyncByte {
			return false
		}
	}
	return true
}

// index reads the file once: program tables, track formats, timing range
// and keyframe positions.
func (d *tsDemuxer) index() error {
	d.indexing = true
	d.seekOffset(0)
	var pmtPID uint16
	havePAT, havePMT := false, false
	var reasons []error
	for {
		p, at, err := d.readPacket()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		switch {
		case p.pid == 0 && !havePAT:
			if sec := psiSection(p); sec != nil {
				pmtPID, havePAT = parsePAT(sec)
			}
			continue
		case havePAT && !havePMT && p.pid == pmtPID:
			sec := psiSection(p)
			if sec == nil {
				continue
			}
			streams, ok := parsePMT(sec)
			if !ok {
				continue
			}
			havePMT = true
			for _, s := range streams {
				t := &tsTrack{pid: s.pid}
				switch {
				case s.streamType == 0x1B:
					t.codec, t.video = tsH264, true
				case s.streamType == 0x24:
					t.codec, t.video = tsH265, true
				case s.streamType == 0x10:
					t.codec, t.video = tsMPEG4V, true
				case s.streamType == 0x0F:
					t.codec = tsAAC
				case s.streamType == 0x06 && s.opus:
					t.codec = tsOpus
				case s.streamType == 0x06:
					t.codec = tsPrivate
				default:
					reasons = append(reasons, fmt.Errorf("%w: codec of stream type 0x%02x", ErrUnsupported, s.streamType))
					continue
				}
				d.byPID[s.pid] = len(d.tracks)
				d.tracks = append(d.tracks, t)
			}
			continue
		}
		if err := d.feed(p, at); err != nil {
			return err
		}
	}
	d.flush()
	d.queue, d.qpos = d.queue[:0], 0
	if !havePMT {
		return fmt.Errorf("%w: no program map table", ErrUnsupported)
	}
	// keep the tracks that delivered data and learnt their format
	var kept []*tsTrack
	for _, t := range d.tracks {
		if t.count > 0 && t.format != nil {
			kept = append(kept, t)
		}
	}
	if len(kept) == 0 {
		if len(reasons) > 0 {
			return fmt.Errorf("no playable track: %w", errors.Join(reasons...))
		}
		return fmt.Errorf("%w: no playable track", ErrUnsupported)
	}
	d.tracks = kept
	clear(d.byPID)
	// time 0 is the earliest presentation time, as in MP4 files whose
	// edit list removes the B-frame delay
	d.origin = kept[0].minPTS
	for i, t := range kept {
		d.byPID[t.pid] = i
		d.origin = min(d.origin, t.minPTS)
		d.setPT(i)
		d.formats = append(d.formats, t.format)
	}
	var end int64
	for _, t := range kept {
		last := t.lastPTS
		if t.count > 1 {
			last += (t.lastPTS - t.firstDTS) / int64(t.count-1)
		}
		if t.codec == tsAAC && t.sampleRate > 0 {
			last = t.lastPTS + 1024*tsClock/int64(t.sampleRate)
		}
		end = max(end, last)
	}
	d.dur = ticksToDuration(end-d.origin, tsClock)
	d.indexing = false
	d.seekOffset(0)
	return nil
}

// setPT numbers the dynamic payload types by track order.
func (d *tsDemuxer) setPT(i int) {
	pt := uint8(96 + i)
	switch f := d.tracks[i].format.(type) {
	case *h264.Format:
		f.PT = pt
	case *h265.Format:
		f.PT = pt
	case *mpeg4v.Format:
		f.PT = pt
	case *aac.Format:
		f.PT = pt
	case *opus.Format:
		f.PT = pt
	}
}

// seekOffset restarts reading at a packet boundary.
func (d *tsDemuxer) seekOffset(off int64) {
	sr := io.NewSectionReader(d.r, off, d.size-off)
	if d.br == nil {
		d.br = bufio.NewReaderSize(sr, 64<<10)
	} else {
		d.br.Reset(sr)
	}
	d.off = off
	for _, t := range d.tracks {
		t.pes, t.skip = t.pes[:0], true
	}
	d.queue, d.qpos = d.queue[:0], 0
}

// readPacket returns the next transport packet and its file offset,
// resynchronising on the sync byte after garbage.
func (d *tsDemuxer) readPacket() (tsPacket, int64, error) {
	for {
		at := d.off
		if _, err := io.ReadFull(d.br, d.pkt); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = io.EOF
			}
			return tsPacket{}, 0, err
		}
		d.off += int64(d.stride)
		b := d.pkt[d.skipHdr:]
		if b[0] != tsSyncByte {
			// drop bytes up to the next sync byte
			i := bytes.IndexByte(b[1:], tsSyncByte)
			drop := len(d.pkt)
			if i >= 0 {
				drop = d.skipHdr + 1 + i - d.skipHdr
				if drop <= 0 {
					drop = 1
				}
			}
			n := copy(d.pkt, d.pkt[drop:])
			if _, err := io.ReadFull(d.br, d.pkt[n:]); err != nil {
				return tsPacket{}, 0, io.EOF
			}
			d.off += int64(drop)
			continue
		}
		p, err := parseTSPacket(b)
		if err != nil {
			continue
		}
		return p, at, nil
	}
}

// feed adds a packet to its stream's PES and queues the samples of a PES
// it completes.
func (d *tsDemuxer) feed(p tsPacket, at int64) error {
	i, ok := d.byPID[p.pid]
	if !ok || len(p.payload) == 0 {
		return nil
	}
	t := d.tracks[i]
	if p.start {
		if len(t.pes) > 0 && !t.skip {
			d.complete(i)
		}
		t.pes, t.skip, t.startAt = t.pes[:0], false, at
	}
	if t.skip {
		return nil
	}
	if len(t.pes)+len(p.payload) > MaxSampleSize {
		t.pes, t.skip = t.pes[:0], true // too large: dropped
		return nil
	}
	t.pes = append(t.pes, p.payload...)
	if h, ok := parsePES(t.pes); ok && h.length > 0 && len(t.pes) >= 6+h.length {
		d.complete(i)
		t.pes, t.skip = t.pes[:0], true
	}
	return nil
}

// flush completes the PES of every stream at the end of the file.
func (d *tsDemuxer) flush() {
	for i, t := range d.tracks {
		if len(t.pes) > 0 && !t.skip {
			d.complete(i)
		}
		t.pes, t.skip = t.pes[:0], true
	}
}

// complete turns the assembled PES of track i into queued samples.
func (d *tsDemuxer) complete(i int) {
	t := d.tracks[i]
	h, ok := parsePES(t.pes)
	if !ok || !h.hasPTS {
		return
	}
	end := len(t.pes)
	if h.length > 0 {
		end = min(end, 6+h.length)
	}
	if h.payloadOffset > end {
		return
	}
	t.pes, t.done = t.done[:0], t.pes
	data := t.done[h.payloadOffset:end]
	pts := d.unw.unwrap(h.pts)
	dts := pts - ((h.pts - h.dts) % tsWrap)
	if h.dts > h.pts { // DTS wrapped below PTS's wrap
		dts = pts - (h.pts + tsWrap - h.dts)
	}
	if t.codec == tsPrivate {
		if len(data) < 2 || data[0] != 0xFF || data[1]&0xF6 != 0xF0 {
			return
		}
		t.codec = tsAAC
	}
	switch t.codec {
	case tsH264, tsH265:
		d.queueVideoNALs(i, t, data, pts, dts)
	case tsMPEG4V:
		key := mpeg4IsKey(data)
		if t.format == nil && key {
			t.format = &mpeg4v.Format{ProfileLevelID: mpeg4ProfileLevel(data), Config: mpeg4Config(data)}
		}
		d.push(i, t, pts, dts, key, [][]byte{data})
	case tsAAC:
		d.queueADTS(i, t, data, pts)
	case tsOpus:
		d.queueOpus(i, t, data, pts)
	}
}

func (d *tsDemuxer) queueVideoNALs(i int, t *tsTrack, data []byte, pts, dts int64) {
	isH265 := t.codec == tsH265
	nals, err := splitNALs(data, t.nals[:0], isH265)
	if err != nil || len(nals) == 0 {
		return
	}
	key := false
	var vps, sps, pps []byte
	for _, n := range nals {
		if isH265 {
			switch typ := (n[0] >> 1) & 0x3F; {
			case typ >= 16 && typ <= 23:
				key = true
			case typ == 32:
				vps = n
			case typ == 33:
				sps = n
			case typ == 34:
				pps = n
			}
		} else {
			switch n[0] & 0x1F {
			case 5:
				key = true
			case 7:
				sps = n
			case 8:
				pps = n
			}
		}
	}
	if t.format == nil && sps != nil && pps != nil {
		if isH265 {
			t.format = &h265.Format{VPS: bytes.Clone(vps), SPS: bytes.Clone(sps), PPS: bytes.Clone(pps)}
		} else {
			t.format = &h264.Format{SPS: bytes.Clone(sps), PPS: bytes.Clone(pps)}
		}
	}
	t.nals = nals
	d.push(i, t, pts, dts, key, nals)
}

func (d *tsDemuxer) queueADTS(i int, t *tsTrack, data []byte, pts int64) {
	var pkts mpeg4audio.ADTSPackets
	if err := pkts.Unmarshal(data); err != nil || len(pkts) == 0 {
		return
	}
	rate := pkts[0].SampleRate
	if t.format == nil {
		asc := mpeg4audio.AudioSpecificConfig{Type: pkts[0].Type, SampleRate: rate, ChannelConfig: pkts[0].ChannelConfig}
		cfg, err := asc.Marshal()
		if err != nil {
			return
		}
		ch := int(pkts[0].ChannelConfig)
		if ch == 7 {
			ch = 8
		}
		t.format = &aac.Format{Config: cfg, SampleRate: rate, Channels: ch, SizeLength: 13, IndexLength: 3, IndexDeltaLength: 3}
		t.sampleRate = rate
	}
	for k, p := range pkts {
		ts := pts + int64(k)*1024*tsClock/int64(max(rate, 1))
		d.push(i, t, ts, ts, true, [][]byte{p.AU})
	}
}

func (d *tsDemuxer) queueOpus(i int, t *tsTrack, data []byte, pts int64) {
	for len(data) >= 2 {
		if data[0] != 0x7F || data[1]&0xE0 != 0xE0 {
			return
		}
		flags := data[1]
		b := data[2:]
		size := 0
		for len(b) > 0 {
			c := b[0]
			b = b[1:]
			size += int(c)
			if c != 0xFF {
				break
			}
		}
		if flags&0x10 != 0 {
			b = b[min(2, len(b)):]
		}
		if flags&0x08 != 0 {
			b = b[min(2, len(b)):]
		}
		if flags&0x04 != 0 && len(b) > 0 {
			n := int(b[0])
			b = b[min(1+n, len(b)):]
		}
		if size == 0 || size > len(b) {
			return
		}
		pkt := b[:size]
		data = b[size:]
		if t.format == nil {
			ch := 1
			if pkt[0]&0x04 != 0 {
				ch = 2
			}
			t.format = &opus.Format{Channels: ch}
		}
		d.push(i, t, pts, pts, true, [][]byte{pkt})
		pts += opusDuration(pkt) * tsClock / 48000
	}
}

// opusDuration returns the length of an Opus packet in 48 kHz samples
// (RFC 6716 section 3.1).
func opusDuration(pkt []byte) int64 {
	toc := pkt[0]
	cfg := toc >> 3
	var frame int64
	switch {
	case cfg < 12:
		frame = []int64{480, 960, 1920, 2880}[cfg%4]
	case cfg < 16:
		frame = []int64{480, 960}[cfg%2]
	default:
		frame = []int64{120, 240, 480, 960}[cfg%4]
	}
	switch toc & 3 {
	case 0:
		return frame
	case 1, 2:
		return 2 * frame
	}
	if len(pkt) < 2 {
		return frame
	}
	return frame * int64(pkt[1]&0x3F)
}

// push queues one sample (during indexing: records it).
func (d *tsDemuxer) push(i int, t *tsTrack, pts, dts int64, key bool, au [][]byte) {
	if d.indexing {
		if t.count == 0 {
			t.firstDTS, t.minPTS = dts, pts
		}
		t.minPTS = min(t.minPTS, pts)
		t.count++
		t.lastPTS = max(t.lastPTS, pts)
		if key && t.video && i == d.leadTrack() {
			d.keys = append(d.keys, tsKey{offset: t.startAt, pts: pts})
		} else if !d.hasVideo() && i == 0 && (len(d.keys) == 0 || pts-d.keys[len(d.keys)-1].pts >= tsClock/2) {
			d.keys = append(d.keys, tsKey{offset: t.startAt, pts: pts})
		}
		return
	}
	if pts < d.after && !t.video {
		return
	}
	d.queue = append(d.queue, Sample{
		Track: i,
		PTS:   max(0, ticksToDuration(pts-d.origin, tsClock)),
		DTS:   ticksToDuration(dts-d.origin, tsClock),
		Key:   key,
		AU:    au,
	})
}

func (d *tsDemuxer) hasVideo() bool { return d.leadTrack() >= 0 }

// leadTrack is the first video track, -1 when none.
func (d *tsDemuxer) leadTrack() int {
	for i, t := range d.tracks {
		if t.video {
			return i
		}
	}
	return -1
}

func (d *tsDemuxer) Tracks() []payload.Format { return d.formats }

func (d *tsDemuxer) Duration() time.Duration { return d.dur }

func (d *tsDemuxer) ReadSample() (Sample, error) {
	for d.qpos >= len(d.queue) {
		d.queue, d.qpos = d.queue[:0], 0
		p, at, err := d.readPacket()
		if errors.Is(err, io.EOF) {
			d.flush()
			if len(d.queue) == 0 {
				return Sample{}, io.EOF
			}
			break
		}
		if err != nil {
			return Sample{}, fmt.Errorf("mpegts: %w", err)
		}
		if err := d.feed(p, at); err != nil {
			return Sample{}, fmt.Errorf("mpegts: %w", err)
		}
	}
	s := d.queue[d.qpos]
	d.qpos++
	return s, nil
}

func (d *tsDemuxer) Seek(t time.Duration) (time.Duration, error) {
	target := d.origin + int64(t/time.Microsecond)*tsClock/1e6
	k := sort.Search(len(d.keys), func(i int) bool { return d.keys[i].pts > target }) - 1
	if k <= 0 {
		// before the second keyframe: rewind to the start of the file,
		// which begins at time 0
		d.seekOffset(0)
		d.unw = tsUnwrap{}
		d.after = 0
		return 0, nil
	}
	key := d.keys[k]
	d.seekOffset(key.offset)
	d.unw = tsUnwrap{ref: key.pts, have: true}
	d.after = key.pts
	return max(0, ticksToDuration(key.pts-d.origin, tsClock)), nil
}

func (d *tsDemuxer) Close() error {
	if d.closer != nil {
		return d.closer.Close()
	}
	return nil
}

// mpeg4IsKey tells whether an MPEG-4 visual frame holds an I-VOP.
func mpeg4IsKey(b []byte) bool {
	i := bytes.Index(b, []byte{0, 0, 1, 0xB6})
	return i >= 0 && i+4 < len(b) && b[i+4]>>6 == 0
}

// mpeg4Config returns the headers before the first VOP of a frame.
func mpeg4Config(b []byte) []byte {
	i := bytes.Index(b, []byte{0, 0, 1, 0xB6})
	if i <= 0 {
		return nil
	}
	return bytes.Clone(b[:i])
}
