// Package file reads media files (ISO BMFF/QuickTime, MPEG-TS, raw H.264 and
// H.265 Annex-B streams, concatenated JPEGs) as tracks and timed access
// units, without re-encoding, for the file source of the server.
package file

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"rtspcam/rtsp/payload"
)

// Limits that make an absurd or hostile file fail at Open instead of
// exhausting memory.
const (
	// MaxSampleSize is the largest sample (access unit) read from a file.
	MaxSampleSize = 16 << 20
	// MaxSamples is the largest number of samples of one track.
	MaxSamples = 10_000_000
	// MaxTracks is the largest number of tracks of one file.
	MaxTracks = 64
)

// ErrUnsupported tells that the file cannot be streamed: unknown container,
// no playable track or an unsupported codec. It is wrapped with the reason.
var ErrUnsupported = errors.New("unsupported media file")

// Sample is one timed access unit of one track.
type Sample struct {
	Track int           // index into Tracks()
	PTS   time.Duration // presentation time from the start of the file, never negative
	DTS   time.Duration // decoding time
	Key   bool          // random access point (audio: always true)
	// AU is the access unit in the layout of payload.Format. Its slices
	// stay valid until the next ReadSample.
	AU [][]byte
}

// Demuxer turns one media file into tracks and samples. It is not safe for
// concurrent use. A sample that cannot be read (a corrupted file) returns an
// error; the next ReadSample goes on with the following sample.
type Demuxer interface {
	// Tracks returns the playable tracks; sample Track fields index it.
	Tracks() []payload.Format
	// Duration is the length of the file.
	Duration() time.Duration
	// ReadSample returns samples of all tracks interleaved in DTS order,
	// and io.EOF at the end. The slices in the Sample stay valid until the
	// next ReadSample.
	ReadSample() (Sample, error)
	// Seek moves to the video keyframe at or before t (audio from the same
	// time) and returns the position reached. Seek(0) rewinds.
	Seek(t time.Duration) (time.Duration, error)
	// Close releases the file.
	Close() error
}

// Open opens the media file at path, picking the demuxer by content
// sniffing, then by extension.
func Open(path string) (Demuxer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("file: %s: %w: not a regular file", path, ErrUnsupported)
	}
	d, err := open(f, st.Size(), path, f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("file: %s: %w", filepath.Base(path), err)
	}
	return d, nil
}

// OpenReader is Open on any random-access source; name gives the extension
// used when sniffing is not conclusive. Closing the demuxer does not close
// r.
func OpenReader(r io.ReaderAt, size int64, name string) (Demuxer, error) {
	d, err := open(r, size, name, nil)
	if err != nil {
		return nil, fmt.Errorf("file: %s: %w", filepath.Base(name), err)
	}
	return d, nil
}

// container is a file kind this package reads.
type container int

const (
	containerUnknown container = iota
	containerMP4
	containerTS
	containerH264
	containerH265
	containerMJPEG
)

func open(r io.ReaderAt, size int64, name string, closer io.Closer) (Demuxer, error) {
	var head [4 * tsPacketSize]byte
	n, err := r.ReadAt(head[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	kind := sniff(head[:n], name)
	switch kind {
	case containerMP4:
		return openMP4(r, size, closer)
	case containerTS:
		return openTS(r, size, closer)
	case containerH264:
		return openAnnexB(r, size, closer, false)
	case containerH265:
		return openAnnexB(r, size, closer, true)
	case containerMJPEG:
		return openMJPEG(r, size, closer)
	}
	return nil, fmt.Errorf("%w: unknown container", ErrUnsupported)
}

// sniff tells the container from the first bytes, then from the extension.
func sniff(head []byte, name string) container {
	ext := strings.ToLower(filepath.Ext(name))
	if len(head) >= 8 {
		switch string(head[4:8]) {
		case "ftyp", "moov", "mdat", "wide", "free", "skip", "pnot":
			return containerMP4
		}
	}
	if isTS(head) {
		return containerTS
	}
	if len(head) >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF {
		return containerMJPEG
	}
	switch ext {
	case ".mp4", ".m4v", ".mov", ".3gp", ".m4a":
		return containerMP4
	case ".ts", ".m2ts", ".mts":
		return containerTS
	case ".h264", ".264", ".avc":
		return containerH264
	case ".h265", ".265", ".hevc":
		return containerH265
	case ".mjpeg", ".mjpg":
		return containerMJPEG
	}
	return containerUnknown
}

// isTS tells whether head starts with MPEG-TS packets (sync bytes 188 bytes
// apart).
func isTS(head []byte) bool {
	if len(head) < tsPacketSize+1 {
		return false
	}
	for i := 0; i < len(head); i += tsPacketSize {
		if head[i] != tsSyncByte {
			return false
		}
	}
	return true
}

// ticksToDuration converts t units of a 1/scale clock without overflow
// for any file-sized value.
func ticksToDuration(t int64, scale uint32) time.Duration {
	s := int64(scale)
	sec := t / s
	rem := t % s
	return time.Duration(sec)*time.Second + time.Duration(rem*int64(time.Second)/s)
}
