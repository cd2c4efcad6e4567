package rtsp

import (
	"fmt"
	"net"
	"net/netip"
	"sync"

	"rtspcam/rtsp/srtp"
	"rtspcam/rtsp/stream"
)

// portsPerSession is how many UDP ports each session may use above the
// base port (the Happytime manual's rule): an RTP/RTCP pair for each of up
// to four tracks.
const portsPerSession = 8

// maxSlots bounds the base-port range so it never runs past 65535.
const maxSlots = 4096

// udpPorts hands out per-session slots of UDP ports above a base port.
type udpPorts struct {
	mu   sync.Mutex
	base int
	used map[int]bool
}

func (u *udpPorts) acquire() (int, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.used == nil {
		u.used = map[int]bool{}
	}
	for slot := 0; slot < maxSlots && u.base+slot*portsPerSession+portsPerSession <= 65536; slot++ {
		if !u.used[slot] {
			u.used[slot] = true
			return slot, true
		}
	}
	return -1, false
}

func (u *udpPorts) release(slot int) {
	u.mu.Lock()
	delete(u.used, slot)
	u.mu.Unlock()
}

// udpTrack is the RTP/RTCP socket pair of one session track.
type udpTrack struct {
	ss               *serverSession
	rtp, rtcp        *net.UDPConn
	rtpPort          int
	clientRTP        netip.AddrPort
	clientRTCP       netip.AddrPort
	readerDone       chan struct{}
	packets, dropped uint64
	srtpIn           *srtp.Receiver // the client's SRTCP; nil for plain RTP
	sec              *sessionSRTP   // the session's keys; nil for plain RTP
}

// openUDP binds the track's server ports on the address the client reached
// us at, and starts reading the client's RTCP.
func (ss *serverSession) openUDP(c *serverConn, track int, client [2]int) (*udpTrack, error) {
	local, _ := netip.ParseAddrPort(c.nc.LocalAddr().String())
	remote, _ := netip.ParseAddrPort(c.nc.RemoteAddr().String())
	ip := local.Addr().Unmap()
	rip := remote.Addr().Unmap()
	if client[0] <= 0 || client[0] > 65535 || client[1] <= 0 || client[1] > 65535 {
		return nil, fmt.Errorf("client ports %d-%d out of range", client[0], client[1])
	}
	u := &udpTrack{
		ss:         ss,
		clientRTP:  netip.AddrPortFrom(rip, uint16(client[0])),
		clientRTCP: netip.AddrPortFrom(rip, uint16(client[1])),
		readerDone: make(chan struct{}),
	}
	var err error
	if ss.s.ports.base > 0 && track < portsPerSession/2 {
		u.rtp, u.rtcp, err = ss.bindSlot(ip, track)
	} else {
		u.rtp, u.rtcp, err = bindPair(ip, 0)
	}
	if err != nil {
		return nil, err
	}
	u.rtpPort = u.rtp.LocalAddr().(*net.UDPAddr).Port
	if ss.srtp != nil {
		u.sec = ss.srtp
		if u.srtpIn, err = srtp.NewReceiver(ss.srtp.in); err != nil {
			u.rtp.Close()
			u.rtcp.Close()
			return nil, err
		}
	}
	go u.readRTCP()
	return u, nil
}

// bindSlot binds the pair for track in the session's slot, taking a slot
// on first use and moving to another slot if a port is busy.
func (ss *serverSession) bindSlot(ip netip.Addr, track int) (*net.UDPConn, *net.UDPConn, error) {
	for tries := 0; tries < 16; tries++ {
		if ss.slot < 0 {
			slot, ok := ss.s.ports.acquire()
			if !ok {
				return nil, nil, fmt.Errorf("all %d UDP port slots in use", maxSlots)
			}
			ss.slot = slot
		}
		port := ss.s.ports.base + ss.slot*portsPerSession + 2*track
		a, b, err := bindPair(ip, port)
		if err == nil {
			return a, b, nil
		}
		if len(ss.tracks) > 0 {
			// Other tracks already use this slot's ports: fall back to any pair.
			return bindPair(ip, 0)
		}
		// Someone else holds the port: keep the slot marked and try another.
		ss.slot = -1
	}
	return bindPair(ip, 0)
}

// bindPair binds RTP on port (even; any free even port when 0) and RTCP on
// port+1.
func bindPair(ip netip.Addr, port int) (*net.UDPConn, *net.UDPConn, error) {
	if port > 0 {
		a, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))))
		if err != nil {
			return nil, nil, err
		}
		b, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port+1))))
		if err != nil {
			a.Close()
			return nil, nil, err
		}
		return a, b, nil
	}
	for i := 0; i < 64; i++ {
		a, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
		if err != nil {
			return nil, nil, err
		}
		p := a.LocalAddr().(*net.UDPAddr).Port
		if p%2 != 0 || p == 65535 {
			a.Close()
			continue
		}
		b, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(p+1))))
		if err != nil {
			a.Close()
			continue
		}
		return a, b, nil
	}
	return nil, nil, fmt.Errorf("no free UDP port pair on %s", ip)
}

func (u *udpTrack) write(p *stream.Packet) {
	b := p.Bytes()
	var err error
	if sec := u.sec; sec != nil {
		// Per-session keys: the one place a packet is copied, into the
		// session's own buffer.
		if b, err = sec.protect(nil, b, p.RTCP); err != nil {
			u.dropped++
			return
		}
	}
	if p.RTCP {
		_, err = u.rtcp.WriteToUDPAddrPort(b, u.clientRTCP)
	} else {
		_, err = u.rtp.WriteToUDPAddrPort(b, u.clientRTP)
	}
	if err != nil {
		// ICMP port unreachable and the like: the client may come back.
		u.dropped++
		return
	}
	u.packets++
}

func (u *udpTrack) writeRTCP(b []byte) {
	if sec := u.sec; sec != nil {
		var err error
		if b, err = sec.protect(nil, b, true); err != nil {
			return
		}
	}
	_, _ = u.rtcp.WriteToUDPAddrPort(b, u.clientRTCP)
}

// readRTCP takes receiver reports: each one keeps the session alive.
func (u *udpTrack) readRTCP() {
	defer close(u.readerDone)
	buf := make([]byte, 1500)
	for {
		n, from, err := u.rtcp.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if n < 8 || from.Addr().Unmap() != u.clientRTCP.Addr() {
			continue
		}
		if u.srtpIn != nil {
			if _, err := u.srtpIn.RTCP(buf[:n]); err != nil {
				// A wrong auth tag: not from our client, or tampered.
				u.ss.s.srtpRejected.Add(1)
				continue
			}
		}
		u.ss.touch()
		u.ss.rrs.Add(1)
	}
}

func (u *udpTrack) close() {
	u.rtp.Close()
	u.rtcp.Close()
	<-u.readerDone
}
