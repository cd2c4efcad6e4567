package file

import (
	"time"

	"rtspcam/rtsp/payload"
)

// mp4Track is one playable trak: its format and compact sample tables, kept
// run-length encoded as the file stores them (about four bytes per sample,
// for the sizes) rather than one entry per sample.
type mp4Track struct {
	format    payload.Format
	video     bool
	timescale uint32
	nalLen    int  // length-prefix size of AVCC/HVCC samples; 0 when not NAL-based
	h265      bool // NAL headers are two bytes (for dropping delimiters)
	group     int  // samples joined per AU (PCM audio), 1 otherwise

	count     int      // number of samples
	sttsCount []uint32 // decoding time deltas, run-length
	sttsDelta []uint32
	cttsCount []uint32 // composition offsets, run-length; empty when absent
	cttsOff   []int32
	stscFirst []uint32 // first chunk (1-based) of each samples-per-chunk run
	stscPer   []uint32
	chunks32  []uint32 // chunk offsets when all fit 32 bits (most files)
	chunks64  []int64  // chunk offsets otherwise
	nChunks   int
	sizes16   []uint16 // per-sample sizes when all fit 16 bits
	sizes32   []uint32 // per-sample sizes otherwise
	constSize uint32   // size of every sample when both are empty
	sync      []uint32 // 1-based sync sample numbers; nil when all are sync

	// ptsShift is subtracted from composition times (ticks): the first
	// edit's media time minus any leading empty edit.
	ptsShift int64

	cur mp4Cursor

	buf []byte   // sample bytes, reused
	au  [][]byte // AU slices into buf, reused
}

// mp4Cursor is the position of the next sample in the tables.
type mp4Cursor struct {
	sample    int   // index of the next sample
	chunk     int   // chunk holding it
	stscIdx   int   // stsc run of that chunk
	chunkLeft int   // samples left in the chunk, the next one included
	pos       int64 // file offset of the next sample
	sttsIdx   int
	sttsLeft  uint32
	cttsIdx   int
	cttsLeft  uint32
	dts       int64 // decoding time of the next sample, ticks
	syncIdx   int
}

// done tells whether all samples have been read.
func (t *mp4Track) done() bool {
	return t.cur.sample >= t.count || t.cur.chunk >= t.nChunks
}

// reset moves to the first sample.
func (t *mp4Track) reset() {
	t.cur = mp4Cursor{}
	if len(t.sttsCount) > 0 {
		t.cur.sttsLeft = t.sttsCount[0]
	}
	if len(t.cttsCount) > 0 {
		t.cur.cttsLeft = t.cttsCount[0]
	}
	t.enterChunk()
}

// enterChunk sets the cursor to the start of t.cur.chunk, skipping chunks
// that hold no sample.
func (t *mp4Track) enterChunk() {
	c := &t.cur
	for c.chunk < t.nChunks {
		for c.stscIdx+1 < len(t.stscFirst) && int64(t.stscFirst[c.stscIdx+1])-1 <= int64(c.chunk) {
			c.stscIdx++
		}
		per := uint32(0)
		if len(t.stscPer) > 0 {
			per = t.stscPer[c.stscIdx]
		}
		if per > 0 {
			c.chunkLeft = int(per)
			c.pos = t.chunkOffset(c.chunk)
			return
		}
		c.chunk++
	}
}

// size returns the size of sample i.
func (t *mp4Track) size(i int) uint32 {
	switch {
	case t.sizes16 != nil:
		return uint32(t.sizes16[i])
	case t.sizes32 != nil:
		return t.sizes32[i]
	}
	return t.constSize
}

// chunkOffset returns the file offset of chunk i.
func (t *mp4Track) chunkOffset(i int) int64 {
	if t.chunks64 != nil {
		return t.chunks64[i]
	}
	return int64(t.chunks32[i])
}

// delta returns the duration of the next sample in ticks.
func (t *mp4Track) delta() uint32 {
	c := &t.cur
	for c.sttsLeft == 0 && c.sttsIdx+1 < len(t.sttsCount) {
		c.sttsIdx++
		c.sttsLeft = t.sttsCount[c.sttsIdx]
	}
	if c.sttsIdx < len(t.sttsDelta) {
		return t.sttsDelta[c.sttsIdx]
	}
	return 0
}

// ctsOffset returns the composition offset of the next sample in ticks.
func (t *mp4Track) ctsOffset() int32 {
	c := &t.cur
	for c.cttsLeft == 0 && c.cttsIdx+1 < len(t.cttsCount) {
		c.cttsIdx++
		c.cttsLeft = t.cttsCount[c.cttsIdx]
	}
	if c.cttsLeft == 0 || c.cttsIdx >= len(t.cttsOff) {
		return 0
	}
	return t.cttsOff[c.cttsIdx]
}

// key tells whether the next sample is a sync sample.
func (t *mp4Track) key() bool {
	if t.sync == nil {
		return true
	}
	c := &t.cur
	n := uint32(c.sample + 1)
	for c.syncIdx < len(t.sync) && t.sync[c.syncIdx] < n {
		c.syncIdx++
	}
	return c.syncIdx < len(t.sync) && t.sync[c.syncIdx] == n
}

// step moves past the next sample.
func (t *mp4Track) step() {
	c := &t.cur
	d := t.delta()
	if c.sttsLeft > 0 {
		c.sttsLeft--
	}
	t.ctsOffset()
	if c.cttsLeft > 0 {
		c.cttsLeft--
	}
	c.dts += int64(d)
	c.pos += int64(t.size(c.sample))
	c.sample++
	c.chunkLeft--
	if c.chunkLeft <= 0 {
		c.chunk++
		t.enterChunk()
	}
}

// nextDTS is the decoding time of the next sample.
func (t *mp4Track) nextDTS() time.Duration {
	return ticksToDuration(t.cur.dts-t.ptsShift, t.timescale)
}

// nextPTS is the presentation time of the next sample, never negative.
func (t *mp4Track) nextPTS() time.Duration {
	p := t.cur.dts + int64(t.ctsOffset()) - t.ptsShift
	if p < 0 {
		return 0
	}
	return ticksToDuration(p, t.timescale)
}

// seekTo moves the cursor to sample i.
func (t *mp4Track) seekTo(i int) {
	t.reset()
	for t.cur.sample < i && !t.done() {
		t.step()
	}
}

// lastAtOrBefore returns the index and time of the last sample (a sync
// sample when syncOnly) whose presentation time is at or before pts, or the
// first such sample when none is.
func (t *mp4Track) lastAtOrBefore(pts time.Duration, syncOnly bool) (int, time.Duration) {
	t.reset()
	best, bestPTS := -1, time.Duration(0)
	first, firstPTS := -1, time.Duration(0)
	for !t.done() {
		if !syncOnly || t.key() {
			p := t.nextPTS()
			if first < 0 {
				first, firstPTS = t.cur.sample, p
			}
			if p <= pts && (best < 0 || p >= bestPTS) {
				best, bestPTS = t.cur.sample, p
			}
		}
		t.step()
	}
	if best < 0 {
		if first < 0 {
			return 0, 0
		}
		return first, firstPTS
	}
	return best, bestPTS
}

// duration is the presentation end of the track.
func (t *mp4Track) duration() time.Duration {
	var total int64
	for i, n := range t.sttsCount {
		total += int64(n) * int64(t.sttsDelta[i])
	}
	d := ticksToDuration(total-t.ptsShift, t.timescale)
	if d < 0 {
		return 0
	}
	return d
}
