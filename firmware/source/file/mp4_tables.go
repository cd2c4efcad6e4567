package file

import (
	"errors"
	"fmt"
)

var errShort = errors.New("too short")

// buildMP4Track checks a trak's boxes against the limits and copies its
// sample tables into the compact form mp4Track reads.
func buildMP4Track(tk *mp4Trak, pt uint8, movieTimescale uint32) (*mp4Track, error) {
	if tk.entry == nil {
		return nil, fmt.Errorf("no stsd box")
	}
	se, err := parseSampleEntry(tk.entry, pt)
	if err != nil {
		return nil, err
	}
	if tk.timescale == 0 {
		return nil, fmt.Errorf("mdhd timescale is 0")
	}
	if tk.stts == nil || tk.stsc == nil || tk.stsz == nil || (tk.stco == nil && tk.co64 == nil) {
		return nil, fmt.Errorf("incomplete sample table (stts, stsc, stsz and stco/co64 are required)")
	}
	t := &mp4Track{
		format:    se.format,
		video:     se.video,
		timescale: tk.timescale,
		nalLen:    se.nalLen,
		h265:      se.h265,
		group:     1,
	}
	if se.nalLen == 3 || se.nalLen > 4 {
		return nil, fmt.Errorf("NAL length size %d", se.nalLen)
	}
	if se.pcm {
		// 20 ms of audio per AU, as payload.Format asks of G.711
		t.group = max(1, int(tk.timescale)/50)
	}

	// sizes
	sz := tk.stsz
	if sz.SampleCount > MaxSamples {
		return nil, fmt.Errorf("%d samples (limit %d)", sz.SampleCount, MaxSamples)
	}
	if sz.SampleSize != 0 {
		if sz.SampleSize > MaxSampleSize {
			return nil, fmt.Errorf("sample size %d (limit %d)", sz.SampleSize, MaxSampleSize)
		}
		t.constSize = sz.SampleSize
		t.count = int(sz.SampleCount)
	} else {
		t.count = min(int(sz.SampleCount), len(sz.EntrySize))
		var largest uint32
		for i, s := range sz.EntrySize[:t.count] {
			if s > MaxSampleSize {
				return nil, fmt.Errorf("sample %d size %d (limit %d)", i+1, s, MaxSampleSize)
			}
			largest = max(largest, s)
		}
		if largest <= 0xFFFF {
			t.sizes16 = make([]uint16, t.count)
			for i, s := range sz.EntrySize[:t.count] {
				t.sizes16[i] = uint16(s)
			}
		} else {
			t.sizes32 = append([]uint32(nil), sz.EntrySize[:t.count]...)
		}
	}

	// decoding times, cut at the sample count so sums cannot overflow
	left := int64(t.count)
	t.sttsCount = make([]uint32, 0, len(tk.stts.Entries))
	t.sttsDelta = make([]uint32, 0, len(tk.stts.Entries))
	for _, e := range tk.stts.Entries {
		if left <= 0 {
			break
		}
		n := min(int64(e.SampleCount), left)
		left -= n
		t.sttsCount = append(t.sttsCount, uint32(n))
		t.sttsDelta = append(t.sttsDelta, e.SampleDelta)
	}

	// composition offsets
	if tk.ctts != nil {
		left = int64(t.count)
		t.cttsCount = make([]uint32, 0, len(tk.ctts.Entries))
		t.cttsOff = make([]int32, 0, len(tk.ctts.Entries))
		for _, e := range tk.ctts.Entries {
			if left <= 0 {
				break
			}
			n := min(int64(e.SampleCount), left)
			left -= n
			off := int32(e.SampleOffsetV0)
			if tk.ctts.GetVersion() == 1 {
				off = e.SampleOffsetV1
			}
			t.cttsCount = append(t.cttsCount, uint32(n))
			t.cttsOff = append(t.cttsOff, off)
		}
	}

	// chunks
	if tk.co64 != nil {
		t.nChunks = len(tk.co64.ChunkOffset)
		var largest uint64
		for _, o := range tk.co64.ChunkOffset {
			largest = max(largest, o)
		}
		if largest <= 0xFFFFFFFF {
			t.chunks32 = make([]uint32, t.nChunks)
			for i, o := range tk.co64.ChunkOffset {
				t.chunks32[i] = uint32(o)
			}
		} else {
			t.chunks64 = make([]int64, t.nChunks)
			for i, o := range tk.co64.ChunkOffset {
				t.chunks64[i] = int64(o & (1<<63 - 1))
			}
		}
	} else {
		t.nChunks = len(tk.stco.ChunkOffset)
		t.chunks32 = append([]uint32(nil), tk.stco.ChunkOffset...)
	}
	var prev uint32
	t.stscFirst = make([]uint32, 0, len(tk.stsc.Entries))
	t.stscPer = make([]uint32, 0, len(tk.stsc.Entries))
	for _, e := range tk.stsc.Entries {
		if e.FirstChunk == 0 || e.FirstChunk <= prev {
			return nil, fmt.Errorf("stsc: first chunk %d after %d", e.FirstChunk, prev)
		}
		prev = e.FirstChunk
		t.stscFirst = append(t.stscFirst, e.FirstChunk)
		t.stscPer = append(t.stscPer, e.SamplesPerChunk)
	}
	// the chunks hold at most this many samples: keep the count within it
	var capacity int64
	for i := range t.stscFirst {
		first := int64(t.stscFirst[i]) - 1
		end := int64(t.nChunks)
		if i+1 < len(t.stscFirst) {
			end = min(end, int64(t.stscFirst[i+1])-1)
		}
		if end > first {
			capacity += (end - first) * int64(t.stscPer[i])
		}
		if capacity >= int64(t.count) {
			break
		}
	}
	t.count = int(min(int64(t.count), capacity))
	if t.count == 0 {
		return nil, fmt.Errorf("%w: track without samples", ErrUnsupported)
	}

	// sync samples
	if tk.stss != nil {
		t.sync = make([]uint32, 0, len(tk.stss.SampleNumber))
		for _, n := range tk.stss.SampleNumber {
			if len(t.sync) == 0 || n > t.sync[len(t.sync)-1] {
				t.sync = append(t.sync, n)
			}
		}
	}

	// edit list: leading empty edits delay the track, the first real edit
	// says where in the media presentation starts
	if tk.elst != nil && movieTimescale > 0 {
		var delay int64
		for _, e := range tk.elst.Entries {
			mediaTime, dur := int64(e.MediaTimeV0), int64(e.SegmentDurationV0)
			if tk.elst.GetVersion() == 1 {
				mediaTime, dur = e.MediaTimeV1, int64(e.SegmentDurationV1&(1<<62-1))
			}
			if mediaTime == -1 {
				// movie timescale to media timescale
				delay += int64(float64(dur) * float64(tk.timescale) / float64(movieTimescale))
				continue
			}
			if mediaTime >= 0 {
				t.ptsShift = mediaTime - delay
			}
			break
		}
	}
	return t, nil
}
