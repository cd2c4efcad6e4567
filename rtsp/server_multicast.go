package rtsp

import (
	"fmt"
	"hash/fnv"
	"net"
	"net/netip"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"rtspcam/rtsp/headers"
	"rtspcam/rtsp/stream"
)

// Multicast defaults.
const (
	DefaultMulticastTTL = 16
	// multicastPortBase and multicastPortSpan: a path's first RTP port is
	// even and in [base, base+span); track i uses port+2i and port+2i+1.
	multicastPortBase = 20000
	multicastPortSpan = 10000
)

// multicastGroup sends one path's media to its own group in 232.0.0.0/8
// (source-specific multicast). Its first member's PLAY starts it, later
// members join what is already flowing, and the last member leaving stops
// it. It sends from one ephemeral socket and never binds the group's
// ports, so readers on this host can bind them.
type multicastGroup struct {
	s     *Server
	path  string
	addr  netip.Addr
	port  int
	ttl   int
	media Media
	conn  *net.UDPConn
	dests [][2]netip.AddrPort // per track: RTP and RTCP destination

	mu      sync.Mutex
	members map[*serverSession]struct{}
	reader  *stream.Reader
	done    chan struct{} // closed when the sender goroutine ended

	pkts         [64]*stream.Packet // owned by the sender goroutine
	sent, failed uint64
}

// joinMulticast adds ss to its path's group, creating the group (and
// opening its media with req) for the first member.
func (s *Server) joinMulticast(ss *serverSession, req *Request) (*multicastGroup, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups == nil {
		s.groups = map[string]*multicastGroup{}
	}
	if g := s.groups[ss.path]; g != nil {
		g.mu.Lock()
		g.members[ss] = struct{}{}
		g.mu.Unlock()
		return g, nil
	}
	m, err := s.Handler.OpenMedia(req)
	if err != nil {
		return nil, err
	}
	g := &multicastGroup{s: s, path: ss.path, ttl: s.multicastTTL(), media: m, members: map[*serverSession]struct{}{ss: {}}}
	g.addr, g.port = s.groupAddress(ss.path)
	if g.conn, err = multicastSocket(g.ttl); err != nil {
		m.Close()
		return nil, err
	}
	for i := range m.Formats() {
		p := g.port + 2*i
		g.dests = append(g.dests, [2]netip.AddrPort{netip.AddrPortFrom(g.addr, uint16(p)), netip.AddrPortFrom(g.addr, uint16(p+1))})
	}
	s.groups[ss.path] = g
	s.log().Info("multicast group opened", "path", ss.path, "group", g.addr, "port", g.port, "ttl", g.ttl)
	return g, nil
}

func (s *Server) multicastTTL() int {
	if s.MulticastTTL > 0 && s.MulticastTTL < 256 {
		return s.MulticastTTL
	}
	return DefaultMulticastTTL
}

// groupAddress picks the path's group: derived from the path so it stays
// the same while the path is served (and usually across restarts), moved
// on when another served path holds it. Called with s.mu held.
func (s *Server) groupAddress(path string) (netip.Addr, int) {
	h := fnv.New32a()
	h.Write([]byte(path))
	v := h.Sum32()
	port := multicastPortBase + int(v%(multicastPortSpan/2))*2
	for i := uint32(0); ; i++ {
		x := v + i
		// 232.0.0.0/24 is reserved (RFC 4607 §1): keep the second octet above 0.
		a := netip.AddrFrom4([4]byte{232, byte(x>>16)%255 + 1, byte(x >> 8), byte(x)})
		taken := false
		for _, g := range s.groups {
			if g.addr == a {
				taken = true
				break
			}
		}
		if !taken {
			return a, port
		}
	}
}

// multicastSocket opens the ephemeral sending socket with multicast
// loopback on (readers may be on this host) and the group's TTL.
func multicastSocket(ttl int) (*net.UDPConn, error) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4zero})
	if err != nil {
		return nil, fmt.Errorf("multicast socket: %w", err)
	}
	rc, err := c.SyscallConn()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("multicast socket: %w", err)
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		if serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, 1); serr != nil {
			return
		}
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, ttl)
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("multicast socket options: %w", err)
	}
	return c, nil
}

// transport is the Transport reply for track.
func (g *multicastGroup) transport(track int) string {
	p := [2]int{g.port + 2*track, g.port + 2*track + 1}
	ttl := g.ttl
	return headers.Transport{Profile: "RTP/AVP", Lower: "UDP", Multicast: true, Destination: g.addr.String(), Ports: &p, TTL: &ttl}.String()
}

// play starts the sender on the first member's PLAY.
func (g *multicastGroup) play() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.reader != nil {
		return nil
	}
	r := stream.NewReader(0)
	if _, _, err := g.media.Play(r, nil); err != nil {
		r.Close()
		return err
	}
	g.reader = r
	g.done = make(chan struct{})
	go g.send(r, g.done)
	return nil
}

// send writes the group's packets until its reader closes. Allocation
// free: one shared packet, one write per packet.
func (g *multicastGroup) send(r *stream.Reader, done chan struct{}) {
	defer close(done)
	for {
		n, err := r.Read(g.pkts[:])
		if err != nil {
			return
		}
		g.sendBatch(g.pkts[:n])
	}
}

// sendBatch writes packets to the group and releases them.
func (g *multicastGroup) sendBatch(pkts []*stream.Packet) {
	for i, p := range pkts {
		if p.Track < len(g.dests) {
			d := g.dests[p.Track][0]
			if p.RTCP {
				d = g.dests[p.Track][1]
			}
			if _, err := g.conn.WriteToUDPAddrPort(p.Bytes(), d); err == nil {
				g.sent++
			} else {
				g.failed++ // no route to the group, typically
			}
		}
		p.Release()
		pkts[i] = nil
	}
}

// leave removes ss; the last member stops the sender and closes the group.
func (g *multicastGroup) leave(ss *serverSession) {
	s := g.s
	s.mu.Lock()
	g.mu.Lock()
	delete(g.members, ss)
	last := len(g.members) == 0
	if last && s.groups[g.path] == g {
		delete(s.groups, g.path)
	}
	r, done := g.reader, g.done
	g.mu.Unlock()
	s.mu.Unlock()
	if !last {
		return
	}
	if r != nil {
		_, _ = g.media.Pause(r)
		r.Close()
		<-done
	}
	g.media.Close()
	g.conn.Close()
	s.log().Info("multicast group closed", "path", g.path, "group", g.addr, "packets", g.sent, "failed", g.failed)
}

// MulticastGroups lists the groups being served as "path group:port".
func (s *Server) MulticastGroups() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, g := range s.groups {
		out = append(out, fmt.Sprintf("%s %s:%d", g.path, g.addr, g.port))
	}
	return out
}

// wantsMulticast reads the t= URL parameter: "multicast" asks for it,
// "unicast" forbids it, absent leaves it to the client and the config.
func wantsMulticast(q map[string][]string) (force, forbid bool) {
	v := ""
	if vs := q["t"]; len(vs) > 0 {
		v = strings.ToLower(vs[0])
	}
	return v == "multicast", v == "unicast"
}
