package stream

import (
	"errors"
	"sync"
	"sync/atomic"
)

// ErrClosed is returned by Reader.Read once the stream ended or the reader
// was removed.
var ErrClosed = errors.New("stream: closed")

// DefaultQueue is the number of packets a reader may lag behind the source
// before it drops to the next keyframe: about a second of 4 Mbit/s video.
const DefaultQueue = 512

// Reader is one session's view of a stream: a bounded queue of shared
// packets. The stream pushes without ever waiting; when the queue is full
// the reader drops what it holds and resumes at the next keyframe of each
// track, and counts what it dropped.
type Reader struct {
	mu      sync.Mutex
	ring    []*Packet
	room    int // the queue size asked for; a GOP replay may grow ring past it
	head, n int
	waitKey uint64 // bit t set: track t resumes only at a key packet
	closed  bool
	ended   bool // no more packets will come; Read drains what is queued

	wake chan struct{}
	done chan struct{}

	dropped  atomic.Uint64
	received atomic.Uint64
}

// NewReader returns a reader whose queue holds up to queue packets
// (DefaultQueue when queue <= 0).
func NewReader(queue int) *Reader {
	if queue <= 0 {
		queue = DefaultQueue
	}
	return &Reader{
		ring:    make([]*Packet, queue),
		room:    queue,
		waitKey: ^uint64(0),
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
}

// Dropped is the number of packets this reader lost to a full queue.
func (r *Reader) Dropped() uint64 { return r.dropped.Load() }

// Received is the number of packets handed to this reader's queue.
func (r *Reader) Received() uint64 { return r.received.Load() }

// push queues p for the reader, taking a reference. It never blocks.
func (r *Reader) push(p *Packet) {
	bit := uint64(1) << (uint(p.Track) & 63)
	r.mu.Lock()
	if r.closed || r.ended {
		r.mu.Unlock()
		return
	}
	if r.waitKey&bit != 0 {
		if !p.Key && !p.RTCP {
			r.mu.Unlock()
			r.dropped.Add(1)
			return
		}
		if !p.RTCP {
			r.waitKey &^= bit
		}
	}
	if r.n == len(r.ring) {
		// Too slow: drop the backlog and restart every track at a keyframe.
		r.dropped.Add(uint64(r.n) + 1)
		r.releaseQueued()
		r.waitKey = ^uint64(0)
		if p.Key {
			r.waitKey &^= bit
		} else {
			r.mu.Unlock()
			return
		}
	}
	p.refs.Add(1)
	r.ring[(r.head+r.n)%len(r.ring)] = p
	r.n++
	r.mu.Unlock()
	r.received.Add(1)
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// reserve grows the queue, when needed, so that n more packets fit with
// the queue's original room still free after them.
func (r *Reader) reserve(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n+n+r.room <= len(r.ring) {
		return
	}
	ring := make([]*Packet, r.n+n+r.room)
	for i := 0; i < r.n; i++ {
		ring[i] = r.ring[(r.head+i)%len(r.ring)]
	}
	r.ring, r.head = ring, 0
}

func (r *Reader) releaseQueued() {
	for r.n > 0 {
		p := r.ring[r.head]
		r.ring[r.head] = nil
		r.head = (r.head + 1) % len(r.ring)
		r.n--
		p.Release()
	}
}

// Read waits for packets and moves up to len(dst) of them into dst. The
// caller owns one reference to each and must Release it. It returns
// ErrClosed after Close, once nothing is left to read.
func (r *Reader) Read(dst []*Packet) (int, error) {
	for {
		r.mu.Lock()
		if r.n > 0 {
			k := 0
			for k < len(dst) && r.n > 0 {
				dst[k] = r.ring[r.head]
				r.ring[r.head] = nil
				r.head = (r.head + 1) % len(r.ring)
				r.n--
				k++
			}
			r.mu.Unlock()
			return k, nil
		}
		closed := r.closed || r.ended
		r.mu.Unlock()
		if closed {
			return 0, ErrClosed
		}
		select {
		case <-r.wake:
		case <-r.done:
		}
	}
}

// End tells the reader its media is over: what is queued is still read,
// then Read returns ErrClosed. It is safe to call more than once, and
// together with Close.
func (r *Reader) End() {
	r.mu.Lock()
	if r.closed || r.ended {
		r.mu.Unlock()
		return
	}
	r.ended = true
	r.mu.Unlock()
	close(r.done)
}

// Close ends the reader: queued packets are released and Read returns
// ErrClosed. It is safe to call more than once.
func (r *Reader) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	r.releaseQueued()
	wasEnded := r.ended
	r.mu.Unlock()
	if !wasEnded {
		close(r.done)
	}
}

// Done is closed when the reader is closed or ended.
func (r *Reader) Done() <-chan struct{} { return r.done }
