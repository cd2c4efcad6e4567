package stream

import (
	"encoding/binary"
	"errors"
	"fmt"

	"rtspcam/rtsp/payload"
)

// ErrMalformedRTP is returned for a relayed packet that is not RTP version
// 2 or whose header runs past its end.
var ErrMalformedRTP = errors.New("stream: malformed RTP packet")

// ErrTooLarge is returned for a relayed packet larger than a Packet holds.
var ErrTooLarge = errors.New("stream: RTP packet too large")

// MaxRelayedPacket is the largest RTP packet WriteRTP relays, and the size
// of every Packet's buffer: publishers size their packets for a 1500-byte
// MTU (ffmpeg sends up to 1472 bytes, GStreamer 1400), and the server's
// own packets need MaxPacketSize plus room for SRTP.
const MaxRelayedPacket = 1600

// ingest is the relay state of one track: how the publisher's SSRC,
// sequence numbers and timestamps map onto the stream's own, so that a
// publisher that restarts (new SSRC, new random bases) continues the
// stream's numbering seamlessly.
type ingest struct {
	kind    keyKind
	started bool
	ssrc    uint32 // the publisher's
	seqOff  uint16 // added to the publisher's sequence numbers
	tsOff   uint32 // added to the publisher's timestamps
	srSeen  bool   // the publisher sends sender reports: relay those
}

// NewRelay returns a stream fed by WriteRTP with packets received from a
// publisher, keeping the latest GOP (up to gopBytes; none when <= 0) for
// readers that join.
func NewRelay(formats []payload.Format, gopBytes int) *Stream {
	s := New(formats)
	leader := 0
	for i, f := range formats {
		if f.MediaType() == payload.Video {
			leader = i
			break
		}
	}
	for _, t := range s.tracks {
		t.in.kind = keyKindOf(t.format)
		t.ps = newParamSets(t.format)
	}
	if gopBytes > 0 {
		s.gop = &gopCache{max: gopBytes, leader: leader}
	}
	return s
}

// WriteRTP relays one RTP packet received from a publisher on track: it is
// copied into a pooled packet with the stream's SSRC, sequence and
// timestamp bases, marked when it starts a keyframe, and handed to every
// reader. It allocates nothing in steady state; pkt may be reused at once.
func (s *Stream) WriteRTP(trackIndex int, pkt []byte) error {
	if trackIndex < 0 || trackIndex >= len(s.tracks) {
		return ErrNoTrack
	}
	hl, end, ok := rtpBounds(pkt)
	if !ok {
		s.malformed.Add(1)
		return ErrMalformedRTP
	}
	if len(pkt) > MaxRelayedPacket {
		s.oversized.Add(1)
		return fmt.Errorf("%w: %d bytes", ErrTooLarge, len(pkt))
	}
	t := s.tracks[trackIndex]
	inSeq := binary.BigEndian.Uint16(pkt[2:])
	inTS := binary.BigEndian.Uint32(pkt[4:])
	inSSRC := binary.BigEndian.Uint32(pkt[8:])

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	now := s.now()
	if !t.in.started || inSSRC != t.in.ssrc {
		// A (new) publisher: continue from where the stream is.
		next := t.tsBase
		if t.sent {
			next = t.lastTS + ticks(now.Sub(t.lastWall), t.clock)
		}
		t.in = ingest{kind: t.in.kind, started: true, ssrc: inSSRC, seqOff: t.seq - inSeq, tsOff: next - inTS}
	}
	seq := inSeq + t.in.seqOff
	ts := inTS + t.in.tsOff

	if t.ps != nil && t.ps.learn(pkt[hl:end]) {
		f := t.ps.format(t.format)
		t.learnt.Store(&f)
	}

	p := s.pool.get()
	b := p.buf[Headroom:]
	n := copy(b, pkt)
	b[1] = pkt[1]&0x80 | t.pt
	binary.BigEndian.PutUint16(b[2:], seq)
	binary.BigEndian.PutUint32(b[4:], ts)
	binary.BigEndian.PutUint32(b[8:], t.ssrc)
	p.n = n
	p.Track = t.index
	p.Key = isKeyStart(t.in.kind, pkt[hl:end])

	if int16(seq-t.seq) >= 0 {
		t.seq = seq + 1
	}
	t.lastTS = ts
	t.lastWall = now
	t.sent = true
	t.packets++
	t.octets += uint32(end - hl)
	s.fanout(p)
	if !t.in.srSeen && now.After(t.nextSR) {
		// The publisher sends no reports (yet): map its clock from arrival.
		t.nextSR = now.Add(SenderReportInterval)
		s.fanout(t.senderReport(now))
	}
	return nil
}

// rtpBounds returns where the payload of an RTP packet starts and ends
// (past CSRCs and extension, before padding).
func rtpBounds(b []byte) (start, end int, ok bool) {
	if len(b) < 12 || b[0]>>6 != 2 {
		return 0, 0, false
	}
	start = 12 + 4*int(b[0]&0x0f)
	if b[0]&0x10 != 0 {
		if len(b) < start+4 {
			return 0, 0, false
		}
		start += 4 + 4*int(binary.BigEndian.Uint16(b[start+2:]))
	}
	end = len(b)
	if b[0]&0x20 != 0 {
		if end == 0 {
			return 0, 0, false
		}
		end -= int(b[end-1])
	}
	if start > end {
		return 0, 0, false
	}
	return start, end, true
}

// WriteRTCP takes an RTCP compound packet from the publisher of track and
// relays its sender report, mapped onto the stream's SSRC and timestamp
// base with the publisher's NTP time kept, so readers can still
// synchronise the tracks. Other RTCP is ignored.
func (s *Stream) WriteRTCP(trackIndex int, pkt []byte) error {
	if trackIndex < 0 || trackIndex >= len(s.tracks) {
		return ErrNoTrack
	}
	t := s.tracks[trackIndex]
	b := pkt
	for len(b) >= 8 {
		if b[0]>>6 != 2 {
			s.malformed.Add(1)
			return ErrMalformedRTP
		}
		size := 4 + 4*int(binary.BigEndian.Uint16(b[2:]))
		if size > len(b) {
			s.malformed.Add(1)
			return ErrMalformedRTP
		}
		if b[1] == 200 && size >= 28 {
			ssrc := binary.BigEndian.Uint32(b[4:])
			ntp := binary.BigEndian.Uint64(b[8:])
			rtpTS := binary.BigEndian.Uint32(b[16:])
			s.mu.Lock()
			if s.closed {
				s.mu.Unlock()
				return ErrClosed
			}
			if t.in.started && ssrc == t.in.ssrc {
				t.in.srSeen = true
				s.fanout(t.senderReportAt(ntp, rtpTS+t.in.tsOff))
			}
			s.mu.Unlock()
			return nil
		}
		b = b[size:]
	}
	return nil
}
