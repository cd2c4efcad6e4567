// Package pusher receives the streams of <pusher> nodes that arrive as raw
// RTP: plain RTP datagrams on UDP ports, or RTP framed by a 4-byte header
// on TCP ports, and hands each packet to the relay of the node's path.
package pusher

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"rtspcam/firmware/config"
)

// Relay receives the packets of a pushed path: a live fan-out that
// readers of the path share. WriteRTP must not keep pkt after it returns.
type Relay interface {
	WriteRTP(track int, pkt []byte) error
}

// Defaults of Options.
const (
	// DefaultReadTimeout drops a TCP pusher connection silent this long.
	DefaultReadTimeout = 30 * time.Second
	// DefaultMaxConns bounds the TCP pusher connections per port.
	DefaultMaxConns = 4
)

// Options say where a pusher listens and which track each port feeds.
type Options struct {
	// Mode is config.PushUDP or config.PushTCP.
	Mode string
	// IP is the local address ("" for all).
	IP string
	// VPort and APort are the ports; 0 (or a track of -1) means none.
	VPort, APort int
	// Video and Audio are the relay's track indexes, -1 for none.
	Video, Audio int
	// ReadTimeout (TCP) is DefaultReadTimeout when 0.
	ReadTimeout time.Duration
	// MaxConns (TCP) is DefaultMaxConns when 0.
	MaxConns int
}

// OptionsOf returns the options of a <pusher> node whose tracks are t.
func OptionsOf(p config.Pusher, t Tracks) Options {
	return Options{Mode: p.Transfer.Mode, IP: p.Transfer.IP, VPort: p.Transfer.VPort,
		APort: p.Transfer.APort, Video: t.Video, Audio: t.Audio}
}

// Stats count what a pusher received.
type Stats struct {
	Packets uint64 // relayed
	Bytes   uint64 // relayed, RTP headers included
	Drops   Drops
	// Conns counts TCP connections accepted, Rejected those closed at once
	// because MaxConns were open.
	Conns, Rejected uint64
}

// Listener is a running pusher: one socket per configured port and the
// goroutines that read them.
type Listener struct {
	opts  Options
	relay Relay

	mu     sync.Mutex
	udp    []*net.UDPConn
	tcp    []net.Listener
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup

	packets, bytes                                atomic.Uint64
	framing, short, oversized, malformed, refused atomic.Uint64
	connsN, rejected                              atomic.Uint64
	addrs                                         [2]net.Addr // video, audio
}

// Listen binds the ports of o and starts relaying into relay.
func Listen(o Options, relay Relay) (*Listener, error) {
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.Mode != config.PushUDP && o.Mode != config.PushTCP {
		return nil, fmt.Errorf("pusher: mode %q has no listener", o.Mode)
	}
	l := &Listener{opts: o, relay: relay, conns: map[net.Conn]struct{}{}}
	ports := []struct{ port, track int }{{o.VPort, o.Video}, {o.APort, o.Audio}}
	for i, p := range ports {
		if p.port <= 0 || p.track < 0 {
			continue
		}
		addr := net.JoinHostPort(o.IP, strconv.Itoa(p.port))
		if o.Mode == config.PushUDP {
			ua, err := net.ResolveUDPAddr("udp", addr)
			if err == nil {
				var uc *net.UDPConn
				uc, err = net.ListenUDP("udp", ua)
				if err == nil {
					l.udp = append(l.udp, uc)
					l.addrs[i] = uc.LocalAddr()
					l.wg.Add(1)
					go l.readUDP(uc, p.track)
					continue
				}
			}
			l.Close()
			return nil, fmt.Errorf("pusher: udp %s: %w", addr, err)
		}
		tl, err := net.Listen("tcp", addr)
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("pusher: tcp %s: %w", addr, err)
		}
		l.tcp = append(l.tcp, tl)
		l.addrs[i] = tl.Addr()
		l.wg.Add(1)
		go l.accept(tl, p.track)
	}
	if len(l.udp)+len(l.tcp) == 0 {
		return nil, errors.New("pusher: no port to listen on")
	}
	return l, nil
}

// VideoAddr and AudioAddr are the bound addresses, nil when not listening.
func (l *Listener) VideoAddr() net.Addr { return l.addrs[0] }
func (l *Listener) AudioAddr() net.Addr { return l.addrs[1] }

// relayPacket hands one valid packet to the relay and counts it.
func (l *Listener) relayPacket(track int, pkt []byte) {
	if err := l.relay.WriteRTP(track, pkt); err != nil {
		l.refused.Add(1)
		return
	}
	l.packets.Add(1)
	l.bytes.Add(uint64(len(pkt)))
}

// readUDP relays every datagram of uc; it allocates nothing per packet.
func (l *Listener) readUDP(uc *net.UDPConn, track int) {
	defer l.wg.Done()
	buf := make([]byte, 64<<10) // a datagram's largest: so oversize is seen, not truncated
	for {
		n, err := uc.Read(buf)
		if err != nil {
			if l.isClosed() {
				return
			}
			// ICMP errors and the like: the socket stays usable.
			time.Sleep(time.Millisecond)
			continue
		}
		pkt := buf[:n]
		switch {
		case n < minRTP:
			l.short.Add(1)
		case n > MaxPacket:
			l.oversized.Add(1)
		case !ValidRTP(pkt):
			l.malformed.Add(1)
		default:
			l.relayPacket(track, pkt)
		}
	}
}

func (l *Listener) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// accept serves TCP pushers on tl, at most MaxConns at once.
func (l *Listener) accept(tl net.Listener, track int) {
	defer l.wg.Done()
	var backoff time.Duration
	for {
		nc, err := tl.Accept()
		if err != nil {
			if l.isClosed() {
				return
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		l.mu.Lock()
		if l.closed || len(l.conns) >= l.opts.MaxConns {
			l.mu.Unlock()
			l.rejected.Add(1)
			nc.Close()
			continue
		}
		l.conns[nc] = struct{}{}
		l.wg.Add(1)
		l.mu.Unlock()
		l.connsN.Add(1)
		go l.readTCP(nc, track)
	}
}

// readTCP relays the framed packets of one connection until it ends, goes
// silent or the listener closes.
func (l *Listener) readTCP(nc net.Conn, track int) {
	defer l.wg.Done()
	defer func() {
		l.mu.Lock()
		delete(l.conns, nc)
		l.mu.Unlock()
		nc.Close()
	}()
	fr := NewFrameReader(nc)
	var seen Drops
	for {
		nc.SetReadDeadline(time.Now().Add(l.opts.ReadTimeout))
		pkt, err := fr.Next()
		l.addDrops(&seen, fr.Drops)
		if err != nil {
			return
		}
		l.relayPacket(track, pkt)
	}
}

// addDrops adds what a frame reader counted since seen.
func (l *Listener) addDrops(seen *Drops, now Drops) {
	if now == *seen {
		return
	}
	l.framing.Add(now.Framing - seen.Framing)
	l.short.Add(now.Short - seen.Short)
	l.oversized.Add(now.Oversized - seen.Oversized)
	l.malformed.Add(now.Malformed - seen.Malformed)
	*seen = now
}

// Stats returns the counters.
func (l *Listener) Stats() Stats {
	return Stats{
		Packets: l.packets.Load(),
		Bytes:   l.bytes.Load(),
		Drops: Drops{
			Framing:   l.framing.Load(),
			Short:     l.short.Load(),
			Oversized: l.oversized.Load(),
			Malformed: l.malformed.Load(),
			Refused:   l.refused.Load(),
		},
		Conns:    l.connsN.Load(),
		Rejected: l.rejected.Load(),
	}
}

// Close stops listening, drops the connections and waits for every
// goroutine.
func (l *Listener) Close() error {
	l.mu.Lock()
	l.closed = true
	for _, uc := range l.udp {
		uc.Close()
	}
	for _, tl := range l.tcp {
		tl.Close()
	}
	for nc := range l.conns {
		nc.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
	return nil
}
