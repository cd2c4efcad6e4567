package rtsp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"rtspcam/firmware/source"
	"rtspcam/firmware/source/testpattern"
	"rtspcam/rtsp"
	"rtspcam/rtsp/headers"
	"rtspcam/rtsp/message"
	"rtspcam/rtsp/payload"
)

// testHandler serves "live" (a small test pattern shared by all readers)
// and "file" (a private player of an ffmpeg-made MP4); anything else is 404.
type testHandler struct {
	live     *source.Live
	filePath string
}

func (h *testHandler) OpenMedia(req *rtsp.Request) (rtsp.Media, error) {
	switch req.Path {
	case "live", "cam/live":
		return h.live.Open(), nil
	case "file":
		if h.filePath == "" {
			return nil, rtsp.ErrNotFound
		}
		p, err := source.OpenFile("file", h.filePath, 1, nil)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	return nil, rtsp.ErrNotFound
}

var (
	mp4Once sync.Once
	mp4Path string
	mp4Err  error
)

// testMP4 makes (once per run) a 4 s 160x120 H.264 file with a keyframe
// every second and no B-frames, so seek targets are known.
func testMP4(t *testing.T) string {
	t.Helper()
	mp4Once.Do(func() {
		if _, err := exec.LookPath("ffmpeg"); err != nil {
			mp4Err = fmt.Errorf("ffmpeg is required: %w", err)
			return
		}
		dir, err := os.MkdirTemp("", "rtsptest")
		if err != nil {
			mp4Err = err
			return
		}
		mp4Path = filepath.Join(dir, "clip.mp4")
		out, err := exec.Command("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25",
			"-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0",
			"-bf", "0", "-pix_fmt", "yuv420p", mp4Path).CombinedOutput()
		if err != nil {
			mp4Err = fmt.Errorf("ffmpeg: %v: %s", err, out)
		}
	})
	if mp4Err != nil {
		t.Fatal(mp4Err)
	}
	return mp4Path
}

// patternRunner adapts the test pattern to source.Runner.
type patternRunner struct{ p *testpattern.Pattern }

func (r patternRunner) Formats() []payload.Format                      { return r.p.Formats() }
func (r patternRunner) Run(ctx context.Context, w source.Writer) error { return r.p.Run(ctx, w) }

type testServer struct {
	srv  *rtsp.Server
	addr string
	live *source.Live
}

func (ts *testServer) url(path string) string { return "rtsp://" + ts.addr + "/" + path }

// newTestServer starts a server on 127.0.0.1:0; withFile adds the MP4.
func newTestServer(t *testing.T, withFile bool, tune func(*rtsp.Server)) *testServer {
	t.Helper()
	pat, err := testpattern.New(testpattern.Options{Width: 160, Height: 120, FPS: 25, Quality: 50, Audio: true})
	if err != nil {
		t.Fatal(err)
	}
	live := source.NewLive("live", patternRunner{pat}, nil)
	live.Linger = 10 * time.Millisecond
	h := &testHandler{live: live}
	if withFile {
		h.filePath = testMP4(t)
	}
	srv := &rtsp.Server{Handler: h, ServerName: "rtspcam-test", IdleTimeout: 10 * time.Second}
	if tune != nil {
		tune(srv)
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, rtsp.ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
		live.Close()
	})
	return &testServer{srv: srv, addr: l.Addr().String(), live: live}
}

// rawClient is a bare RTSP client: requests in, responses and interleaved
// frames out, nothing hidden.
type rawClient struct {
	t      testing.TB
	nc     net.Conn
	r      *message.Reader
	cseq   int
	frames []*message.Interleaved // interleaved frames read while waiting for a response
}

func dial(t testing.TB, addr string) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawClient{t: t, nc: nc, r: message.NewReader(nc)}
}

// hdr builds a header from name, value pairs.
func hdr(kv ...string) message.Header {
	h := message.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// do sends a request with the next CSeq and returns the response.
func (c *rawClient) do(method, url string, h message.Header) *message.Response {
	c.t.Helper()
	if h == nil {
		h = message.Header{}
	}
	c.cseq++
	h.Set("CSeq", strconv.Itoa(c.cseq))
	req := &message.Request{Method: method, URL: url, Header: h}
	b, err := req.Marshal()
	if err != nil {
		c.t.Fatal(err)
	}
	c.writeRaw(b)
	res := c.readResponse()
	if got := res.Header.Get("CSeq"); got != strconv.Itoa(c.cseq) {
		c.t.Fatalf("%s: CSeq %q in response, want %d", method, got, c.cseq)
	}
	return res
}

func (c *rawClient) writeRaw(b []byte) {
	c.t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawClient) readResponse() *message.Response {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		m, err := c.r.ReadMessage()
		if err != nil {
			c.t.Fatalf("reading response: %v", err)
		}
		switch m := m.(type) {
		case *message.Response:
			return m
		case *message.Interleaved:
			if len(c.frames) < 1000 {
				c.frames = append(c.frames, &message.Interleaved{Channel: m.Channel, Payload: append([]byte(nil), m.Payload...)})
			}
		default:
			c.t.Fatalf("unexpected %T from server", m)
		}
	}
}

// frame returns the next interleaved frame (first those seen while
// waiting for responses).
func (c *rawClient) frame(timeout time.Duration) *message.Interleaved {
	c.t.Helper()
	if len(c.frames) > 0 {
		f := c.frames[0]
		c.frames = c.frames[1:]
		return f
	}
	c.nc.SetReadDeadline(time.Now().Add(timeout))
	for {
		m, err := c.r.ReadMessage()
		if err != nil {
			c.t.Fatalf("reading interleaved frame: %v", err)
		}
		if f, ok := m.(*message.Interleaved); ok {
			return &message.Interleaved{Channel: f.Channel, Payload: append([]byte(nil), f.Payload...)}
		}
	}
}

func expectStatus(t testing.TB, what string, res *message.Response, code int) {
	t.Helper()
	if res.StatusCode != code {
		t.Fatalf("%s: status %d %s, want %d", what, res.StatusCode, res.Reason, code)
	}
}

func sessionID(t testing.TB, res *message.Response) string {
	t.Helper()
	s, err := headers.ParseSession(res.Header.Get("Session"))
	if err != nil {
		t.Fatalf("Session header %q: %v", res.Header.Get("Session"), err)
	}
	return s.ID
}

// udpPair binds an RTP/RTCP client port pair on loopback.
func udpPair(t testing.TB) (*net.UDPConn, *net.UDPConn, int) {
	t.Helper()
	for i := 0; i < 50; i++ {
		a, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		p := a.LocalAddr().(*net.UDPAddr).Port
		if p%2 != 0 {
			a.Close()
			continue
		}
		b, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p + 1})
		if err != nil {
			a.Close()
			continue
		}
		t.Cleanup(func() { a.Close(); b.Close() })
		return a, b, p
	}
	t.Fatal("no UDP port pair")
	return nil, nil, 0
}

// readRTP reads n RTP packets from conn and checks one SSRC and
// consecutive sequence numbers.
func readRTP(t testing.TB, conn *net.UDPConn, n int) []rtp.Packet {
	t.Helper()
	buf := make([]byte, 2048)
	var out []rtp.Packet
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for len(out) < n {
		k, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("after %d RTP packets: %v", len(out), err)
		}
		var p rtp.Packet
		if err := p.Unmarshal(append([]byte(nil), buf[:k]...)); err != nil {
			t.Fatalf("RTP packet %d: %v", len(out), err)
		}
		out = append(out, p)
	}
	checkContinuity(t, out)
	return out
}

func checkContinuity(t testing.TB, pkts []rtp.Packet) {
	t.Helper()
	for i := 1; i < len(pkts); i++ {
		if pkts[i].SSRC != pkts[0].SSRC {
			t.Fatalf("packet %d: SSRC %08x, want %08x", i, pkts[i].SSRC, pkts[0].SSRC)
		}
		if pkts[i].SequenceNumber != pkts[i-1].SequenceNumber+1 {
			t.Fatalf("packet %d: seq %d after %d", i, pkts[i].SequenceNumber, pkts[i-1].SequenceNumber)
		}
	}
}

// rtpFrames reads interleaved frames until n RTP packets arrived on ch.
func rtpFrames(t testing.TB, c *rawClient, ch uint8, n int) []rtp.Packet {
	t.Helper()
	var out []rtp.Packet
	for tries := 0; len(out) < n && tries < 20*n; tries++ {
		f := c.frame(5 * time.Second)
		if f.Channel != ch {
			continue
		}
		var p rtp.Packet
		if err := p.Unmarshal(f.Payload); err != nil {
			t.Fatalf("RTP on channel %d: %v", ch, err)
		}
		out = append(out, p)
	}
	if len(out) < n {
		t.Fatalf("got %d RTP packets on channel %d, want %d", len(out), ch, n)
	}
	checkContinuity(t, out)
	return out
}

func waitFor(t testing.TB, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// --- the basic exchange -------------------------------------------------

func TestOptionsDescribe(t *testing.T) {
	ts := newTestServer(t, false, nil)
	c := dial(t, ts.addr)
	res := c.do("OPTIONS", "*", nil)
	expectStatus(t, "OPTIONS", res, 200)
	pub := headers.ParseList(res.Header.Get("Public"))
	for _, m := range []string{"OPTIONS", "DESCRIBE", "SETUP", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER", "SET_PARAMETER"} {
		if !contains(pub, m) {
			t.Errorf("Public %q lacks %s", res.Header.Get("Public"), m)
		}
	}
	if res.Header.Get("Server") != "rtspcam-test" {
		t.Errorf("Server header %q", res.Header.Get("Server"))
	}

	for _, u := range []string{ts.url("live"), ts.url("live/")} {
		res = c.do("DESCRIBE", u, hdr("Accept", "application/sdp"))
		expectStatus(t, "DESCRIBE", res, 200)
		if res.Header.Get("Content-Type") != "application/sdp" {
			t.Errorf("Content-Type %q", res.Header.Get("Content-Type"))
		}
		if got := res.Header.Get("Content-Base"); got != ts.url("live/") {
			t.Errorf("DESCRIBE %s: Content-Base %q, want %q", u, got, ts.url("live/"))
		}
		body := string(res.Body)
		for _, want := range []string{"v=0", "m=video 0 RTP/AVP 26", "m=audio 0 RTP/AVP 0", "a=control:trackID=0", "a=control:trackID=1"} {
			if !strings.Contains(body, want) {
				t.Errorf("SDP lacks %q:\n%s", want, body)
			}
		}
	}
	res = c.do("DESCRIBE", ts.url("nothing"), nil)
	expectStatus(t, "DESCRIBE unknown path", res, 404)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestPlayUDP(t *testing.T) {
	ts := newTestServer(t, false, nil)
	c := dial(t, ts.addr)
	vRTP, _, vPort := udpPair(t)
	aRTP, _, aPort := udpPair(t)
	res := c.do("SETUP", ts.url("live/trackID=0"), hdr("Transport", fmt.Sprintf("RTP/AVP;unicast;client_port=%d-%d", vPort, vPort+1)))
	expectStatus(t, "SETUP video", res, 200)
	id := sessionID(t, res)
	tr, err := headers.ParseTransports(res.Header.Get("Transport"))
	if err != nil || len(tr) != 1 || tr[0].ServerPorts == nil || tr[0].ClientPorts == nil || tr[0].ClientPorts[0] != vPort {
		t.Fatalf("Transport reply %q: %v", res.Header.Get("Transport"), err)
	}
	res = c.do("SETUP", ts.url("live/trackID=1"), hdr("Session", id, "Transport", fmt.Sprintf("RTP/AVP/UDP;unicast;client_port=%d-%d", aPort, aPort+1)))
	expectStatus(t, "SETUP audio", res, 200)
	if sessionID(t, res) != id {
		t.Fatal("second SETUP changed the session")
	}
	res = c.do("PLAY", ts.url("live/"), hdr("Session", id, "Range", "npt=0-"))
	expectStatus(t, "PLAY", res, 200)
	if !strings.HasPrefix(res.Header.Get("Range"), "npt=") {
		t.Errorf("PLAY Range %q", res.Header.Get("Range"))
	}
	info, err := headers.ParseRTPInfo(res.Header.Get("RTP-Info"))
	if err != nil || len(info) != 2 {
		t.Fatalf("RTP-Info %q: %v", res.Header.Get("RTP-Info"), err)
	}
	if !strings.HasSuffix(info[0].URL, "/live/trackID=0") || !strings.HasSuffix(info[1].URL, "/live/trackID=1") {
		t.Errorf("RTP-Info URLs %q", res.Header.Get("RTP-Info"))
	}
	vp := readRTP(t, vRTP, 30)
	if vp[0].PayloadType != 26 || vp[0].SequenceNumber != seqOf(t, info[0]) {
		t.Errorf("first video packet PT %d seq %d, RTP-Info seq %d", vp[0].PayloadType, vp[0].SequenceNumber, seqOf(t, info[0]))
	}
	ap := readRTP(t, aRTP, 5)
	if ap[0].PayloadType != 0 || ap[0].SequenceNumber != seqOf(t, info[1]) {
		t.Errorf("first audio packet PT %d seq %d, RTP-Info seq %d", ap[0].PayloadType, ap[0].SequenceNumber, seqOf(t, info[1]))
	}
	if ts.srv.Sessions() != 1 {
		t.Errorf("Sessions() = %d, want 1", ts.srv.Sessions())
	}

	// PAUSE stops the flow, PLAY resumes it with the sequence running on.
	res = c.do("PAUSE", ts.url("live/"), hdr("Session", id))
	expectStatus(t, "PAUSE", res, 200)
	drainUDP(vRTP, 200*time.Millisecond)
	vRTP.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := vRTP.Read(make([]byte, 2048)); err == nil {
		t.Error("video packets still arrive while paused")
	}
	res = c.do("PLAY", ts.url("live/"), hdr("Session", id))
	expectStatus(t, "PLAY after PAUSE", res, 200)
	vp2 := readRTP(t, vRTP, 10)
	if vp2[0].SSRC != vp[0].SSRC {
		t.Errorf("SSRC changed across PAUSE: %08x → %08x", vp[0].SSRC, vp2[0].SSRC)
	}
	if int16(vp2[0].SequenceNumber-vp[len(vp)-1].SequenceNumber) <= 0 {
		t.Errorf("sequence went back across PAUSE: %d then %d", vp[len(vp)-1].SequenceNumber, vp2[0].SequenceNumber)
	}

	res = c.do("TEARDOWN", ts.url("live/"), hdr("Session", id))
	expectStatus(t, "TEARDOWN", res, 200)
	if n := ts.srv.Sessions(); n != 0 {
		t.Errorf("Sessions() = %d after TEARDOWN", n)
	}
	res = c.do("PLAY", ts.url("live/"), hdr("Session", id))
	expectStatus(t, "PLAY after TEARDOWN", res, 454)
}

func drainUDP(c *net.UDPConn, d time.Duration) {
	buf := make([]byte, 2048)
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		c.SetReadDeadline(end)
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

func TestPlayTCP(t *testing.T) {
	ts := newTestServer(t, false, nil)
	c := dial(t, ts.addr)
	res := c.do("SETUP", ts.url("live/trackID=0"), hdr("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"))
	expectStatus(t, "SETUP", res, 200)
	id := sessionID(t, res)
	if got := res.Header.Get("Transport"); !strings.Contains(got, "interleaved=0-1") {
		t.Errorf("Transport reply %q", got)
	}
	res = c.do("SETUP", ts.url("live/trackID=1"), hdr("Session", id, "Transport", "RTP/AVP/TCP;unicast;interleaved=2-3"))
	expectStatus(t, "SETUP audio", res, 200)
	res = c.do("PLAY", ts.url("live"), hdr("Session", id))
	expectStatus(t, "PLAY", res, 200)
	info, err := headers.ParseRTPInfo(res.Header.Get("RTP-Info"))
	if err != nil || len(info) != 2 {
		t.Fatalf("RTP-Info %q: %v", res.Header.Get("RTP-Info"), err)
	}
	vp := rtpFrames(t, c, 0, 20)
	if vp[0].SequenceNumber != seqOf(t, info[0]) {
		t.Errorf("first video seq %d, RTP-Info says %d", vp[0].SequenceNumber, seqOf(t, info[0]))
	}
	// A keep-alive in the middle of the media flow is answered in order.
	res = c.do("GET_PARAMETER", ts.url("live"), hdr("Session", id))
	expectStatus(t, "GET_PARAMETER", res, 200)
	res = c.do("TEARDOWN", ts.url("live"), hdr("Session", id))
	expectStatus(t, "TEARDOWN", res, 200)
	waitFor(t, "no sessions", 2*time.Second, func() bool { return ts.srv.Sessions() == 0 })
}

// TestSeekFile plays an MP4 from a Range: the start lands on the keyframe
// at or before the point, and RTP-Info matches the first packet.
func TestSeekFile(t *testing.T) {
	ts := newTestServer(t, true, nil)
	c := dial(t, ts.addr)
	res := c.do("DESCRIBE", ts.url("file"), nil)
	expectStatus(t, "DESCRIBE", res, 200)
	if !strings.Contains(string(res.Body), "a=range:npt=0") {
		t.Errorf("file SDP has no npt range:\n%s", res.Body)
	}
	res = c.do("SETUP", ts.url("file/trackID=0"), hdr("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"))
	expectStatus(t, "SETUP", res, 200)
	id := sessionID(t, res)

	play := func(rangeHdr string) (headers.Range, headers.RTPInfoEntry, rtp.Packet) {
		t.Helper()
		h := hdr("Session", id)
		if rangeHdr != "" {
			h.Set("Range", rangeHdr)
		}
		res := c.do("PLAY", ts.url("file/"), h)
		expectStatus(t, "PLAY "+rangeHdr, res, 200)
		rg, err := headers.ParseRange(res.Header.Get("Range"))
		if err != nil {
			t.Fatalf("Range %q: %v", res.Header.Get("Range"), err)
		}
		info, err := headers.ParseRTPInfo(res.Header.Get("RTP-Info"))
		if err != nil || len(info) != 1 {
			t.Fatalf("RTP-Info %q: %v", res.Header.Get("RTP-Info"), err)
		}
		// Frames sent before this PLAY (the previous play) are not ours.
		c.frames = nil
		var first rtp.Packet
		for {
			f := c.frame(5 * time.Second)
			if f.Channel != 0 {
				continue
			}
			if err := first.Unmarshal(f.Payload); err != nil {
				t.Fatal(err)
			}
			if first.SequenceNumber == seqOf(t, info[0]) {
				break
			}
			if int16(first.SequenceNumber-seqOf(t, info[0])) > 0 {
				t.Fatalf("first packet after PLAY seq %d is past RTP-Info seq %d", first.SequenceNumber, seqOf(t, info[0]))
			}
		}
		return rg, info[0], first
	}
	rg0, info0, p0 := play("npt=0-")
	if rg0.Start != 0 {
		t.Errorf("PLAY npt=0-: Range start %v", rg0.Start)
	}
	if p0.Timestamp != timeOf(t, info0) {
		t.Errorf("first packet timestamp %d, RTP-Info rtptime %d", p0.Timestamp, timeOf(t, info0))
	}
	if got := rg0.End; got < 3900*time.Millisecond || got > 4100*time.Millisecond {
		t.Errorf("Range end %v, want about 4 s", got)
	}
	res = c.do("PAUSE", ts.url("file/"), hdr("Session", id))
	expectStatus(t, "PAUSE", res, 200)

	rg, info, p := play("npt=2.5-")
	if rg.Start != 2*time.Second {
		t.Errorf("seek to 2.5 s started at %v, want the keyframe at 2 s", rg.Start)
	}
	if p.Timestamp != timeOf(t, info) {
		t.Errorf("first packet after seek: timestamp %d, RTP-Info rtptime %d", p.Timestamp, timeOf(t, info))
	}
	if d := timeOf(t, info) - timeOf(t, info0); d != 2*90000 {
		t.Errorf("rtptime moved %d ticks for a 2 s seek, want 180000", d)
	}
	if p.SSRC != p0.SSRC {
		t.Errorf("SSRC changed on seek")
	}
	// The first packet after a seek starts a keyframe: an IDR NAL (type 5)
	// or an FU-A / STAP-A that carries one, or SPS first.
	if len(p.Payload) == 0 {
		t.Fatal("empty payload")
	}
	switch nt := p.Payload[0] & 0x1f; nt {
	case 5, 7, 24:
	case 28:
		if p.Payload[1]&0x1f != 5 && p.Payload[1]&0x1f != 7 {
			t.Errorf("FU-A of NAL type %d after seek, want IDR", p.Payload[1]&0x1f)
		}
	default:
		t.Errorf("NAL type %d after seek, want a keyframe", nt)
	}

	res = c.do("PLAY", ts.url("file/"), hdr("Session", id, "Range", "npt=99-"))
	if res.StatusCode != 457 {
		t.Errorf("PLAY past the end: status %d, want 457", res.StatusCode)
	}
}

// TestKeepAlive: GET_PARAMETER and SET_PARAMETER with and without the
// Session header, also from another connection.
func TestKeepAlive(t *testing.T) {
	ts := newTestServer(t, false, nil)
	c := dial(t, ts.addr)
	_, _, port := udpPair(t)
	res := c.do("SETUP", ts.url("live/trackID=0"), hdr("Transport", fmt.Sprintf("RTP/AVP;unicast;client_port=%d-%d", port, port+1)))
	expectStatus(t, "SETUP", res, 200)
	id := sessionID(t, res)
	for _, m := range []string{"GET_PARAMETER", "SET_PARAMETER"} {
		res = c.do(m, ts.url("live/"), hdr("Session", id))
		expectStatus(t, m+" with Session", res, 200)
		if sessionID(t, res) != id {
			t.Errorf("%s: Session %q", m, res.Header.Get("Session"))
		}
		res = c.do(m, ts.url("live/"), nil)
		expectStatus(t, m+" without Session", res, 200)
		res = c.do(m, "*", nil)
		expectStatus(t, m+" on *", res, 200)
		res = c.do(m, ts.url("live/"), hdr("Session", "deadbeef"))
		expectStatus(t, m+" with an unknown Session", res, 454)
	}
	c2 := dial(t, ts.addr)
	res = c2.do("GET_PARAMETER", ts.url("live/"), hdr("Session", id))
	expectStatus(t, "GET_PARAMETER on another connection", res, 200)
	res = c2.do("SET_PARAMETER", ts.url("live/"), hdr("Session", id, "Content-Type", "text/parameters"))
	expectStatus(t, "SET_PARAMETER on another connection", res, 200)
}

// TestSessionTimeout: a silent session dies after SessionTimeout even
// though its connection stays open; one kept alive by GET_PARAMETER lives.
func TestSessionTimeout(t *testing.T) {
	ts := newTestServer(t, false, func(s *rtsp.Server) { s.SessionTimeout = 2 * time.Second })
	quiet := dial(t, ts.addr)
	_, _, p1 := udpPair(t)
	res := quiet.do("SETUP", ts.url("live/trackID=0"), hdr("Transport", fmt.Sprintf("RTP/AVP;unicast;client_port=%d-%d", p1, p1+1)))
	expectStatus(t, "SETUP quiet", res, 200)
	quietID := sessionID(t, res)
	if s, _ := headers.ParseSession(res.Header.Get("Session")); s.Timeout != 2 {
		t.Errorf("Session %q: timeout %d, want 2", res.Header.Get("Session"), s.Timeout)
	}

	alive := dial(t, ts.addr)
	res = alive.do("SETUP", ts.url("live/trackID=0"), hdr("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"))
	expectStatus(t, "SETUP alive", res, 200)
	aliveID := sessionID(t, res)
	res = alive.do("PLAY", ts.url("live/"), hdr("Session", aliveID))
	expectStatus(t, "PLAY alive", res, 200)

	// Keep-alives from a third connection, naming the session, every 500 ms.
	ka := dial(t, ts.addr)
	start := time.Now()
	for time.Since(start) < 4*time.Second {
		expectStatus(t, "keep-alive", ka.do("GET_PARAMETER", ts.url("live/"), hdr("Session", aliveID)), 200)
		time.Sleep(500 * time.Millisecond)
	}
	if n := ts.srv.Sessions(); n != 1 {
		t.Fatalf("Sessions() = %d after 4 s, want only the kept-alive one", n)
	}
	expectStatus(t, "PLAY on the expired session", quiet.do("PLAY", ts.url("live/"), hdr("Session", quietID)), 454)
	expectStatus(t, "kept-alive session", ka.do("GET_PARAMETER", ts.url("live/"), hdr("Session", aliveID)), 200)
}

// TestConnectionLossEndsSessions: a client that vanishes takes its
// sessions (UDP and TCP) with it.
func TestConnectionLossEndsSessions(t *testing.T) {
	ts := newTestServer(t, false, nil)
	var conns []*rawClient
	for i := 0; i < 3; i++ {
		c := dial(t, ts.addr)
		conns = append(conns, c)
		tr := "RTP/AVP/TCP;unicast;interleaved=0-1"
		if i == 1 {
			_, _, p := udpPair(t)
			tr = fmt.Sprintf("RTP/AVP;unicast;client_port=%d-%d", p, p+1)
		}
		res := c.do("SETUP", ts.url("live/trackID=0"), hdr("Transport", tr))
		expectStatus(t, "SETUP", res, 200)
		if i < 2 {
			expectStatus(t, "PLAY", c.do("PLAY", ts.url("live/"), hdr("Session", sessionID(t, res))), 200)
		}
		if ts.srv.Sessions() != i+1 {
			t.Fatalf("Sessions() = %d, want %d", ts.srv.Sessions(), i+1)
		}
	}
	for _, c := range conns {
		c.nc.Close()
	}
	waitFor(t, "Sessions() back to 0", 3*time.Second, func() bool { return ts.srv.Sessions() == 0 })
	waitFor(t, "the live source to lose its readers", 3*time.Second, func() bool { return ts.live.Readers() == 0 })
}

// TestShutdownSendsBye: Shutdown says RTCP BYE to UDP and TCP readers.
func TestShutdownSendsBye(t *testing.T) {
	ts := newTestServer(t, false, nil)
	u := dial(t, ts.addr)
	_, uRTCP, p := udpPair(t)
	res := u.do("SETUP", ts.url("live/trackID=0"), hdr("Transport", fmt.Sprintf("RTP/AVP;unicast;client_port=%d-%d", p, p+1)))
	expectStatus(t, "SETUP UDP", res, 200)
	expectStatus(t, "PLAY UDP", u.do("PLAY", ts.url("live/"), hdr("Session", sessionID(t, res))), 200)

	c := dial(t, ts.addr)
	res = c.do("SETUP", ts.url("live/trackID=0"), hdr("Transport", "RTP/AVP/TCP;unicast;interleaved=6-7"))
	expectStatus(t, "SETUP TCP", res, 200)
	expectStatus(t, "PLAY TCP", c.do("PLAY", ts.url("live/"), hdr("Session", sessionID(t, res))), 200)
	rtpFrames(t, c, 6, 3)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	begun := time.Now()
	udpBye := make(chan bool, 1)
	go func() {
		buf := make([]byte, 2048)
		uRTCP.SetReadDeadline(time.Now().Add(2 * time.Second))
		for {
			n, err := uRTCP.Read(buf)
			if err != nil {
				udpBye <- false
				return
			}
			if isBye(buf[:n]) {
				udpBye <- true
				return
			}
		}
	}()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if !<-udpBye {
		t.Error("no RTCP BYE on the UDP client's RTCP port")
	}
	tcpBye := false
	c.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
	for _, f := range c.frames {
		tcpBye = tcpBye || f.Channel == 7 && isBye(f.Payload)
	}
	for !tcpBye {
		m, err := c.r.ReadMessage()
		if err != nil {
			break
		}
		if f, ok := m.(*message.Interleaved); ok && f.Channel == 7 && isBye(f.Payload) {
			tcpBye = true
		}
	}
	if !tcpBye {
		t.Error("no RTCP BYE on the TCP client's interleaved RTCP channel")
	}
	if d := time.Since(begun); d > 2*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
}

// isBye reports whether a compound RTCP packet holds a BYE.
func isBye(b []byte) bool {
	for len(b) >= 4 {
		if b[0]>>6 != 2 {
			return false
		}
		if b[1] == 203 {
			return true
		}
		n := (int(b[2])<<8 | int(b[3]) + 1) * 4
		if n > len(b) {
			return false
		}
		b = b[n:]
	}
	return false
}

func seqOf(t testing.TB, e headers.RTPInfoEntry) uint16 {
	t.Helper()
	if e.Seq == nil {
		t.Fatalf("RTP-Info entry %s has no seq", e.URL)
	}
	return *e.Seq
}

func timeOf(t testing.TB, e headers.RTPInfoEntry) uint32 {
	t.Helper()
	if e.RTPTime == nil {
		t.Fatalf("RTP-Info entry %s has no rtptime", e.URL)
	}
	return *e.RTPTime
}
