package rtsp_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"rtspcam/rtsp/auth"
	"rtspcam/rtsp/message"
)

// rawExchange writes b as is and reads one response.
func rawExchange(t *testing.T, addr, b string) *message.Response {
	t.Helper()
	c := dial(t, addr)
	c.writeRaw([]byte(b))
	return c.readResponse()
}

func TestStatusCodes(t *testing.T) {
	ts := newTestServer(t, false, nil)

	t.Run("400 no CSeq", func(t *testing.T) {
		res := rawExchange(t, ts.addr, "OPTIONS * RTSP/1.0\r\n\r\n")
		expectStatus(t, "no CSeq", res, 400)
	})
	t.Run("400 CSeq not a number", func(t *testing.T) {
		res := rawExchange(t, ts.addr, "OPTIONS * RTSP/1.0\r\nCSeq: abc\r\n\r\n")
		expectStatus(t, "CSeq abc", res, 400)
	})
	t.Run("400 garbage", func(t *testing.T) {
		for _, g := range []string{"hello world\r\n\r\n", "OPTIONS\r\n\r\n", "DESCRIBE rtsp://x/ RTSP/1.0\r\nno colon here\r\n\r\n"} {
			res := rawExchange(t, ts.addr, g)
			expectStatus(t, fmt.Sprintf("%q", g), res, 400)
		}
	})
	t.Run("404", func(t *testing.T) {
		c := dial(t, ts.addr)
		expectStatus(t, "DESCRIBE", c.do("DESCRIBE", ts.url("nope"), nil), 404)
		expectStatus(t, "SETUP", c.do("SETUP", ts.url("nope/trackID=0"), hdr("Transport", "RTP/AVP/TCP;interleaved=0-1")), 404)
		expectStatus(t, "SETUP of a track that does not exist", c.do("SETUP", ts.url("live/trackID=7"), hdr("Transport", "RTP/AVP/TCP;interleaved=0-1")), 404)
	})
	t.Run("454", func(t *testing.T) {
		c := dial(t, ts.addr)
		for _, m := range []string{"PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER", "SET_PARAMETER"} {
			expectStatus(t, m, c.do(m, ts.url("live/"), hdr("Session", "0123456789abcdef")), 454)
		}
		expectStatus(t, "SETUP", c.do("SETUP", ts.url("live/trackID=0"), hdr("Session", "0123456789abcdef", "Transport", "RTP/AVP/TCP;interleaved=0-1")), 454)
	})
	t.Run("455", func(t *testing.T) {
		c := dial(t, ts.addr)
		expectStatus(t, "PLAY before SETUP", c.do("PLAY", ts.url("live/"), nil), 455)
		expectStatus(t, "PAUSE before SETUP", c.do("PAUSE", ts.url("live/"), nil), 455)
		res := c.do("SETUP", ts.url("live/trackID=0"), hdr("Transport", "RTP/AVP/TCP;interleaved=0-1"))
		expectStatus(t, "SETUP", res, 200)
		id := sessionID(t, res)
		expectStatus(t, "SETUP of the same track twice", c.do("SETUP", ts.url("live/trackID=0"), hdr("Session", id, "Transport", "RTP/AVP/TCP;interleaved=2-3")), 455)
		expectStatus(t, "PLAY", c.do("PLAY", ts.url("live/"), hdr("Session", id)), 200)
		expectStatus(t, "SETUP while playing", c.do("SETUP", ts.url("live/trackID=1"), hdr("Session", id, "Transport", "RTP/AVP/TCP;interleaved=2-3")), 455)
	})
	t.Run("459", func(t *testing.T) {
		c := dial(t, ts.addr)
		expectStatus(t, "SETUP of the aggregate of two tracks", c.do("SETUP", ts.url("live"), hdr("Transport", "RTP/AVP/TCP;interleaved=0-1")), 459)
		res := c.do("SETUP", ts.url("live/trackID=0"), hdr("Transport", "RTP/AVP/TCP;interleaved=0-1"))
		expectStatus(t, "SETUP", res, 200)
		id := sessionID(t, res)
		expectStatus(t, "SETUP of another path into the session", c.do("SETUP", ts.url("cam/live/trackID=1"), hdr("Session", id, "Transport", "RTP/AVP/TCP;interleaved=2-3")), 459)
	})
	t.Run("461", func(t *testing.T) {
		// The sessions of the subtests above end as their connections close.
		waitFor(t, "earlier sessions to end", 5*time.Second, func() bool { return ts.srv.Sessions() == 0 })
		c := dial(t, ts.addr)
		for _, tr := range []string{
			"",
			"garbage",
			"RTP/AVP;multicast;port=5000-5001", // multicast is off on this server (TestMulticastOff)
			"RTP/SAVPF;unicast;client_port=5000-5001",
			"RTP/AVP;unicast", // UDP without client ports
			"RTP/AVP/TCP;unicast;interleaved=0-1;mode=record",
			"RTP/AVP/TCP;unicast;interleaved=300-301",
		} {
			h := hdr()
			if tr != "" {
				h.Set("Transport", tr)
			}
			expectStatus(t, fmt.Sprintf("Transport %q", tr), c.do("SETUP", ts.url("live/trackID=0"), h), 461)
		}
		if n := ts.srv.Sessions(); n != 0 {
			t.Errorf("refused SETUPs left %d sessions", n)
		}
	})
	t.Run("501", func(t *testing.T) {
		c := dial(t, ts.addr)
		expectStatus(t, "FROBNICATE", c.do("FROBNICATE", ts.url("live"), nil), 501)
		// The connection stays usable.
		expectStatus(t, "OPTIONS after 501", c.do("OPTIONS", "*", nil), 200)
	})
	t.Run("551", func(t *testing.T) {
		c := dial(t, ts.addr)
		res := c.do("DESCRIBE", ts.url("live"), hdr("Require", "funky-feature"))
		expectStatus(t, "Require", res, 551)
		if res.Header.Get("Unsupported") != "funky-feature" {
			t.Errorf("Unsupported %q, want funky-feature", res.Header.Get("Unsupported"))
		}
		res = c.do("SETUP", ts.url("live/trackID=0"), hdr("Proxy-Require", "gzipped-messages", "Transport", "RTP/AVP/TCP;interleaved=0-1"))
		expectStatus(t, "Proxy-Require", res, 551)
	})
	t.Run("401", func(t *testing.T) {
		ta := newTestServer(t, false, nil)
		v := auth.NewValidator("cam", nil, time.Minute)
		v.SetUsers(map[string]string{"admin": "secret"})
		ta.srv.SetAuth(v)
		c := dial(t, ta.addr)
		expectStatus(t, "OPTIONS needs no credentials", c.do("OPTIONS", "*", nil), 200)
		res := c.do("DESCRIBE", ta.url("live"), nil)
		expectStatus(t, "DESCRIBE without credentials", res, 401)
		if len(res.Header.Values("WWW-Authenticate")) == 0 {
			t.Error("401 without WWW-Authenticate")
		}
	})
}

// TestInterleavedChannels: clients choose channels other than 0-1, or none.
func TestInterleavedChannels(t *testing.T) {
	ts := newTestServer(t, false, nil)
	c := dial(t, ts.addr)
	res := c.do("SETUP", ts.url("live/trackID=0"), hdr("Transport", "RTP/AVP/TCP;unicast;interleaved=4-5"))
	expectStatus(t, "SETUP 4-5", res, 200)
	if !strings.Contains(res.Header.Get("Transport"), "interleaved=4-5") {
		t.Errorf("Transport reply %q", res.Header.Get("Transport"))
	}
	id := sessionID(t, res)
	res = c.do("SETUP", ts.url("live/trackID=1"), hdr("Session", id, "Transport", "RTP/AVP/TCP;unicast;interleaved=10-11"))
	expectStatus(t, "SETUP 10-11", res, 200)
	expectStatus(t, "PLAY", c.do("PLAY", ts.url("live/"), hdr("Session", id)), 200)
	rtpFrames(t, c, 4, 10)
	rtpFrames(t, c, 10, 3)
	for _, f := range c.frames {
		if f.Channel != 4 && f.Channel != 10 && f.Channel != 5 && f.Channel != 11 {
			t.Fatalf("frame on channel %d", f.Channel)
		}
	}

	// No channels asked: the server picks 0-1, then 2-3.
	c2 := dial(t, ts.addr)
	res = c2.do("SETUP", ts.url("live/trackID=0"), hdr("Transport", "RTP/AVP/TCP;unicast"))
	expectStatus(t, "SETUP without interleaved", res, 200)
	if !strings.Contains(res.Header.Get("Transport"), "interleaved=0-1") {
		t.Errorf("Transport reply %q, want interleaved=0-1", res.Header.Get("Transport"))
	}
	id2 := sessionID(t, res)
	res = c2.do("SETUP", ts.url("live/trackID=1"), hdr("Session", id2, "Transport", "RTP/AVP/TCP;unicast"))
	expectStatus(t, "second SETUP without interleaved", res, 200)
	if !strings.Contains(res.Header.Get("Transport"), "interleaved=2-3") {
		t.Errorf("Transport reply %q, want interleaved=2-3", res.Header.Get("Transport"))
	}
	expectStatus(t, "PLAY", c2.do("PLAY", ts.url("live/"), hdr("Session", id2)), 200)
	rtpFrames(t, c2, 0, 5)
}

// TestControlURLs: the shapes of SETUP and PLAY URLs real clients send.
func TestControlURLs(t *testing.T) {
	ts := newTestServer(t, false, nil)
	base := "rtsp://" + ts.addr
	cases := []struct{ name, track0, track1, play string }{
		{"absolute with slash", base + "/live/trackID=0", base + "/live/trackID=1", base + "/live/"},
		{"absolute without slash", base + "/livetrackID=0", base + "/livetrackID=1", base + "/live"},
		{"trailing slash", base + "/live/trackID=0/", base + "/live/trackID=1/", base + "/live/"},
		{"relative", "/live/trackID=0", "/live/trackID=1", "/live"},
		{"query before control", base + "/live?res=low/trackID=0", base + "/live?res=low/trackID=1", base + "/live?res=low"},
		{"query and ampersand", base + "/live?res=low&trackID=0", base + "/live?res=low&trackID=1", base + "/live?res=low/"},
		{"deeper path", base + "/cam/live/trackID=0", base + "/cam/live/trackID=1", base + "/cam/live/"},
		{"streamid", base + "/live/streamid=0", base + "/live/streamid=1", base + "/live/"},
		{"upper-case host and default port", base + "/live/TRACKID=0", base + "/live/TrackId=1", base + "/live"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, ts.addr)
			res := c.do("DESCRIBE", tc.play, nil)
			expectStatus(t, "DESCRIBE "+tc.play, res, 200)
			res = c.do("SETUP", tc.track0, hdr("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"))
			expectStatus(t, "SETUP "+tc.track0, res, 200)
			id := sessionID(t, res)
			res = c.do("SETUP", tc.track1, hdr("Session", id, "Transport", "RTP/AVP/TCP;unicast;interleaved=2-3"))
			expectStatus(t, "SETUP "+tc.track1, res, 200)
			res = c.do("PLAY", tc.play, hdr("Session", id))
			expectStatus(t, "PLAY "+tc.play, res, 200)
			if n := strings.Count(res.Header.Get("RTP-Info"), "url="); n != 2 {
				t.Errorf("RTP-Info %q: %d entries, want 2", res.Header.Get("RTP-Info"), n)
			}
			rtpFrames(t, c, 0, 3)
			expectStatus(t, "TEARDOWN", c.do("TEARDOWN", tc.play, hdr("Session", id)), 200)
		})
	}
}

// TestPerTrackPlay: PLAY of one track's URL plays the session.
func TestPerTrackPlay(t *testing.T) {
	ts := newTestServer(t, false, nil)
	c := dial(t, ts.addr)
	res := c.do("SETUP", ts.url("live/trackID=0"), hdr("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"))
	expectStatus(t, "SETUP", res, 200)
	id := sessionID(t, res)
	res = c.do("PLAY", ts.url("live/trackID=0"), hdr("Session", id))
	expectStatus(t, "PLAY of the track URL", res, 200)
	info := res.Header.Get("RTP-Info")
	if !strings.Contains(info, "url="+ts.url("live/trackID=0")+";") {
		t.Errorf("RTP-Info %q does not name the track", info)
	}
	rtpFrames(t, c, 0, 5)
}

// TestRepeatedDescribe: some NVRs DESCRIBE again on the same connection.
func TestRepeatedDescribe(t *testing.T) {
	ts := newTestServer(t, false, nil)
	c := dial(t, ts.addr)
	var first string
	for i := 0; i < 5; i++ {
		res := c.do("DESCRIBE", ts.url("live"), nil)
		expectStatus(t, "DESCRIBE", res, 200)
		body := string(res.Body)
		// o= carries a time; the media sections must not change.
		if i := strings.Index(body, "m="); i >= 0 {
			body = body[i:]
		}
		if i == 0 {
			first = body
		} else if body != first {
			t.Fatalf("DESCRIBE %d gave other media:\n%s\nvs\n%s", i, body, first)
		}
	}
	if ts.live.Readers() != 0 {
		t.Errorf("DESCRIBE left %d readers on the live source", ts.live.Readers())
	}
}

// TestOddHeaders: lower-case names, missing and extra spaces, folded lines.
func TestOddHeaders(t *testing.T) {
	ts := newTestServer(t, false, nil)
	c := dial(t, ts.addr)
	u := ts.url("live/trackID=0")
	c.writeRaw([]byte("SETUP " + u + " RTSP/1.0\r\ncseq:1\r\ntransport :   RTP/AVP/TCP;unicast;interleaved=0-1  \r\nuser-agent:\t odd client\r\n\r\n"))
	res := c.readResponse()
	expectStatus(t, "lower-case SETUP", res, 200)
	if res.Header.Get("CSeq") != "1" {
		t.Errorf("CSeq %q", res.Header.Get("CSeq"))
	}
	id := sessionID(t, res)
	c.writeRaw([]byte("PLAY " + ts.url("live/") + " RTSP/1.0\r\nCSEQ:  2\r\nSESSION:" + id + "\r\nRANGE: npt=0.000-\r\n\r\n"))
	res = c.readResponse()
	expectStatus(t, "upper-case PLAY", res, 200)
	if res.Header.Get("CSeq") != "2" {
		t.Errorf("CSeq %q", res.Header.Get("CSeq"))
	}
	rtpFrames(t, c, 0, 3)
	c.writeRaw([]byte("GET_PARAMETER " + ts.url("live/") + " RTSP/1.0\r\nCSeq: 3\r\nsession: " + id + ";timeout=60\r\ncontent-length: 0\r\n\r\n"))
	res = c.readResponse()
	expectStatus(t, "GET_PARAMETER with a timeout in Session", res, 200)
}

// TestNonUTF8URLs: request URLs with invalid UTF-8 before a control part
// once made the URL parser slice out of range (found by FuzzParseTarget).
func TestNonUTF8URLs(t *testing.T) {
	ts := newTestServer(t, false, nil)
	c := dial(t, ts.addr)
	expectStatus(t, "DESCRIBE", c.do("DESCRIBE", "rtsp://"+ts.addr+"/\xectrACk=", nil), 404)
	res := c.do("SETUP", ts.url("live/trackID=0"), hdr("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"))
	expectStatus(t, "SETUP", res, 200)
	res = c.do("PLAY", ts.url("live/\xec\xecTRACKID=0"), hdr("Session", sessionID(t, res)))
	expectStatus(t, "PLAY", res, 200)
	expectStatus(t, "OPTIONS after", c.do("OPTIONS", "*", nil), 200)
}
