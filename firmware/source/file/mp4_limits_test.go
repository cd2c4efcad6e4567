package file

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
)

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	f *os.File
	n atomic.Int64
}

func (c *countingReaderAt) ReadAt(b []byte, off int64) (int, error) {
	n, err := c.f.ReadAt(b, off)
	c.n.Add(int64(n))
	return n, err
}

// tableBytes is the memory held by the sample tables of all tracks.
func (d *mp4Demuxer) tableBytes() int {
	n := 0
	for _, t := range d.tracks {
		n += 4 * (cap(t.sttsCount) + cap(t.sttsDelta) + cap(t.cttsCount) + cap(t.cttsOff) +
			cap(t.stscFirst) + cap(t.stscPer) + cap(t.sizes32) + cap(t.sync) + cap(t.chunks32))
		n += 2 * cap(t.sizes16)
		n += 8 * cap(t.chunks64)
	}
	return n
}

// TestMP4LongFileTables opens a 10-minute file (the 2-second clip repeated
// by stream copy, which gives the sample counts of a 10-minute 25 fps
// H.264 + 48 kHz AAC recording at any resolution) and checks that Open
// reads only the index and keeps compact tables.
func TestMP4LongFileTables(t *testing.T) {
	long := filepath.Join(t.TempDir(), "long.mp4")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-stream_loop", "299",
		"-i", media(t, "h264_aac.mp4"), "-c", "copy", long).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	f, err := os.Open(long)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	cr := &countingReaderAt{f: f}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d, err := OpenReader(cr, st.Size(), long)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)

	if dur, want := d.Duration(), probeDuration(t, long, "format=duration"); dur < want-frame || dur > want+frame {
		t.Errorf("Duration %v, ffprobe %v", dur, want)
	}
	tables := d.(*mp4Demuxer).tableBytes()
	for i, tk := range d.(*mp4Demuxer).tracks {
		t.Logf("track %d: %d samples, stts %d, ctts %d, stsc %d, chunks %d, sync %d",
			i, tk.count, len(tk.sttsCount), len(tk.cttsCount), len(tk.stscFirst), tk.nChunks, len(tk.sync))
	}
	retained := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("file %d bytes; Open read %d bytes; tables %d bytes; heap retained %d bytes",
		st.Size(), cr.n.Load(), tables, retained)
	if tables > 400<<10 {
		t.Errorf("tables take %d bytes", tables)
	}
	if retained > 600<<10 {
		t.Errorf("Open retains %d bytes of heap", retained)
	}
	if cr.n.Load() > st.Size()/20 {
		t.Errorf("Open read %d of %d bytes: it must read only moov", cr.n.Load(), st.Size())
	}
	runtime.KeepAlive(d)
}
