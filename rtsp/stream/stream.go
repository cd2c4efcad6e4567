// Package stream is the fan-out at the centre of the server: a source
// writes access units, the stream packetizes and marshals each one once,
// and every reader gets a reference to the same bytes.
package stream

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"rtspcam/rtsp/payload"
)

// SenderReportInterval is how often each track emits an RTCP sender report.
const SenderReportInterval = 2 * time.Second

// Stream is one presentation: its tracks, their packetizers and the readers
// they feed. WriteAU may be called from several goroutines (one per
// source track); it never waits for a reader.
type Stream struct {
	mu     sync.Mutex
	tracks []*track
	pool   *packetPool
	cname  string

	readersMu sync.Mutex
	readers   atomic.Pointer[[]*Reader] // copy on write: fan-out reads it lock-free
	closed    bool

	gop *gopCache // relayed streams: the latest GOP, under mu

	oversized atomic.Uint64
	auErrors  atomic.Uint64
	malformed atomic.Uint64
	now       func() time.Time

	// the wall time of PTS 0, for sources that do not say when they
	// captured (see paced); under mu
	anchor   time.Time
	anchored bool
}

// reanchor is how far a source's writes may drift from its own timeline
// (late under load, early by B-frame reordering) before the stream takes
// it for a jump — a seek, a pause, a restart — and anchors PTS 0 anew.
const reanchor = time.Second

// New returns a stream for the given formats, with random SSRCs, initial
// sequence numbers and timestamp bases (RFC 3550 section 5.1).
func New(formats []payload.Format) *Stream {
	s := &Stream{now: time.Now, pool: &sharedPool}
	var cn [8]byte
	_, _ = rand.Read(cn[:])
	s.cname = fmt.Sprintf("rtspcam-%x", cn)
	for i, f := range formats {
		var r [10]byte
		_, _ = rand.Read(r[:])
		t := &track{
			s:      s,
			index:  i,
			format: f,
			pk:     f.NewPacketizer(payload.MaxPayloadSize),
			pt:     f.PayloadType(),
			clock:  int64(f.ClockRate()),
			ssrc:   binary.BigEndian.Uint32(r[0:]),
			seq:    binary.BigEndian.Uint16(r[4:]),
			tsBase: binary.BigEndian.Uint32(r[6:]),
		}
		t.emitFn = t.emit
		s.tracks = append(s.tracks, t)
	}
	empty := []*Reader{}
	s.readers.Store(&empty)
	return s
}

// Formats returns the formats of the stream's tracks. A relayed stream's
// video formats carry the parameter sets learnt from the stream when the
// publisher's SDP lacked them or they changed since.
func (s *Stream) Formats() []payload.Format {
	out := make([]payload.Format, len(s.tracks))
	for i, t := range s.tracks {
		out[i] = t.format
		if f := t.learnt.Load(); f != nil {
			out[i] = *f
		}
	}
	return out
}

// ErrNoTrack is returned for a track index the stream does not have.
var ErrNoTrack = errors.New("stream: no such track")

// WriteAU packetizes one access unit of track at presentation time pts
// (from the stream's origin) and hands the packets to every reader.
func (s *Stream) WriteAU(trackIndex int, pts time.Duration, au [][]byte, key bool) error {
	return s.WriteAUAt(trackIndex, pts, time.Time{}, au, key)
}

// WriteAUAt is WriteAU for a live source that knows the wall-clock time
// at which the access unit was captured: the sender reports then map the
// RTP timestamps to capture time (so a receiver can line up tracks
// captured by different devices) rather than to the time of writing. A
// zero at means now.
func (s *Stream) WriteAUAt(trackIndex int, pts time.Duration, at time.Time, au [][]byte, key bool) error {
	if trackIndex < 0 || trackIndex >= len(s.tracks) {
		return ErrNoTrack
	}
	t := s.tracks[trackIndex]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	now := s.now()
	captured := at
	if at.IsZero() {
		captured = s.paced(now, pts)
	}
	t.curTS = t.rtpTime(pts)
	t.curKey = key
	t.curFirst = true
	err := t.pk.Packetize(au, key, t.emitFn)
	if err != nil {
		s.auErrors.Add(1)
		return fmt.Errorf("stream: track %d: %w", trackIndex, err)
	}
	t.lastWall = captured
	t.sent = true
	if now.After(t.nextSR) {
		t.nextSR = now.Add(SenderReportInterval)
		s.fanout(t.senderReport(now))
	}
	return nil
}

// paced returns the wall time of pts on the stream's timeline, anchored at
// the first access unit. A source that writes late now and then (a loaded
// CPU, a slow encoder) or early (B-frames written in decode order) thus
// keeps one steady RTP↔NTP mapping in its sender reports, rather than one
// that jitters with every write: FFmpeg rebases its timestamps on each
// report and then sees them go backwards. Called with mu held.
func (s *Stream) paced(now time.Time, pts time.Duration) time.Time {
	at := s.anchor.Add(pts)
	if d := now.Sub(at); !s.anchored || d > reanchor || d < -reanchor {
		s.anchor, s.anchored = now.Add(-pts), true
		return now
	}
	return at
}

// fanout gives p to every reader and drops the stream's own reference.
func (s *Stream) fanout(p *Packet) {
	p.refs.Store(1)
	if s.gop != nil {
		s.gop.add(p)
	}
	for _, r := range *s.readers.Load() {
		r.push(p)
	}
	p.Release()
}

// AddReader attaches r: from now on it receives every packet, starting at
// the next keyframe of each track.
//
// A relayed stream first hands it the latest GOP, so it starts at once.
func (s *Stream) AddReader(r *Reader) error {
	if s.gop != nil {
		// Under the write lock: the reader gets the cached GOP and then
		// every packet after it, none twice and none missing.
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			return ErrClosed
		}
		s.gop.replay(r)
	}
	s.readersMu.Lock()
	defer s.readersMu.Unlock()
	if s.closed {
		return ErrClosed
	}
	old := *s.readers.Load()
	next := make([]*Reader, len(old), len(old)+1)
	copy(next, old)
	next = append(next, r)
	s.readers.Store(&next)
	return nil
}

// RemoveReader detaches r (it is not closed: a paused session keeps it).
func (s *Stream) RemoveReader(r *Reader) {
	s.readersMu.Lock()
	defer s.readersMu.Unlock()
	old := *s.readers.Load()
	next := make([]*Reader, 0, len(old))
	for _, o := range old {
		if o != r {
			next = append(next, o)
		}
	}
	s.readers.Store(&next)
}

// Readers is the number of attached readers.
func (s *Stream) Readers() int { return len(*s.readers.Load()) }

// Close ends the stream: every attached reader is closed (its session
// sends RTCP BYE) and WriteAU returns ErrClosed.
func (s *Stream) Close() {
	s.mu.Lock()
	s.closed = true
	if s.gop != nil {
		s.gop.clear()
	}
	s.mu.Unlock()
	s.readersMu.Lock()
	s.closed = true
	rs := *s.readers.Load()
	empty := []*Reader{}
	s.readers.Store(&empty)
	s.readersMu.Unlock()
	for _, r := range rs {
		r.Close()
	}
}

// TrackState is what a session needs to announce a track in RTP-Info and
// RTCP BYE.
type TrackState struct {
	SSRC    uint32
	NextSeq uint16 // sequence number of the next packet the stream builds
	RTPTime uint32 // RTP timestamp of the given presentation time
}

// State returns the current RTP state of a track, with RTPTime computed for
// presentation time pts.
func (s *Stream) State(trackIndex int, pts time.Duration) TrackState {
	t := s.tracks[trackIndex]
	s.mu.Lock()
	defer s.mu.Unlock()
	return TrackState{SSRC: t.ssrc, NextSeq: t.seq, RTPTime: t.rtpTime(pts)}
}

// LiveState returns the RTP state of a track for a reader joining a live
// stream now: the next sequence number and the RTP time of this instant.
func (s *Stream) LiveState(trackIndex int) TrackState {
	t := s.tracks[trackIndex]
	s.mu.Lock()
	defer s.mu.Unlock()
	st := TrackState{SSRC: t.ssrc, NextSeq: t.seq, RTPTime: t.tsBase}
	if t.sent {
		st.RTPTime = t.lastTS + ticks(s.now().Sub(t.lastWall), t.clock)
	}
	return st
}

// Stats are the stream's error counters.
type Stats struct {
	Oversized uint64 // payloads a packetizer made too large (dropped)
	AUErrors  uint64 // access units a packetizer refused
	Malformed uint64 // relayed RTP/RTCP packets refused as malformed
}

// Stats returns the stream's counters.
func (s *Stream) Stats() Stats {
	return Stats{Oversized: s.oversized.Load(), AUErrors: s.auErrors.Load(), Malformed: s.malformed.Load()}
}
