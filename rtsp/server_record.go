package rtsp

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"rtspcam/rtsp/headers"
	"rtspcam/rtsp/message"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/sdp"
	"rtspcam/rtsp/srtp"
	"rtspcam/rtsp/stream"
)

// DefaultRecordTimeout ends a publishing session whose publisher sent no
// RTP for this long after RECORD: its readers get RTCP BYE.
const DefaultRecordTimeout = 10 * time.Second

// Publisher is implemented by a Handler that accepts published streams
// (RFC 2326 record mode: ANNOUNCE, SETUP mode=record, RECORD). A Handler
// without it answers ANNOUNCE with 405.
type Publisher interface {
	// Announce is called on ANNOUNCE with the formats of the SDP the
	// publisher sent, one per media section it could read. It returns the
	// publication the session feeds, or an error (a *StatusError to
	// choose the status; a path already published should be refused).
	Announce(req *Request, formats []payload.Format) (Publication, error)
}

// Publication receives a publisher's packets, per track in the order the
// formats were announced. The server calls it from one goroutine per
// transport; pkt is only valid during the call. Returning an error that
// wraps stream.ErrClosed ends the publishing session; other errors count
// the packet as dropped.
type Publication interface {
	WriteRTP(track int, pkt []byte) error
	WriteRTCP(track int, pkt []byte) error
	// Close ends the publication: the session ended or the publisher left.
	Close()
}

// TimedPublication is a Publication with a read timeout of its own: the
// publisher silence after RECORD that ends its session (the Server's
// RecordTimeout otherwise).
type TimedPublication interface {
	Publication
	ReadTimeout() time.Duration
}

// announcement is an ANNOUNCE not yet taken by a SETUP on its connection.
type announcement struct {
	path     string
	user     string
	url      string
	desc     *sdp.Description
	formats  []payload.Format
	pub      Publication
	keys     []*srtp.Keys // per media: the publisher's SRTP keys, nil for none (server_record_srtp.go)
	hook     *HookEvent   // what the publish hook allowed, for done (hooks.go)
	closeOne sync.Once
}

func (a *announcement) close() { a.closeOne.Do(a.pub.Close) }

// recordMedia is the Media of a publishing session: it cannot be played.
type recordMedia struct{ a *announcement }

var errRecordOnly = &StatusError{Code: 455, Reason: "publishing session: only RECORD and TEARDOWN"}

func (m recordMedia) Formats() []payload.Format { return m.a.formats }
func (m recordMedia) Duration() time.Duration   { return 0 }
func (m recordMedia) Play(*stream.Reader, *time.Duration) (time.Duration, []stream.TrackState, error) {
	return 0, nil, errRecordOnly
}
func (m recordMedia) Pause(*stream.Reader) (time.Duration, error) { return 0, errRecordOnly }
func (m recordMedia) Close()                                      { m.a.close() }

// recording is the receiving side of a publishing session.
type recording struct {
	ss  *serverSession
	ann *announcement
	udp []*recordUDP
	in  []*srtp.Receiver // per track: SRTP over TCP, read by the connection's goroutine

	started      atomic.Bool  // RECORD answered
	lastPacket   atomic.Int64 // unix nanos of the last RTP packet (or RECORD)
	ending       atomic.Bool
	packets      atomic.Uint64 // RTP packets received
	dropped      atomic.Uint64 // packets the publication refused
	srtpRejected atomic.Uint64 // SRTP/SRTCP packets that failed authentication
}

// announce reads the publisher's SDP and asks the handler for a
// publication on the path.
func (c *serverConn) announce(req *message.Request, res *message.Response, user string) {
	pubr, ok := c.s.Handler.(Publisher)
	if !ok {
		res.StatusCode = 405
		res.Header.Set("Allow", publicMethods)
		return
	}
	t, err := parseTarget(req.URL)
	if err != nil || t.Path == "" {
		res.StatusCode, res.Reason = 400, "bad URL"
		return
	}
	if ct := req.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "application/sdp") {
		res.StatusCode, res.Reason = 415, "ANNOUNCE needs application/sdp"
		return
	}
	desc, err := sdp.Unmarshal(req.Body)
	if err != nil {
		res.StatusCode, res.Reason = 400, "unreadable SDP"
		c.s.log().Info("announce refused", "remote", c.remote, "path", t.Path, "err", err)
		return
	}
	keys, secure, err := announcedKeys(desc)
	if err != nil {
		res.StatusCode, res.Reason = 400, "unusable SRTP keys in SDP"
		c.s.log().Info("announce refused", "remote", c.remote, "path", t.Path, "err", err)
		return
	}
	if secure && !c.isTLS() {
		c.s.log().Warn("publisher sent SRTP keys over plain RTSP: anyone who sees the RTSP connection can decrypt the media; use RTSPS", "remote", c.remote, "path", t.Path)
	}
	formats := make([]payload.Format, len(desc.Medias))
	for i, m := range desc.Medias {
		formats[i] = m.Format
	}
	hook, ok := c.hookPublish(req.URL, t.Path, user)
	if !ok {
		res.StatusCode, res.Reason = 403, "Forbidden"
		return
	}
	pub, err := pubr.Announce(c.request(req, t, user), formats)
	if err != nil {
		res.StatusCode, res.Reason = statusOf(err), reasonOf(err)
		c.s.log().Info("publish refused", "remote", c.remote, "path", t.Path, "err", err)
		return
	}
	a := &announcement{path: t.Path, user: user, url: req.URL, desc: desc, formats: formats, pub: pub, keys: keys, hook: hook}
	c.mu.Lock()
	old := c.ann
	c.ann = a
	c.mu.Unlock()
	if old != nil {
		old.close()
	}
}

// dropAnnouncement closes an ANNOUNCE no SETUP took.
func (c *serverConn) dropAnnouncement() {
	c.mu.Lock()
	a := c.ann
	c.ann = nil
	c.mu.Unlock()
	if a != nil {
		a.close()
	}
}

// recordSetup tells a SETUP for publishing by its Transport mode, when the
// handler takes publishers (otherwise the SETUP is refused as before).
func (c *serverConn) recordSetup(trs []headers.Transport) bool {
	if _, ok := c.s.Handler.(Publisher); !ok {
		return false
	}
	for _, tr := range trs {
		if strings.EqualFold(tr.Mode, "RECORD") || strings.EqualFold(tr.Mode, "\"RECORD\"") {
			return true
		}
	}
	return false
}

// trackOf finds the announced media a SETUP URL names: by the media's
// a=control (relative to the ANNOUNCE URL or absolute), else by a
// trackID/streamid part, else the only media.
func (a *announcement) trackOf(url string, t target) int {
	u := strings.TrimRight(url, "/")
	for i, m := range a.desc.Medias {
		ctl := strings.TrimRight(m.Control, "/")
		if ctl == "" || ctl == "*" {
			continue
		}
		if strings.Contains(ctl, "://") {
			if strings.EqualFold(u, ctl) {
				return i
			}
		} else if strings.HasSuffix(u, "/"+ctl) || strings.HasSuffix(u, ctl) && strings.HasSuffix(strings.TrimSuffix(u, ctl), "?") {
			return i
		}
	}
	if t.Track >= 0 && t.Track < len(a.formats) && strings.EqualFold(t.Path, a.path) {
		return t.Track
	}
	if len(a.formats) == 1 {
		return 0
	}
	return -1
}

// setupRecord answers a SETUP with mode=record: the first creates the
// publishing session from the connection's ANNOUNCE.
func (c *serverConn) setupRecord(req *message.Request, res *message.Response, t target, trs []headers.Transport, ss *serverSession) {
	created := false
	if ss == nil {
		c.mu.Lock()
		a := c.ann
		c.ann = nil
		c.mu.Unlock()
		if a == nil {
			res.StatusCode, res.Reason = 455, "ANNOUNCE first"
			return
		}
		ss = newServerSession(c.s, c, a.path, a.user, recordMedia{a})
		ss.rec = &recording{ss: ss, ann: a, in: make([]*srtp.Receiver, len(a.formats))}
		ss.markPublished(a.hook)
		created = true
	} else if ss.rec == nil {
		res.StatusCode, res.Reason = 455, "a playing session cannot record"
		return
	}
	track := ss.rec.ann.trackOf(req.URL, t)
	code, reason, reply := 404, "no such announced track", ""
	if track >= 0 {
		var keys *srtp.Keys
		if keys, code, reason = c.recordTrackKeys(req.Header.Get("KeyMgmt"), ss.rec.ann, track, savpOnly(trs)); code == 200 {
			code, reason, reply = ss.setupRecordTrack(c, track, trs, keys)
		}
	}
	if code != 200 {
		if created {
			ss.close(false)
		}
		res.StatusCode, res.Reason = code, reason
		return
	}
	if created {
		c.s.addSession(ss)
		c.bind(ss)
		c.s.log().Info("publishing session opened", "session", ss.id, "path", ss.path, "remote", c.remote, "user", ss.user)
	}
	res.Header.Set("Transport", reply)
	res.Header.Set("Session", ss.header())
}

func (ss *serverSession) setupRecordTrack(c *serverConn, track int, trs []headers.Transport, keys *srtp.Keys) (int, string, string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		return 454, "", ""
	}
	if ss.rec.started.Load() {
		return 455, "cannot SETUP while recording", ""
	}
	for _, st := range ss.tracks {
		if st.index == track {
			return 455, "track already set up", ""
		}
	}
	why := "no acceptable transport"
	for _, tr := range trs {
		if tr.Profile != "" && tr.Profile != "RTP/AVP" && (tr.Profile != "RTP/SAVP" || keys == nil) {
			why = "only RTP/AVP and RTP/SAVP are supported"
			continue
		}
		if tr.Multicast {
			why = "multicast is not supported for publishing"
			continue
		}
		isTCP := strings.EqualFold(tr.Lower, "TCP")
		if len(ss.tracks) > 0 && isTCP != ss.tcp {
			why = "all tracks of a session use one transport"
			continue
		}
		st := &sessionTrack{index: track, rtpChannel: -1, rtcpChannel: -1}
		reply := headers.Transport{Profile: "RTP/AVP", Mode: "record"}
		if tr.Profile == "RTP/SAVP" {
			reply.Profile = tr.Profile
		}
		if isTCP {
			ch := ss.freeChannels()
			if tr.Interleaved != nil {
				ch = *tr.Interleaved
			}
			if ch[0] < 0 || ch[0] > 255 || ch[1] < 0 || ch[1] > 255 || ch[0] == ch[1] || ss.byChannel[ch[0]] != nil || ss.byChannel[ch[1]] != nil {
				why = "interleaved channels taken or invalid"
				continue
			}
			st.rtpChannel, st.rtcpChannel = ch[0], ch[1]
			in, err := newRecordReceiver(keys)
			if err != nil {
				return 500, "no SRTP context", ""
			}
			ss.rec.in[track] = in
			ss.byChannel[ch[0]] = st
			ss.byChannel[ch[1]] = st
			ss.tcp = true
			ss.conn = c
			reply.Lower = "TCP"
			reply.Interleaved = &ch
		} else {
			if tr.ClientPorts == nil {
				why = "UDP needs client_port"
				continue
			}
			u, err := ss.rec.openUDP(c, track, *tr.ClientPorts, keys)
			if err != nil {
				ss.s.log().Warn("no UDP ports for publishing session", "session", ss.id, "err", err)
				return 500, "no UDP ports free", ""
			}
			cp := *tr.ClientPorts
			sp := [2]int{u.port, u.port + 1}
			reply.Lower = "UDP"
			reply.ClientPorts = &cp
			reply.ServerPorts = &sp
		}
		ss.tracks = append(ss.tracks, st)
		ss.state = stateReady
		return 200, "", reply.String()
	}
	return 461, why, ""
}

// record answers RECORD: from now on the publisher's silence counts.
func (c *serverConn) record(req *message.Request, res *message.Response, ss *serverSession) {
	if ss == nil {
		if req.Header.Get("Session") == "" {
			res.StatusCode, res.Reason = 455, "SETUP first"
			return
		}
		res.StatusCode = 454
		return
	}
	if ss.rec == nil {
		res.StatusCode, res.Reason = 455, "not a publishing session"
		return
	}
	ss.mu.Lock()
	n, closed := len(ss.tracks), ss.closed
	ss.mu.Unlock()
	if closed {
		res.StatusCode = 454
		return
	}
	if n == 0 {
		res.StatusCode, res.Reason = 455, "SETUP first"
		return
	}
	res.Header.Set("Session", ss.header())
	if ss.rec.started.Swap(true) {
		return
	}
	ss.rec.lastPacket.Store(time.Now().UnixNano())
	var codecs []string
	for _, f := range ss.rec.ann.formats {
		codecs = append(codecs, f.MediaType()+" "+f.RTPMap())
	}
	transport := "UDP"
	if ss.tcp {
		transport = "TCP"
	}
	c.s.log().Info("publishing", "path", ss.path, "publisher", c.remote, "session", ss.id, "transport", transport, "codecs", strings.Join(codecs, ", "))
}

// rtp hands a publisher's RTP packet of track to the publication.
func (r *recording) rtp(track int, b []byte) {
	r.packets.Add(1)
	r.lastPacket.Store(time.Now().UnixNano())
	r.deliver(r.ann.pub.WriteRTP(track, b))
}

func (r *recording) rtcp(track int, b []byte) { r.deliver(r.ann.pub.WriteRTCP(track, b)) }

func (r *recording) deliver(err error) {
	if err == nil {
		return
	}
	if errors.Is(err, stream.ErrClosed) {
		if !r.ending.Swap(true) {
			r.ss.s.log().Info("publication ended, closing the publishing session", "session", r.ss.id, "path", r.ss.path)
			go r.ss.close(true)
		}
		return
	}
	r.dropped.Add(1)
}

// interleaved takes a packet of a publishing session over TCP.
func (r *recording) interleaved(st *sessionTrack, ch uint8, b []byte) {
	b, ok := r.unprotect(r.in[st.index], b, int(ch) != st.rtpChannel)
	if !ok {
		return
	}
	if int(ch) == st.rtpChannel {
		r.rtp(st.index, b)
	} else {
		r.rtcp(st.index, b)
	}
}

// stalled: recording, and no RTP for longer than the record timeout.
func (ss *serverSession) stalled(now time.Time) bool {
	r := ss.rec
	if r == nil || !r.started.Load() {
		return false
	}
	timeout := ss.s.recordTimeout()
	if tp, ok := r.ann.pub.(TimedPublication); ok && tp.ReadTimeout() > 0 {
		timeout = tp.ReadTimeout()
	}
	return now.UnixNano()-r.lastPacket.Load() > int64(timeout)
}

func (s *Server) recordTimeout() time.Duration {
	if s.RecordTimeout > 0 {
		return s.RecordTimeout
	}
	return DefaultRecordTimeout
}

// close stops the UDP receivers and logs what the session carried.
func (r *recording) close() {
	for _, u := range r.udp {
		u.close()
	}
	if r.started.Load() {
		r.ss.s.log().Info("publishing ended", "path", r.ss.path, "publisher", r.ss.remote, "session", r.ss.id,
			"packets", r.packets.Load(), "dropped", r.dropped.Load(), "srtp_rejected", r.srtpRejected.Load())
	}
}

// String is for logs.
func (r *recording) String() string {
	return fmt.Sprintf("recording %s (%d packets)", r.ss.path, r.packets.Load())
}
