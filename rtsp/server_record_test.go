package rtsp_test

import (
	"encoding/binary"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"

	"rtspcam/rtsp"
	"rtspcam/rtsp/headers"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/stream"
)

// fakePub records what a publisher sent, per track.
type fakePub struct {
	mu      sync.Mutex
	formats []payload.Format
	rtp     map[int][][]byte
	rtcp    int
	closed  bool
}

func (p *fakePub) WriteRTP(track int, b []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return stream.ErrClosed
	}
	p.rtp[track] = append(p.rtp[track], append([]byte(nil), b...))
	return nil
}

func (p *fakePub) WriteRTCP(track int, b []byte) error {
	p.mu.Lock()
	p.rtcp++
	p.mu.Unlock()
	return nil
}

func (p *fakePub) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
}

func (p *fakePub) packets(track int) [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rtp[track]
}

func (p *fakePub) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// pubHandler accepts one live publisher per path and plays nothing.
type pubHandler struct {
	mu   sync.Mutex
	pubs map[string]*fakePub
}

func (h *pubHandler) OpenMedia(*rtsp.Request) (rtsp.Media, error) { return nil, rtsp.ErrNotFound }

func (h *pubHandler) Announce(req *rtsp.Request, formats []payload.Format) (rtsp.Publication, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if p := h.pubs[req.Path]; p != nil && !p.isClosed() {
		return nil, &rtsp.StatusError{Code: 403, Reason: "Forbidden (already published)"}
	}
	p := &fakePub{formats: formats, rtp: map[int][][]byte{}}
	h.pubs[req.Path] = p
	return p, nil
}

func (h *pubHandler) pub(path string) *fakePub {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.pubs[path]
}

func startPubServer(t testing.TB, recordTimeout time.Duration) (*rtsp.Server, *pubHandler, string) {
	t.Helper()
	h := &pubHandler{pubs: map[string]*fakePub{}}
	srv := &rtsp.Server{Handler: h, RecordTimeout: recordTimeout, IdleTimeout: 10 * time.Second}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return srv, h, l.Addr().String()
}

// publishSDP is what ffmpeg announces, less its extras: H.264 and PCMU
// with relative controls.
const publishSDP = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=No Name\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\na=control:streamid=0\r\n" +
	"m=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=control:streamid=1\r\n"

func announce(c *rawClient, url, body string) int {
	c.t.Helper()
	c.cseq++
	req := "ANNOUNCE " + url + " RTSP/1.0\r\nCSeq: " + strconv.Itoa(c.cseq) + "\r\nContent-Type: application/sdp\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	c.writeRaw([]byte(req))
	return c.readResponse().StatusCode
}

func relayPacket(seq uint16, pl byte) []byte {
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: uint32(seq) * 3000, SSRC: 42}, Payload: []byte{0x65, pl, pl}}
	b, _ := p.Marshal()
	return b
}

func interleave(ch byte, b []byte) []byte {
	f := []byte{'$', ch, 0, 0}
	binary.BigEndian.PutUint16(f[2:], uint16(len(b)))
	return append(f, b...)
}

func TestRecordTCP(t *testing.T) {
	t.Parallel()
	srv, h, addr := startPubServer(t, 0)
	url := "rtsp://" + addr + "/any/legal/name"
	c := dial(t, addr)
	if code := announce(c, url, publishSDP); code != 200 {
		t.Fatalf("ANNOUNCE: %d", code)
	}
	res := c.do("SETUP", url+"/streamid=0", hdr("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1;mode=record"))
	expectStatus(t, "SETUP video", res, 200)
	id := sessionID(t, res)
	tr, err := headers.ParseTransports(res.Header.Get("Transport"))
	if err != nil || tr[0].Interleaved == nil || tr[0].Interleaved[0] != 0 {
		t.Fatalf("Transport reply %q", res.Header.Get("Transport"))
	}
	expectStatus(t, "SETUP audio", c.do("SETUP", url+"/streamid=1", hdr("Session", id, "Transport", "RTP/AVP/TCP;unicast;interleaved=2-3;mode=record")), 200)
	expectStatus(t, "PLAY of a publishing session", c.do("PLAY", url, hdr("Session", id)), 455)
	expectStatus(t, "RECORD", c.do("RECORD", url, hdr("Session", id, "Range", "npt=0.000-")), 200)

	// A second publisher on the live path is refused.
	c2 := dial(t, addr)
	if code := announce(c2, url, publishSDP); code != 403 {
		t.Fatalf("second ANNOUNCE on a live path: %d, want 403", code)
	}

	for i := 0; i < 5; i++ {
		c.writeRaw(interleave(0, relayPacket(uint16(i), byte(i))))
		c.writeRaw(interleave(2, relayPacket(uint16(i), byte(i))))
	}
	c.writeRaw(interleave(1, []byte{0x80, 200, 0, 6, 0, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}))
	p := h.pub("any/legal/name")
	waitFor(t, "relayed packets", 3*time.Second, func() bool { return len(p.packets(0)) == 5 && len(p.packets(1)) == 5 })
	if got := p.packets(0)[3]; string(got) != string(relayPacket(3, 3)) {
		t.Fatalf("packet changed on the way: % x", got)
	}
	if len(p.formats) != 2 || p.formats[0].RTPMap() != "H264/90000" || p.formats[1].RTPMap() != "PCMU/8000" {
		t.Fatalf("announced formats %v", p.formats)
	}
	expectStatus(t, "TEARDOWN", c.do("TEARDOWN", url, hdr("Session", id)), 200)
	waitFor(t, "publication closed", 3*time.Second, p.isClosed)
	waitFor(t, "session gone", 3*time.Second, func() bool { return srv.Sessions() == 0 })
}

func TestRecordUDPAndStall(t *testing.T) {
	t.Parallel()
	srv, h, addr := startPubServer(t, 300*time.Millisecond)
	url := "rtsp://" + addr + "/cam1"
	c := dial(t, addr)
	// Session-level control only, no a=control on the media: the SETUP
	// names the presentation.
	sdp := "v=0\r\ns=x\r\nc=IN IP4 0.0.0.0\r\na=control:*\r\nm=video 0 RTP/AVP 26\r\n"
	if code := announce(c, url, sdp); code != 200 {
		t.Fatalf("ANNOUNCE: %d", code)
	}
	rtpc, _, port := udpPair(t)
	res := c.do("SETUP", url, hdr("Transport", "RTP/AVP;unicast;client_port="+strconv.Itoa(port)+"-"+strconv.Itoa(port+1)+";mode=record"))
	expectStatus(t, "SETUP", res, 200)
	id := sessionID(t, res)
	tr, _ := headers.ParseTransports(res.Header.Get("Transport"))
	if tr[0].ServerPorts == nil {
		t.Fatalf("no server_port in %q", res.Header.Get("Transport"))
	}
	expectStatus(t, "RECORD", c.do("RECORD", url, hdr("Session", id)), 200)
	dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: tr[0].ServerPorts[0]}
	for i := 0; i < 3; i++ {
		if _, err := rtpc.WriteToUDP(relayPacket(uint16(i), 1), dst); err != nil {
			t.Fatal(err)
		}
	}
	p := h.pub("cam1")
	waitFor(t, "packets over UDP", 3*time.Second, func() bool { return len(p.packets(0)) == 3 })
	// Silence beyond the record timeout ends the session and the publication.
	waitFor(t, "stalled publication closed", 5*time.Second, p.isClosed)
	waitFor(t, "session gone", 3*time.Second, func() bool { return srv.Sessions() == 0 })
	// The ports are free again: the path can be published anew.
	c2 := dial(t, addr)
	if code := announce(c2, url, sdp); code != 200 {
		t.Fatalf("ANNOUNCE after the stall: %d", code)
	}
}

func TestRecordRefusals(t *testing.T) {
	t.Parallel()
	srv, _, addr := startPubServer(t, 0)
	url := "rtsp://" + addr + "/x"
	c := dial(t, addr)
	expectStatus(t, "RECORD without a session", c.do("RECORD", url, nil), 455)
	expectStatus(t, "SETUP record without ANNOUNCE", c.do("SETUP", url, hdr("Transport", "RTP/AVP/TCP;interleaved=0-1;mode=record")), 455)
	if code := announce(c, url, "this is not SDP"); code != 400 {
		t.Fatalf("ANNOUNCE of garbage: %d, want 400", code)
	}
	if code := announce(c, url, "v=0\r\nm=application 0 RTP/AVP 107\r\na=rtpmap:107 vnd.onvif.metadata/90000\r\n"); code != 400 {
		t.Fatalf("ANNOUNCE without a playable media: %d, want 400", code)
	}
	if code := announce(c, url, publishSDP); code != 200 {
		t.Fatalf("ANNOUNCE: %d", code)
	}
	expectStatus(t, "SETUP of a track not announced", c.do("SETUP", url+"/streamid=7", hdr("Transport", "RTP/AVP/TCP;interleaved=0-1;mode=record")), 404)
	if srv.Sessions() != 0 {
		t.Fatalf("refused SETUPs left %d sessions", srv.Sessions())
	}
}

// FuzzAnnounce sends an ANNOUNCE with any body, then the SETUP, RECORD
// and a packet a publisher would: every request gets an answer and the
// session goes when the connection does.
func FuzzAnnounce(f *testing.F) {
	for _, s := range []string{
		publishSDP,
		"v=0\r\ns=x\r\na=control:*\r\nm=video 0 RTP/AVP 26\r\n",
		"v=0\no=- 1 1 IN IP4\ns=\nm=audio 0 RTP/AVP 97\na=rtpmap:97 MPEG4-GENERIC/44100/2\na=fmtp:97 streamtype=5; mode=AAC-hbr; config=1210; sizelength=13; indexlength=3; indexdeltalength=3\na=control:trackID=1\n",
		"v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H265/90000\r\na=control:rtsp://127.0.0.1/abs/streamid=0\r\n",
		"m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 sprop-parameter-sets=Z0IAHpWoKA9k,aM48gA==\r\n",
		"v=0\r\nm=audio 0 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\nm=video 0 RTP/AVP 96 26\r\n",
		"",
	} {
		f.Add(s)
	}
	srv, _, addr := startPubServer(f, 0)
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, body string) {
		c := dial(t, addr)
		url := "rtsp://" + addr + "/fuzz/" + strconv.FormatInt(n.Add(1), 10)
		if code := announce(c, url, body); code != 200 {
			return
		}
		res := c.do("SETUP", url+"/streamid=0", hdr("Transport", "RTP/AVP/TCP;interleaved=0-1;mode=record"))
		if res.StatusCode != 200 {
			res = c.do("SETUP", url, hdr("Transport", "RTP/AVP/TCP;interleaved=0-1;mode=record"))
		}
		if res.StatusCode == 200 {
			id := sessionID(t, res)
			expectStatus(t, "RECORD", c.do("RECORD", url, hdr("Session", id)), 200)
			c.writeRaw(interleave(0, relayPacket(1, 1)))
			expectStatus(t, "TEARDOWN", c.do("TEARDOWN", url, hdr("Session", id)), 200)
		}
		c.nc.Close()
		deadline := time.Now().Add(3 * time.Second)
		for srv.Sessions() != 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if srv.Sessions() != 0 {
			t.Fatal("a publishing session outlived its connection")
		}
	})
}
