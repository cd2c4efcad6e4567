package rtsp

import (
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"rtspcam/rtsp/headers"
	"rtspcam/rtsp/message"
	"rtspcam/rtsp/srtp"
	"rtspcam/rtsp/stream"
)

type sessionState int

const (
	stateInit sessionState = iota
	stateReady
	statePlaying
)

// sessionTrack is one SETUP of a session.
type sessionTrack struct {
	index   int
	control string // URL the client used, for RTP-Info
	// TCP interleaved channels, or -1
	rtpChannel, rtcpChannel int
	udp                     *udpTrack
}

// serverSession is one RTSP session: the media it opened, the tracks set
// up, the transport, and the goroutine that writes its packets.
type serverSession struct {
	s      *Server
	id     string
	path   string
	user   string
	remote string
	home   *serverConn // connection that created it
	media  Media
	rec    *recording  // publishing sessions only (server_record.go)
	hook   sessionHook // see hooks.go

	lastSeen atomic.Int64 // unix nanos of the last sign of life

	mu        sync.Mutex
	state     sessionState
	tcp       bool
	conn      *serverConn // TCP: the connection carrying its media
	tracks    []*sessionTrack
	byChannel [256]*sessionTrack // interleaved channel → track
	reader    *stream.Reader
	writer    chan struct{} // closed when the writer goroutine ended
	slot      int           // UDP port slot, -1 when none
	closed    bool
	rrs       atomic.Uint64
	srtp      *sessionSRTP    // nil for plain RTP
	srtpInTCP *srtp.Receiver  // the client's interleaved SRTCP, read by the connection
	openReq   *Request        // the first SETUP, for the multicast group's media
	mcast     *multicastGroup // multicast: the group it joined; nil for unicast

	// writer state, owned by the writer goroutine
	pkts   [64]*stream.Packet
	hdrs   [64][4]byte
	bufs   net.Buffers
	bufsAt [128][]byte
}

func newServerSession(s *Server, c *serverConn, path, user string, m Media) *serverSession {
	ss := &serverSession{
		s:      s,
		id:     s.newSessionID(),
		path:   path,
		user:   user,
		remote: c.remote,
		home:   c,
		media:  m,
		slot:   -1,
	}
	ss.touch()
	return ss
}

func (ss *serverSession) header() string {
	return headers.Session{ID: ss.id, Timeout: int(ss.s.sessionTimeout() / time.Second)}.String()
}

func (ss *serverSession) touch() { ss.lastSeen.Store(time.Now().UnixNano()) }

func (ss *serverSession) expired(now time.Time) bool {
	return now.UnixNano()-ss.lastSeen.Load() > int64(ss.s.sessionTimeout())
}

// mediaEnded: the session's media ended for good (see Final).
func (ss *serverSession) mediaEnded() bool {
	f, ok := ss.media.(Final)
	return ok && f.Final() && f.Ended()
}

// transportConn is the connection that carries the session's interleaved
// media, nil for UDP.
func (ss *serverSession) transportConn() *serverConn {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.tcp {
		return ss.conn
	}
	return nil
}

// setupTrack adds a track with the first transport it can honour and
// returns the status and the Transport reply.
func (ss *serverSession) setupTrack(c *serverConn, track int, trs []headers.Transport) (int, string, string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		return 454, "", ""
	}
	if ss.state == statePlaying {
		return 455, "cannot SETUP while playing", ""
	}
	formats := ss.media.Formats()
	if track < 0 {
		if len(formats) != 1 {
			return 459, "SETUP needs a track URL", ""
		}
		track = 0
	}
	if track >= len(formats) {
		return 404, "no such track", ""
	}
	for _, st := range ss.tracks {
		if st.index == track {
			return 455, "track already set up", ""
		}
	}
	var why string
	for _, tr := range trs {
		if tr.Mode != "" && !strings.EqualFold(tr.Mode, "PLAY") {
			why = "record mode is not supported on this path"
			continue
		}
		profile := "RTP/AVP"
		switch {
		case tr.Profile == "RTP/SAVP" && ss.srtp != nil:
			profile = tr.Profile
		case tr.Profile == "RTP/SAVP":
			why = "RTP/SAVP must be asked for in the session's first SETUP"
			continue
		case tr.Profile != "" && tr.Profile != "RTP/AVP":
			why = "only RTP/AVP and RTP/SAVP are supported"
			continue
		}
		force, forbid := wantsMulticast(ss.openReq.Query)
		if force && !tr.Multicast {
			why = "this URL asks for multicast (t=multicast)"
			continue
		}
		if tr.Multicast {
			switch {
			case forbid:
				why = "this URL asks for unicast (t=unicast)"
			case !ss.s.Multicast && !force:
				why = "multicast is not enabled"
			case ss.srtp != nil:
				why = "SRTP over multicast is not supported"
			case len(ss.tracks) > 0 && ss.mcast == nil:
				why = "all tracks of a session use one transport"
			}
			if why != "" {
				continue
			}
			if ss.mcast == nil {
				g, err := ss.s.joinMulticast(ss, ss.openReq)
				if err != nil {
					ss.s.log().Warn("cannot open multicast group", "path", ss.path, "err", err)
					return statusOf(err), "multicast group failed", ""
				}
				ss.mcast = g
			}
			ss.tracks = append(ss.tracks, &sessionTrack{index: track, rtpChannel: -1, rtcpChannel: -1})
			ss.state = stateReady
			return 200, "", ss.mcast.transport(track)
		}
		if ss.mcast != nil {
			why = "all tracks of a session use one transport"
			continue
		}
		isTCP := strings.EqualFold(tr.Lower, "TCP")
		if len(ss.tracks) > 0 && isTCP != ss.tcp {
			why = "all tracks of a session use one transport"
			continue
		}
		st := &sessionTrack{index: track, rtpChannel: -1, rtcpChannel: -1}
		var reply headers.Transport
		if isTCP {
			ch := [2]int{-1, -1}
			if tr.Interleaved != nil {
				ch = *tr.Interleaved
			} else {
				ch = ss.freeChannels()
			}
			if ch[0] < 0 || ch[0] > 255 || ch[1] < 0 || ch[1] > 255 || ss.byChannel[ch[0]] != nil || ss.byChannel[ch[1]] != nil {
				why = "interleaved channels taken or invalid"
				continue
			}
			st.rtpChannel, st.rtcpChannel = ch[0], ch[1]
			ss.byChannel[ch[0]] = st
			ss.byChannel[ch[1]] = st
			ss.tcp = true
			ss.conn = c
			if ss.srtp != nil && ss.srtpInTCP == nil {
				r, err := srtp.NewReceiver(ss.srtp.in)
				if err != nil {
					return 500, "no SRTP context", ""
				}
				ss.srtpInTCP = r
				ss.srtp.batch = make([]byte, len(ss.pkts)*(srtp.MaxPacket+srtp.Overhead))
			}
			reply = headers.Transport{Profile: profile, Lower: "TCP", Interleaved: &ch}
		} else {
			if tr.ClientPorts == nil {
				why = "UDP needs client_port"
				continue
			}
			u, err := ss.openUDP(c, track, *tr.ClientPorts)
			if err != nil {
				ss.s.log().Warn("no UDP ports for session", "session", ss.id, "err", err)
				return 500, "no UDP ports free", ""
			}
			st.udp = u
			cp := *tr.ClientPorts
			sp := [2]int{u.rtpPort, u.rtpPort + 1}
			reply = headers.Transport{Profile: profile, Lower: "UDP", ClientPorts: &cp, ServerPorts: &sp}
		}
		ss.tracks = append(ss.tracks, st)
		ss.state = stateReady
		return 200, "", reply.String()
	}
	if why == "" {
		why = "no acceptable transport"
	}
	return 461, why, ""
}

func (ss *serverSession) freeChannels() [2]int {
	for ch := 0; ch+1 < 256; ch += 2 {
		if ss.byChannel[ch] == nil && ss.byChannel[ch+1] == nil {
			return [2]int{ch, ch + 1}
		}
	}
	return [2]int{-1, -1}
}

// play starts or resumes delivery and fills the response's Range,
// RTP-Info and Session.
func (ss *serverSession) play(url string, from *time.Duration, res *message.Response) (int, string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		return 454, ""
	}
	if ss.state == stateInit || len(ss.tracks) == 0 {
		return 455, "SETUP first"
	}
	if ss.state == statePlaying && from == nil {
		// A repeated PLAY is a no-op; some clients use it as a keep-alive.
		res.Header.Set("Session", ss.header())
		return 200, ""
	}
	if ss.mcast != nil {
		// Multicast members share the group's one sender: no seeking,
		// and no RTP-Info since a joiner comes in mid-stream.
		if err := ss.mcast.play(); err != nil {
			return statusOf(err), reasonOf(err)
		}
		ss.state = statePlaying
		res.Header.Set("Session", ss.header())
		res.Header.Set("Range", "npt=0.000-")
		return 200, ""
	}
	if ss.reader != nil && isDone(ss.reader.Done()) {
		// The media ended (end of file, source gone): start afresh.
		if ss.writer != nil {
			ss.mu.Unlock()
			<-ss.writer
			ss.mu.Lock()
		}
		ss.reader, ss.writer = nil, nil
		ss.state = stateReady
	}
	if ss.reader == nil {
		ss.reader = stream.NewReader(0)
	}
	if ss.state == statePlaying {
		if _, err := ss.media.Pause(ss.reader); err != nil {
			return statusOf(err), reasonOf(err)
		}
	}
	start, states, err := ss.media.Play(ss.reader, from)
	if err != nil {
		return statusOf(err), reasonOf(err)
	}
	ss.state = statePlaying
	if ss.writer == nil {
		ss.writer = make(chan struct{})
		go ss.writeLoop(ss.reader, ss.writer)
	}
	res.Header.Set("Session", ss.header())
	dur := ss.media.Duration()
	if dur > 0 {
		res.Header.Set("Range", fmt.Sprintf("npt=%.3f-%.3f", start.Seconds(), dur.Seconds()))
	} else {
		res.Header.Set("Range", "npt=0.000-")
	}
	base := strings.TrimRight(stripControl(url), "/")
	var info []string
	for _, st := range ss.tracks {
		if st.index >= len(states) {
			continue
		}
		ts := states[st.index]
		info = append(info, fmt.Sprintf("url=%s/trackID=%d;seq=%d;rtptime=%d", base, st.index, ts.NextSeq, ts.RTPTime))
	}
	if len(info) > 0 {
		res.Header.Set("RTP-Info", strings.Join(info, ","))
	}
	return 200, ""
}

// stripControl removes a track control part from a PLAY URL so RTP-Info
// names each track under the presentation.
func stripControl(u string) string {
	lower := asciiLower(u)
	for _, key := range []string{"/trackid=", "trackid=", "/streamid=", "streamid="} {
		if i := strings.LastIndex(lower, key); i >= 0 {
			return u[:i]
		}
	}
	return u
}

func (ss *serverSession) pause(res *message.Response) (int, string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		return 454, ""
	}
	res.Header.Set("Session", ss.header())
	switch ss.state {
	case stateInit:
		return 455, "SETUP first"
	case stateReady:
		return 200, ""
	}
	if ss.mcast != nil {
		// The group keeps sending for its other members.
		ss.state = stateReady
		return 200, ""
	}
	pos, err := ss.media.Pause(ss.reader)
	if err != nil {
		return statusOf(err), reasonOf(err)
	}
	ss.state = stateReady
	if dur := ss.media.Duration(); dur > 0 {
		res.Header.Set("Range", fmt.Sprintf("npt=%.3f-%.3f", pos.Seconds(), dur.Seconds()))
	}
	return 200, ""
}

// receiveInterleaved takes an interleaved packet from the client; it
// reports whether the channel belongs to this session.
func (ss *serverSession) receiveInterleaved(ch uint8, b []byte) bool {
	st := ss.byChannel[ch]
	if st == nil {
		return false
	}
	if ss.rec != nil {
		ss.rec.interleaved(st, ch, b)
	} else if int(ch) == st.rtcpChannel {
		if ss.srtpInTCP != nil {
			if _, err := ss.srtpInTCP.RTCP(b); err != nil {
				ss.s.srtpRejected.Add(1)
				return true
			}
		}
		ss.rrs.Add(1)
	}
	ss.touch()
	return true
}

// writeLoop moves packets from the reader to the transport until the
// reader closes; then it says goodbye with RTCP BYE.
func (ss *serverSession) writeLoop(r *stream.Reader, done chan struct{}) {
	defer close(done)
	for {
		n, err := r.Read(ss.pkts[:])
		if err != nil {
			ss.mu.Lock()
			ended := !ss.closed
			ss.mu.Unlock()
			if ended {
				// The media ended, not the session: tell the client.
				ss.sendBye()
				if f, ok := ss.media.(Final); ok && f.Final() {
					// For good: the session goes too. close waits for this
					// goroutine, hence its own.
					ss.s.log().Info("media ended for good, closing the session", "session", ss.id, "path", ss.path, "remote", ss.remote)
					go ss.close(false)
				}
			}
			return
		}
		werr := ss.writePackets(ss.pkts[:n])
		for i := 0; i < n; i++ {
			ss.pkts[i].Release()
			ss.pkts[i] = nil
		}
		if werr != nil {
			ss.s.log().Info("session write failed, ending it", "session", ss.id, "remote", ss.remote, "err", werr)
			go ss.close(false)
			return
		}
	}
}

// writePackets sends a batch over the session's transport. Allocation
// free: the interleaved headers and the iovecs live in the session.
func (ss *serverSession) writePackets(pkts []*stream.Packet) error {
	if ss.tcp {
		return ss.writeInterleaved(pkts)
	}
	for _, p := range pkts {
		st := ss.trackFor(p.Track)
		if st == nil || st.udp == nil {
			continue
		}
		st.udp.write(p)
	}
	return nil
}

func (ss *serverSession) trackFor(index int) *sessionTrack {
	for _, st := range ss.tracks {
		if st.index == index {
			return st
		}
	}
	return nil
}

func (ss *serverSession) writeInterleaved(pkts []*stream.Packet) error {
	ss.bufs = ss.bufsAt[:0]
	for i, p := range pkts {
		st := ss.trackFor(p.Track)
		if st == nil {
			continue
		}
		ch := st.rtpChannel
		if p.RTCP {
			ch = st.rtcpChannel
		}
		b := p.Bytes()
		if ss.srtp != nil {
			const room = srtp.MaxPacket + srtp.Overhead
			var err error
			if b, err = ss.srtp.protect(ss.srtp.batch[i*room:(i+1)*room], b, p.RTCP); err != nil {
				continue
			}
		}
		h := &ss.hdrs[i]
		h[0] = '$'
		h[1] = byte(ch)
		binary.BigEndian.PutUint16(h[2:], uint16(len(b)))
		ss.bufs = append(ss.bufs, h[:], b)
	}
	if len(ss.bufs) == 0 {
		return nil
	}
	c := ss.conn
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeBuffersLocked(&ss.bufs)
}

// close ends the session once: stops delivery, says BYE when asked,
// releases ports, the media and the goroutines.
func (ss *serverSession) close(bye bool) {
	ss.mu.Lock()
	if ss.closed {
		ss.mu.Unlock()
		return
	}
	ss.closed = true
	r, writer := ss.reader, ss.writer
	state := ss.state
	ss.mu.Unlock()

	if r != nil {
		if state == statePlaying {
			_, _ = ss.media.Pause(r)
		}
		r.Close()
	}
	if writer != nil {
		<-writer
	}
	if bye && state != stateInit {
		ss.sendBye()
	}
	if ss.rec != nil {
		ss.rec.close()
	}
	ss.media.Close()
	if ss.mcast != nil {
		ss.mcast.leave(ss)
	}
	for _, st := range ss.tracks {
		if st.udp != nil {
			st.udp.close()
		}
	}
	if ss.slot >= 0 {
		ss.s.ports.release(ss.slot)
	}
	ss.s.removeSession(ss)
	ss.home.unbind(ss)
	if ss.conn != nil && ss.conn != ss.home {
		ss.conn.unbind(ss)
	}
	ss.hookDone()
}

// sendBye tells the client each track ended (RTCP BYE, RFC 3550 6.6). The
// BYE goes in a compound packet led by an empty receiver report, as RFC
// 3550 6.1 wants: ffmpeg ignores RTCP packets shorter than 12 bytes, so a
// lone 8-byte BYE never ended its playback.
func (ss *serverSession) sendBye() {
	for _, st := range ss.tracks {
		ssrc := ss.ssrcOf(st.index)
		var f [4 + 16]byte
		b := f[4:]
		b[0] = 0x80 // RR, no report blocks
		b[1] = 201
		binary.BigEndian.PutUint16(b[2:], 1)
		binary.BigEndian.PutUint32(b[4:], ssrc)
		b[8] = 0x81 // BYE, one source
		b[9] = 203
		binary.BigEndian.PutUint16(b[10:], 1)
		binary.BigEndian.PutUint32(b[12:], ssrc)
		if ss.tcp && ss.conn != nil {
			frame := f[:]
			if ss.srtp != nil {
				enc, err := ss.srtp.protect(nil, b, true)
				if err != nil {
					continue
				}
				frame = append(f[:4:4], enc...)
			}
			frame[0] = '$'
			frame[1] = byte(st.rtcpChannel)
			binary.BigEndian.PutUint16(frame[2:], uint16(len(frame)-4))
			ss.conn.wmu.Lock()
			ss.conn.nc.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = ss.conn.nc.Write(frame)
			ss.conn.wmu.Unlock()
		} else if st.udp != nil {
			st.udp.writeRTCP(b)
		}
	}
}

// ssrcOf asks the media for a track's SSRC through its last play state.
func (ss *serverSession) ssrcOf(track int) uint32 {
	if sm, ok := ss.media.(interface{ SSRC(track int) uint32 }); ok {
		return sm.SSRC(track)
	}
	return 0
}

func isDone(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
