package rtsp

import (
	"fmt"
	"net"
	"net/netip"
	"sync"

	"rtspcam/rtsp/srtp"
)

// recordUDP is the server port pair a publisher sends one track's RTP and
// RTCP to, with a reader goroutine on each.
type recordUDP struct {
	r         *recording
	track     int
	rtp, rtcp *net.UDPConn
	port      int
	client    netip.Addr
	wg        sync.WaitGroup
}

// openUDP binds the track's pair (from the session's udp_base_port slot
// when one is configured) and starts reading it. Called under ss.mu.
func (r *recording) openUDP(c *serverConn, track int, client [2]int, keys *srtp.Keys) (*recordUDP, error) {
	if client[0] <= 0 || client[0] > 65535 || client[1] <= 0 || client[1] > 65535 {
		return nil, fmt.Errorf("client ports %d-%d out of range", client[0], client[1])
	}
	local, _ := netip.ParseAddrPort(c.nc.LocalAddr().String())
	remote, _ := netip.ParseAddrPort(c.nc.RemoteAddr().String())
	ip := local.Addr().Unmap()
	ss := r.ss
	u := &recordUDP{r: r, track: track, client: remote.Addr().Unmap()}
	var err error
	if ss.s.ports.base > 0 && track < portsPerSession/2 {
		u.rtp, u.rtcp, err = ss.bindSlot(ip, track)
	} else {
		u.rtp, u.rtcp, err = bindPair(ip, 0)
	}
	if err != nil {
		return nil, err
	}
	// SRTP: each reading goroutine decrypts with its own Receiver.
	inRTP, err := newRecordReceiver(keys)
	if err != nil {
		u.rtp.Close()
		u.rtcp.Close()
		return nil, err
	}
	inRTCP, _ := newRecordReceiver(keys)
	u.port = u.rtp.LocalAddr().(*net.UDPAddr).Port
	r.udp = append(r.udp, u)
	u.wg.Add(2)
	go u.read(u.rtp, inRTP, false, r.rtp)
	go u.read(u.rtcp, inRTCP, true, r.rtcp)
	return u, nil
}

// read passes each datagram from the publisher's address on; others are
// ignored. The buffer is the goroutine's own, reused for every packet.
func (u *recordUDP) read(conn *net.UDPConn, in *srtp.Receiver, rtcp bool, deliver func(int, []byte)) {
	defer u.wg.Done()
	buf := make([]byte, 2048)
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if from.Addr().Unmap() != u.client {
			continue
		}
		u.r.ss.touch()
		if b, ok := u.r.unprotect(in, buf[:n], rtcp); ok {
			deliver(u.track, b)
		}
	}
}

func (u *recordUDP) close() {
	u.rtp.Close()
	u.rtcp.Close()
	u.wg.Wait()
}
