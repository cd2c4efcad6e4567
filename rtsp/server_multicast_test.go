package rtsp_test

import (
	"fmt"
	"testing"
	"time"

	"rtspcam/rtsp"
	"rtspcam/rtsp/headers"
)

// TestMulticastTransport checks what SETUP answers for multicast: one
// group in 232.0.0.0/8 per path, the same for every member, a port pair
// per track and a ttl; the group lives while it has members. No PLAY, so
// nothing is sent (the E2E test in firmware plays in a network namespace).
func TestMulticastTransport(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, false, func(s *rtsp.Server) { s.Multicast = true; s.MulticastTTL = 3 })
	setup := func(c *rawClient, url, session, tr string) *message0 {
		h := hdr("Transport", tr)
		if session != "" {
			h.Set("Session", session)
		}
		res := c.do("SETUP", url, h)
		return &message0{code: res.StatusCode, transport: res.Header.Get("Transport"), session: res.Header.Get("Session")}
	}
	var first headers.Transport
	var ids []string
	var clients []*rawClient
	for i := 0; i < 2; i++ {
		c := dial(t, ts.addr)
		clients = append(clients, c)
		r := setup(c, ts.url("live/trackID=0"), "", "RTP/AVP;multicast")
		if r.code != 200 {
			t.Fatalf("multicast SETUP: status %d", r.code)
		}
		trs, err := headers.ParseTransports(r.transport)
		if err != nil {
			t.Fatal(err)
		}
		tr := trs[0]
		if !tr.Multicast || tr.Ports == nil || tr.TTL == nil || *tr.TTL != 3 || tr.Ports[0]%2 != 0 {
			t.Fatalf("Transport reply %q lacks multicast, even ports or ttl=3", r.transport)
		}
		if len(tr.Destination) < 4 || tr.Destination[:4] != "232." {
			t.Fatalf("group %q is not in 232.0.0.0/8", tr.Destination)
		}
		if i == 0 {
			first = tr
		} else if tr.Destination != first.Destination || *tr.Ports != *first.Ports {
			t.Fatalf("second reader got %q, first %s", r.transport, first)
		}
		s, _ := headers.ParseSession(r.session)
		ids = append(ids, s.ID)
		r = setup(c, ts.url("live/trackID=1"), s.ID, "RTP/AVP;multicast")
		trs, _ = headers.ParseTransports(r.transport)
		if r.code != 200 || trs[0].Destination != first.Destination || trs[0].Ports[0] != first.Ports[0]+2 {
			t.Fatalf("track 1: status %d, Transport %q", r.code, r.transport)
		}
	}
	if g := ts.srv.MulticastGroups(); len(g) != 1 {
		t.Fatalf("groups %v, want one", g)
	}
	// A unicast reader of the same path is not pulled into the group.
	c := dial(t, ts.addr)
	_, _, port := udpPair(t)
	r := setup(c, ts.url("live/trackID=0"), "", fmt.Sprintf("RTP/AVP;unicast;client_port=%d-%d", port, port+1))
	if trs, err := headers.ParseTransports(r.transport); r.code != 200 || err != nil || trs[0].Multicast {
		t.Fatalf("unicast SETUP beside the group: %d %q", r.code, r.transport)
	}
	// t=unicast forbids multicast, t=multicast demands it.
	if r := setup(c, ts.url("live?t=unicast/trackID=0"), "", "RTP/AVP;multicast"); r.code != 461 {
		t.Fatalf("multicast with t=unicast: status %d, want 461", r.code)
	}
	if r := setup(c, ts.url("live?t=multicast/trackID=0"), "", fmt.Sprintf("RTP/AVP;unicast;client_port=%d-%d", port, port+1)); r.code != 461 {
		t.Fatalf("unicast with t=multicast: status %d, want 461", r.code)
	}
	expectStatus(t, "TEARDOWN", clients[0].do("TEARDOWN", ts.url("live/"), hdr("Session", ids[0])), 200)
	if g := ts.srv.MulticastGroups(); len(g) != 1 {
		t.Fatalf("groups %v after the first of two left, want one", g)
	}
	expectStatus(t, "TEARDOWN", clients[1].do("TEARDOWN", ts.url("live/"), hdr("Session", ids[1])), 200)
	waitFor(t, "the group to close", 2*time.Second, func() bool { return len(ts.srv.MulticastGroups()) == 0 })
}

// TestMulticastOff: with multicast off in the config a client asking for
// it gets 461, unless the URL asks for it with t=multicast.
func TestMulticastOff(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, false, nil)
	c := dial(t, ts.addr)
	expectStatus(t, "multicast SETUP", c.do("SETUP", ts.url("live/trackID=0"), hdr("Transport", "RTP/AVP;multicast")), 461)
	res := c.do("SETUP", ts.url("live?t=multicast/trackID=0"), hdr("Transport", "RTP/AVP;multicast"))
	expectStatus(t, "multicast SETUP with t=multicast", res, 200)
	expectStatus(t, "TEARDOWN", c.do("TEARDOWN", ts.url("live/"), hdr("Session", sessionID(t, res))), 200)
	waitFor(t, "the group to close", 2*time.Second, func() bool { return len(ts.srv.MulticastGroups()) == 0 })
}

type message0 struct {
	code               int
	transport, session string
}
