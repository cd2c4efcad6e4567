package firmware

import (
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"rtspcam/rtsp/headers"
	"rtspcam/rtsp/message"
)

// rawConn is a hand-driven RTSP connection for tests: requests one at a
// time, responses and interleaved frames read in the background. It
// never reacts to what the server sends, RTCP BYE included.
type rawConn struct {
	nc       net.Conn
	r        *message.Reader
	cseq     int
	resps    chan *message.Response
	frames   atomic.Int64
	byes     atomic.Int64
	firstSeq atomic.Int64 // sequence number of the first RTP packet on channel 0, -1 before
}

func dialRaw(t *testing.T, url string) *rawConn {
	t.Helper()
	addr := strings.TrimPrefix(url, "rtsp://")
	addr = addr[:strings.IndexByte(addr, '/')]
	nc, err := net.DialTimeout("tcp4", addr, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &rawConn{nc: nc, r: message.NewReader(nc), resps: make(chan *message.Response, 4)}
	c.firstSeq.Store(-1)
	go c.readLoop()
	return c
}

// readLoop takes responses and interleaved frames, counting RTCP BYEs and
// doing nothing about them.
func (c *rawConn) readLoop() {
	for {
		m, err := c.r.ReadMessage()
		if err != nil {
			close(c.resps)
			return
		}
		switch m := m.(type) {
		case *message.Response:
			c.resps <- m
		case *message.Interleaved:
			c.frames.Add(1)
			if m.Channel%2 == 1 && strings.Contains(string(m.Payload), "\xcb") {
				c.byes.Add(1)
			}
			if m.Channel == 0 && len(m.Payload) >= 12 {
				c.firstSeq.CompareAndSwap(-1, int64(binary.BigEndian.Uint16(m.Payload[2:])))
			}
		}
	}
}

func (c *rawConn) do(t *testing.T, method, url string, h message.Header, body ...byte) *message.Response {
	t.Helper()
	c.cseq++
	h.Set("CSeq", strconv.Itoa(c.cseq))
	b, err := (&message.Request{Method: method, URL: url, Header: h, Body: body}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	c.nc.SetWriteDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.nc.Write(b); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	select {
	case res, ok := <-c.resps:
		if !ok {
			t.Fatalf("%s: connection closed", method)
		}
		return res
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no answer", method)
	}
	return nil
}

// stubbornReader is an RTSP reader that ignores RTCP BYE: it never sends
// TEARDOWN and keeps its connection, so only the server can end its
// session.
type stubbornReader struct {
	*rawConn
	url     string
	session string
	sdp     string
	rtpInfo string
	udp     *net.UDPConn
	srvPort int // UDP: the server's RTP port
}

func dialStubborn(t *testing.T, url string, udp bool) *stubbornReader {
	t.Helper()
	s := &stubbornReader{rawConn: dialRaw(t, url), url: url}
	res := s.do(t, "DESCRIBE", url, message.Header{"Accept": {"application/sdp"}})
	if res.StatusCode != 200 {
		t.Fatalf("DESCRIBE: %d", res.StatusCode)
	}
	s.sdp = string(res.Body)
	tr := "RTP/AVP/TCP;unicast;interleaved=0-1"
	if udp {
		var err error
		s.udp, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.udp.Close() })
		p := s.udp.LocalAddr().(*net.UDPAddr).Port
		tr = fmt.Sprintf("RTP/AVP;unicast;client_port=%d-%d", p, p+1)
		go func() {
			buf := make([]byte, 2048)
			for {
				if _, err := s.udp.Read(buf); err != nil {
					return
				}
				s.frames.Add(1)
			}
		}()
	}
	res = s.do(t, "SETUP", url+"/trackID=0", message.Header{"Transport": {tr}})
	if res.StatusCode != 200 {
		t.Fatalf("SETUP: %d", res.StatusCode)
	}
	sh, err := headers.ParseSession(res.Header.Get("Session"))
	if err != nil {
		t.Fatal(err)
	}
	s.session = sh.ID
	if udp {
		trs, err := headers.ParseTransports(res.Header.Get("Transport"))
		if err != nil || trs[0].ServerPorts == nil {
			t.Fatalf("SETUP Transport %q", res.Header.Get("Transport"))
		}
		s.srvPort = trs[0].ServerPorts[0]
	}
	res = s.do(t, "PLAY", url, message.Header{"Session": {s.session}})
	if res.StatusCode != 200 {
		t.Fatalf("PLAY: %d", res.StatusCode)
	}
	s.rtpInfo = res.Header.Get("RTP-Info")
	return s
}

// TestPublishEndEndsReaderSessions: when the publisher leaves, the
// sessions of its readers end on the server — ffmpeg's, GStreamer's and
// those of clients that ignore RTCP BYE. A BYE-ignoring TCP reader keeps
// a usable connection, but its session is gone (454); a UDP reader's
// server ports are free again.
func TestPublishEndEndsReaderSessions(t *testing.T) {
	e2eRequireTools(t, "ffmpeg", "gst-launch-1.0")
	pa := pubStart(t, nil, PublishOptions{})
	clip := e2eMakeClip(t, t.TempDir(), "end.mp4", []string{"-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=3",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p"})
	url := pa.base + "live/end"
	p := ffmpegPublish(t, clip, url, "tcp", false)
	pa.waitPublished(t, p, "live/end")

	tcp := dialStubborn(t, url, false)
	udp := dialStubborn(t, url, true)
	paused := dialStubborn(t, url, false)
	if res := paused.do(t, "PAUSE", url, message.Header{"Session": {paused.session}}); res.StatusCode != 200 {
		t.Fatalf("PAUSE: %d", res.StatusCode)
	}
	ff := startPublisher(t, "ffmpeg", "-v", "error", "-rtsp_transport", "udp", "-i", url, "-f", "null", "-")
	gst := startPublisher(t, "gst-launch-1.0", "-q", "rtspsrc", "location="+url, "protocols=tcp", "!", "fakesink")
	want := 6 // the publisher and five readers
	deadline := time.Now().Add(15 * time.Second)
	for pa.app.server.Sessions() < want && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := pa.app.server.Sessions(); n != want {
		t.Fatalf("%d sessions before the publisher left, want %d", n, want)
	}
	time.Sleep(500 * time.Millisecond)
	if tcp.frames.Load() == 0 || udp.frames.Load() == 0 {
		t.Fatalf("readers got no media: TCP %d, UDP %d packets", tcp.frames.Load(), udp.frames.Load())
	}

	p.stop()
	deadline = time.Now().Add(3 * time.Second)
	for pa.app.server.Sessions() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := pa.app.server.Sessions(); n != 0 {
		t.Fatalf("%d sessions left 3 s after the publisher left", n)
	}
	if tcp.byes.Load() == 0 {
		t.Fatal("the TCP reader got no RTCP BYE")
	}
	// The connection is still served; the session is gone.
	if res := tcp.do(t, "OPTIONS", url, message.Header{}); res.StatusCode != 200 {
		t.Fatalf("OPTIONS on the reader's connection after the end: %d", res.StatusCode)
	}
	if res := tcp.do(t, "GET_PARAMETER", url, message.Header{"Session": {tcp.session}}); res.StatusCode != 454 {
		t.Fatalf("a request with the ended session: %d, want 454", res.StatusCode)
	}
	if res := paused.do(t, "PLAY", url, message.Header{"Session": {paused.session}}); res.StatusCode != 454 {
		t.Fatalf("PLAY with the paused reader's ended session: %d, want 454", res.StatusCode)
	}
	if res := udp.do(t, "PLAY", url, message.Header{"Session": {udp.session}}); res.StatusCode != 454 {
		t.Fatalf("PLAY with the ended UDP session: %d, want 454", res.StatusCode)
	}
	// The UDP session's server ports were released.
	for _, port := range []int{udp.srvPort, udp.srvPort + 1} {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			t.Fatalf("server port %d still bound after the session ended: %v", port, err)
		}
		c.Close()
	}
	for _, r := range []*publisher{ff, gst} {
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s went on after the publisher left\n%s", r.cmd.Path, r.out.String())
		}
	}
}
