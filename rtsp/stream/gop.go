package stream

import "encoding/binary"

// DefaultGOPBytes bounds the GOP cache of a relayed stream: the latest
// group of pictures is kept so a new reader starts at once on a keyframe
// instead of waiting for the next one.
const DefaultGOPBytes = 4 << 20

// gopCache holds references to the packets of the stream since the latest
// keyframe of its leading track (its first video track). A GOP larger than
// the bound is dropped whole and caching resumes at the next keyframe.
type gopCache struct {
	max     int
	leader  int
	started bool
	startTS uint32
	bytes   int
	pkts    []*Packet
}

// add keeps p (the caller holds a reference for the duration of the call).
func (g *gopCache) add(p *Packet) {
	if !p.RTCP && p.Track == g.leader && p.Key {
		ts := binary.BigEndian.Uint32(p.Bytes()[4:])
		if !g.started || ts != g.startTS {
			// A new random-access point of the leader: a new GOP. Packets
			// of the same access unit marked key (SPS, then IDR) stay.
			g.clear()
			g.started, g.startTS = true, ts
		}
	}
	if !g.started {
		return
	}
	n := len(p.Bytes())
	if g.bytes+n > g.max {
		g.clear()
		return
	}
	p.refs.Add(1)
	g.pkts = append(g.pkts, p)
	g.bytes += n
}

func (g *gopCache) clear() {
	for i, p := range g.pkts {
		p.Release()
		g.pkts[i] = nil
	}
	g.pkts = g.pkts[:0]
	g.bytes = 0
	g.started = false
}

// replay hands the cached GOP to a new reader, so it starts at once on
// the cached keyframe. A GOP larger than the reader's queue (a long GOP at
// a high bitrate) grows the queue to hold it and still leave the queue's
// own room for the live packets that follow while the replay drains: the
// cache's byte bound bounds that growth, and it happens once per join,
// never per packet.
func (g *gopCache) replay(r *Reader) {
	if !g.started || len(g.pkts) == 0 {
		return
	}
	r.reserve(len(g.pkts))
	for _, p := range g.pkts {
		r.push(p)
	}
}
