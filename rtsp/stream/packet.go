package stream

import (
	"sync"
	"sync/atomic"
)

// Headroom is the space kept in front of every packet so a transport can
// prefix it (the 4-byte "$ channel length" of TCP interleaving) without a
// copy when it owns the packet.
const Headroom = 4

// Packet is one marshalled RTP or RTCP packet. The stream builds it once and
// every reader gets the same *Packet; each reader calls Release when its
// transport is done with it, and the last Release returns it to the pool.
type Packet struct {
	buf   [Headroom + MaxRelayedPacket]byte
	n     int
	Track int  // index of the stream's track
	RTCP  bool // an RTCP compound packet (sender report) rather than RTP
	Key   bool // first packet of a random-access access unit: a reader may start here
	refs  atomic.Int32
	pool  *packetPool
}

// Bytes returns the packet as sent on the wire.
func (p *Packet) Bytes() []byte { return p.buf[Headroom : Headroom+p.n] }

// Retain adds a reference, for a holder that keeps the packet beyond the
// reader that gave it.
func (p *Packet) Retain() { p.refs.Add(1) }

// Release drops a reference; the last one returns the packet to its pool.
func (p *Packet) Release() {
	if p.refs.Add(-1) == 0 {
		p.pool.put(p)
	}
}

// packetPool is a free list sized by use: it grows to the most packets ever
// in flight at once and then allocates nothing. One pool serves every
// stream, so per-session file players share their buffers instead of each
// keeping a keyframe's worth.
var sharedPool packetPool

// packetPool is the free list of Packets.
type packetPool struct {
	mu   sync.Mutex
	free []*Packet
}

func (pp *packetPool) get() *Packet {
	pp.mu.Lock()
	n := len(pp.free)
	if n == 0 {
		pp.mu.Unlock()
		return &Packet{pool: pp}
	}
	p := pp.free[n-1]
	pp.free[n-1] = nil
	pp.free = pp.free[:n-1]
	pp.mu.Unlock()
	return p
}

func (pp *packetPool) put(p *Packet) {
	p.n, p.RTCP, p.Key = 0, false, false
	pp.mu.Lock()
	pp.free = append(pp.free, p)
	pp.mu.Unlock()
}
