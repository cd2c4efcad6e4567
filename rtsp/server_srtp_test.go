package rtsp_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"rtspcam/rtsp/headers"
	"rtspcam/rtsp/mikey"
	"rtspcam/rtsp/sdes"
	"rtspcam/rtsp/srtp"
)

// sdpAttr returns the values of every "a=name:" line of an SDP body.
func sdpAttr(body []byte, name string) []string {
	var out []string
	for _, l := range strings.Split(string(body), "\r\n") {
		if v, ok := strings.CutPrefix(l, "a="+name+":"); ok {
			out = append(out, v)
		}
	}
	return out
}

// receiverReport is an RTCP RR with no blocks from ssrc.
func receiverReport(ssrc uint32) []byte {
	return []byte{0x80, 201, 0, 1, byte(ssrc >> 24), byte(ssrc >> 16), byte(ssrc >> 8), byte(ssrc)}
}

// checkSRTP reads n SRTP packets from conn, decrypts each with r and
// checks that no 16-byte stretch of a decrypted payload shows in the bytes
// on the wire: what a capture of the traffic would see.
func checkSRTP(t *testing.T, conn *net.UDPConn, r *srtp.Receiver, n int) {
	t.Helper()
	buf := make([]byte, 2048)
	for i := 0; i < n; i++ {
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		m, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		wire := append([]byte(nil), buf[:m]...)
		plain, err := r.RTP(append([]byte(nil), wire...))
		if err != nil {
			t.Fatalf("packet %d does not decrypt with the offered keys: %v", i, err)
		}
		var p rtp.Packet
		if err := p.Unmarshal(plain); err != nil {
			t.Fatal(err)
		}
		for j := 0; j+16 <= len(p.Payload); j += 8 {
			if bytes.Contains(wire, p.Payload[j:j+16]) {
				t.Fatalf("packet %d carries plaintext payload bytes on the wire", i)
			}
		}
	}
}

// TestSRTPSDES plays the way FFmpeg does: DESCRIBE with srtp=1 offers
// RTP/SAVP with a=crypto, SETUP answers RTP/AVP on the same connection and
// still gets SRTP; the client's SRTCP under the same keys keeps it alive,
// and SRTCP with a wrong auth tag is dropped and counted.
func TestSRTPSDES(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, false, nil)
	c := dial(t, ts.addr)
	res := c.do("DESCRIBE", ts.url("live?srtp=1"), nil)
	expectStatus(t, "DESCRIBE", res, 200)
	if !bytes.Contains(res.Body, []byte(" RTP/SAVP ")) {
		t.Fatalf("SDP does not offer RTP/SAVP:\n%s", res.Body)
	}
	cryptos := sdpAttr(res.Body, "crypto")
	if len(cryptos) != 2 || len(sdpAttr(res.Body, "key-mgmt")) != 2 {
		t.Fatalf("want a=crypto and a=key-mgmt on both media:\n%s", res.Body)
	}
	cr, err := sdes.Parse(cryptos[0])
	if err != nil {
		t.Fatal(err)
	}
	keys, err := srtp.KeysFromCrypto(cr)
	if err != nil {
		t.Fatal(err)
	}
	// The MIKEY line carries the same keys for GStreamer.
	mk, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(sdpAttr(res.Body, "key-mgmt")[0], "mikey "))
	msg, err := mikey.Parse(mk)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := msg.SRTP(); err != nil || !bytes.Equal(k.Master, keys.Master[:]) {
		t.Fatalf("MIKEY keys differ from SDES keys: %v", err)
	}

	rtpConn, rtcpConn, port := udpPair(t)
	res = c.do("SETUP", ts.url("live/?srtp=1/trackID=0"), hdr("Transport", fmt.Sprintf("RTP/AVP;unicast;client_port=%d-%d", port, port+1)))
	expectStatus(t, "SETUP", res, 200)
	trs, err := headers.ParseTransports(res.Header.Get("Transport"))
	if err != nil || trs[0].ServerPorts == nil {
		t.Fatalf("Transport reply %q: %v", res.Header.Get("Transport"), err)
	}
	id := sessionID(t, res)
	expectStatus(t, "PLAY", c.do("PLAY", ts.url("live/?srtp=1"), hdr("Session", id)), 200)
	in, _ := srtp.NewReceiver(keys)
	checkSRTP(t, rtpConn, in, 20)

	// SRTCP from the client: good reports pass, a forged one is counted.
	out, _ := srtp.NewSender(keys)
	server := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: trs[0].ServerPorts[1]}
	good, _ := out.RTCP(receiverReport(0x5eed))
	if _, err := rtcpConn.WriteToUDP(good, server); err != nil {
		t.Fatal(err)
	}
	bad, _ := out.RTCP(receiverReport(0x5eed))
	bad[len(bad)-1] ^= 0x55
	if _, err := rtcpConn.WriteToUDP(bad, server); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the forged SRTCP to be counted", 3*time.Second, func() bool { return ts.srv.SRTPRejected() == 1 })
	good, _ = out.RTCP(receiverReport(0x5eed))
	rtcpConn.WriteToUDP(good, server)
	time.Sleep(100 * time.Millisecond)
	if n := ts.srv.SRTPRejected(); n != 1 {
		t.Fatalf("SRTPRejected = %d after one forged and two good reports, want 1", n)
	}
	expectStatus(t, "TEARDOWN", c.do("TEARDOWN", ts.url("live/"), hdr("Session", id)), 200)
}

// TestSRTPMIKEY plays the way GStreamer does: SETUP asks for RTP/SAVP and
// sends the client's own keys in KeyMgmt; without a DESCRIBE offer the
// server answers with its keys in KeyMgmt. Over TCP too.
func TestSRTPMIKEY(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, false, nil)
	for _, tcp := range []bool{false, true} {
		c := dial(t, ts.addr)
		clientKeys, _ := srtp.NewKeys(srtp.AES128SHA1_32)
		m, _ := mikey.NewSRTP(clientKeys.Master[:], 4, []uint32{0x5eed})
		km := fmt.Sprintf(`prot=mikey; uri="%s"; data="%s"`, ts.url("live"), base64.StdEncoding.EncodeToString(m.Marshal()))
		var rtpConn, rtcpConn *net.UDPConn
		tr := "RTP/SAVP/TCP;unicast;interleaved=0-1"
		if !tcp {
			var port int
			rtpConn, rtcpConn, port = udpPair(t)
			tr = fmt.Sprintf("RTP/SAVP;unicast;client_port=%d-%d", port, port+1)
		}
		res := c.do("SETUP", ts.url("live/trackID=0"), hdr("Transport", tr, "KeyMgmt", km))
		expectStatus(t, "SETUP", res, 200)
		if !strings.HasPrefix(res.Header.Get("Transport"), "RTP/SAVP") {
			t.Fatalf("Transport reply %q is not RTP/SAVP", res.Header.Get("Transport"))
		}
		serverKeys, err := keysOfKeyMgmt(res.Header.Get("KeyMgmt"))
		if err != nil {
			t.Fatal(err)
		}
		id := sessionID(t, res)
		expectStatus(t, "PLAY", c.do("PLAY", ts.url("live/"), hdr("Session", id)), 200)
		in, _ := srtp.NewReceiver(serverKeys)
		if tcp {
			for i := 0; i < 10; i++ {
				f := c.frame(5 * time.Second)
				if f.Channel != 0 {
					continue
				}
				if _, err := in.RTP(f.Payload); err != nil {
					t.Fatalf("interleaved packet %d: %v", i, err)
				}
			}
			continue
		}
		checkSRTP(t, rtpConn, in, 10)
		trs, _ := headers.ParseTransports(res.Header.Get("Transport"))
		server := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: trs[0].ServerPorts[1]}
		before := ts.srv.SRTPRejected()
		// The client protects its reports with its own keys: the server's
		// keys are wrong for them.
		ours, _ := srtp.NewSender(clientKeys)
		theirs, _ := srtp.NewSender(serverKeys)
		b, _ := ours.RTCP(receiverReport(0x5eed))
		rtcpConn.WriteToUDP(b, server)
		b, _ = theirs.RTCP(receiverReport(0x5eed))
		rtcpConn.WriteToUDP(b, server)
		waitFor(t, "the wrongly keyed SRTCP to be counted", 3*time.Second, func() bool { return ts.srv.SRTPRejected() == before+1 })
	}
}

func keysOfKeyMgmt(v string) (srtp.Keys, error) {
	_, data, ok := strings.Cut(v, `data="`)
	if !ok {
		return srtp.Keys{}, fmt.Errorf("no data in KeyMgmt %q", v)
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(data, `"`))
	if err != nil {
		return srtp.Keys{}, err
	}
	m, err := mikey.Parse(b)
	if err != nil {
		return srtp.Keys{}, err
	}
	k, err := m.SRTP()
	if err != nil {
		return srtp.Keys{}, err
	}
	keys := srtp.Keys{Profile: srtp.AES128SHA1_80}
	if k.TagLen == 4 {
		keys.Profile = srtp.AES128SHA1_32
	}
	copy(keys.Master[:], k.Master)
	return keys, nil
}
