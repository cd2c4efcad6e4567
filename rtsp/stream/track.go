package stream

import (
	"encoding/binary"
	"sync/atomic"
	"time"

	"rtspcam/rtsp/payload"
)

// track is the packetizing state of one media of a stream.
type track struct {
	s      *Stream
	index  int
	format payload.Format
	pk     payload.Packetizer
	emitFn payload.Emit
	pt     uint8
	clock  int64
	ssrc   uint32
	seq    uint16

	tsBase uint32 // RTP timestamp of PTS 0

	// the access unit being packetized
	curTS    uint32
	curKey   bool
	curFirst bool

	// last RTP timestamp sent and when, for sender reports
	lastTS   uint32
	lastWall time.Time
	sent     bool
	packets  uint32
	octets   uint32
	nextSR   time.Time

	in ingest // relay state when fed by Stream.WriteRTP

	// relayed video: parameter sets learnt from the packets (under the
	// stream's mu), and the format that announces them, when they differ
	// from the announced one (read lock-free by Formats)
	ps     *paramSets
	learnt atomic.Pointer[payload.Format]
}

func (t *track) rtpTime(pts time.Duration) uint32 {
	return t.tsBase + ticks(pts, t.clock)
}

// ticks converts a duration to RTP clock ticks (modulo 2^32), exact and
// without overflow for any duration.
func ticks(d time.Duration, clock int64) uint32 {
	sec := int64(d / time.Second)
	frac := int64(d % time.Second)
	return uint32(sec*clock + frac*clock/int64(time.Second))
}

// emit marshals one RTP packet around payload and fans it out.
func (t *track) emit(pl []byte, marker bool, tsOffset uint32) {
	p := t.s.pool.get()
	b := p.buf[Headroom:]
	if len(pl) > len(b)-12 {
		// A packetizer broke its contract; never write past the buffer.
		t.s.pool.put(p)
		t.s.oversized.Add(1)
		return
	}
	b[0] = 0x80
	b[1] = t.pt
	if marker {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], t.seq)
	ts := t.curTS + tsOffset
	binary.BigEndian.PutUint32(b[4:], ts)
	binary.BigEndian.PutUint32(b[8:], t.ssrc)
	n := copy(b[12:], pl)
	p.n = 12 + n
	p.Track = t.index
	p.Key = t.curKey && t.curFirst
	t.curFirst = false
	t.seq++
	t.lastTS = ts
	t.packets++
	t.octets += uint32(n)
	t.s.fanout(p)
}

// senderReport builds an RTCP SR + SDES(CNAME) compound packet for the
// track, mapping wall clock now to the RTP clock.
func (t *track) senderReport(now time.Time) *Packet {
	return t.senderReportAt(ntpTime(now), t.lastTS+ticks(now.Sub(t.lastWall), t.clock))
}

// senderReportAt builds the SR + SDES compound packet for NTP time ntp and
// the RTP time rtpNow it corresponds to.
func (t *track) senderReportAt(ntp uint64, rtpNow uint32) *Packet {
	p := t.s.pool.get()
	b := p.buf[Headroom:]
	b[0] = 0x80
	b[1] = 200
	binary.BigEndian.PutUint16(b[2:], 6)
	binary.BigEndian.PutUint32(b[4:], t.ssrc)
	binary.BigEndian.PutUint64(b[8:], ntp)
	binary.BigEndian.PutUint32(b[16:], rtpNow)
	binary.BigEndian.PutUint32(b[20:], t.packets)
	binary.BigEndian.PutUint32(b[24:], t.octets)
	n := 28
	// SDES with one chunk: SSRC, CNAME item, end, padded to 32 bits.
	cname := t.s.cname
	chunk := 4 + 2 + len(cname) + 1
	chunk = (chunk + 3) &^ 3
	b[n] = 0x81
	b[n+1] = 202
	binary.BigEndian.PutUint16(b[n+2:], uint16(chunk/4))
	binary.BigEndian.PutUint32(b[n+4:], t.ssrc)
	b[n+8] = 1
	b[n+9] = byte(len(cname))
	copy(b[n+10:], cname)
	for i := n + 10 + len(cname); i < n+4+chunk; i++ {
		b[i] = 0
	}
	n += 4 + chunk
	p.n = n
	p.Track = t.index
	p.RTCP = true
	return p
}

// ntpEpochOffset is the seconds between 1900 (NTP) and 1970 (Unix).
const ntpEpochOffset = 2208988800

func ntpTime(t time.Time) uint64 {
	ns := uint64(t.UnixNano())
	sec := ns/1e9 + ntpEpochOffset
	frac := (ns % 1e9) << 32 / 1e9
	return sec<<32 | frac
}
