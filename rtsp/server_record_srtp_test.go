package rtsp_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"rtspcam/rtsp"
	"rtspcam/rtsp/headers"
	"rtspcam/rtsp/message"
	"rtspcam/rtsp/mikey"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/srtp"
)

// srtpPubHandler takes every ANNOUNCE and keeps what the publisher sent, as
// the publication sees it (decrypted).
type srtpPubHandler struct {
	mu         sync.Mutex
	rtp, rtcps [][]byte
}

func (h *srtpPubHandler) OpenMedia(*rtsp.Request) (rtsp.Media, error) { return nil, rtsp.ErrNotFound }

func (h *srtpPubHandler) Announce(*rtsp.Request, []payload.Format) (rtsp.Publication, error) {
	return h, nil
}

func (h *srtpPubHandler) WriteRTP(_ int, b []byte) error {
	h.mu.Lock()
	h.rtp = append(h.rtp, append([]byte(nil), b...))
	h.mu.Unlock()
	return nil
}

func (h *srtpPubHandler) WriteRTCP(_ int, b []byte) error {
	h.mu.Lock()
	h.rtcps = append(h.rtcps, append([]byte(nil), b...))
	h.mu.Unlock()
	return nil
}

func (h *srtpPubHandler) Close() {}

func (h *srtpPubHandler) got() (rtp, rtcp int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.rtp), len(h.rtcps)
}

func newSRTPPubServer(t *testing.T, tune ...func(*rtsp.Server)) (*rtsp.Server, *srtpPubHandler, string) {
	t.Helper()
	h := &srtpPubHandler{}
	srv := &rtsp.Server{Handler: h, IdleTimeout: 10 * time.Second}
	for _, f := range tune {
		f(srv)
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return srv, h, l.Addr().String()
}

// savpSDP announces one H.264 media as RTP/SAVP with keying lines.
func savpSDP(keying ...string) string {
	s := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=pub\r\nt=0 0\r\nm=video 0 RTP/SAVP 96\r\n" +
		"a=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\na=control:trackID=0\r\n"
	for _, k := range keying {
		s += "a=" + k + "\r\n"
	}
	return s
}

func mikeyOf(t *testing.T, k srtp.Keys) string {
	t.Helper()
	m, err := mikey.NewSRTP(k.Master[:], k.Profile.TagLen(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(m.Marshal())
}

// senderReport is a minimal RTCP SR from ssrc.
func senderReport(ssrc uint32) []byte {
	b := make([]byte, 28)
	b[0], b[1], b[3] = 0x80, 200, 6
	b[4], b[5], b[6], b[7] = byte(ssrc>>24), byte(ssrc>>16), byte(ssrc>>8), byte(ssrc)
	return b
}

// TestRecordSRTP publishes SRTP the ways publishers do: SDES a=crypto in
// the ANNOUNCE over UDP, MIKEY in the ANNOUNCE and the SETUP's KeyMgmt over
// TCP (GStreamer's rtspclientsink profiles=savp). The publication gets the
// plaintext; a packet with a wrong auth tag, SRTP or SRTCP, is dropped and
// counted; nothing plain reaches the publication.
func TestRecordSRTP(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		tcp  bool
		sdes bool
	}{{"sdes-udp", false, true}, {"mikey-tcp", true, false}, {"mikey-udp", false, false}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv, h, addr := newSRTPPubServer(t)
			keys, _ := srtp.NewKeys(srtp.AES128SHA1_80)
			if c.sdes {
				keys, _ = srtp.NewKeys(srtp.AES128SHA1_32)
			}
			cl := dial(t, addr)
			url := "rtsp://" + addr + "/pub"
			var sdpKeys string
			if c.sdes {
				sdpKeys = "crypto:" + keys.Crypto(1).String()
			} else {
				sdpKeys = "key-mgmt:mikey " + mikeyOf(t, keys)
			}
			if code := announce(cl, url, savpSDP(sdpKeys)); code != 200 {
				t.Fatalf("ANNOUNCE: %d", code)
			}

			setup := hdr()
			var rtpConn, rtcpConn *net.UDPConn
			if c.tcp {
				setup.Set("Transport", "RTP/SAVP/TCP;unicast;interleaved=0-1;mode=RECORD")
			} else {
				var port int
				rtpConn, rtcpConn, port = udpPair(t)
				setup.Set("Transport", fmt.Sprintf("RTP/SAVP/UDP;unicast;client_port=%d-%d;mode=RECORD", port, port+1))
			}
			if !c.sdes {
				setup.Set("KeyMgmt", fmt.Sprintf(`prot=mikey;uri="%s/trackID=0";data="%s"`, url, mikeyOf(t, keys)))
			}
			res := cl.do("SETUP", url+"/trackID=0", setup)
			expectStatus(t, "SETUP", res, 200)
			trs, err := headers.ParseTransports(res.Header.Get("Transport"))
			if err != nil || trs[0].Profile != "RTP/SAVP" {
				t.Fatalf("Transport reply %q: %v", res.Header.Get("Transport"), err)
			}
			id := sessionID(t, res)
			expectStatus(t, "RECORD", cl.do("RECORD", url, hdr("Session", id)), 200)

			send := func(b []byte, rtcp bool) {
				if c.tcp {
					ch := uint8(0)
					if rtcp {
						ch = 1
					}
					f := &message.Interleaved{Channel: ch, Payload: b}
					w, _ := f.Marshal()
					cl.writeRaw(w)
					return
				}
				conn, port := rtpConn, trs[0].ServerPorts[0]
				if rtcp {
					conn, port = rtcpConn, trs[0].ServerPorts[1]
				}
				if _, err := conn.WriteToUDP(b, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}); err != nil {
					t.Fatal(err)
				}
			}
			out, _ := srtp.NewSender(keys)
			secret := []byte("plaintext of the published frame")
			var plain [][]byte
			for seq := uint16(100); seq < 110; seq++ {
				p := testRTP(t, seq, secret)
				plain = append(plain, p)
				enc, err := out.RTP(p)
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(enc, secret[:12]) {
					t.Fatal("the sender's packet carries plaintext")
				}
				if seq == 105 { // a forgery between good packets
					forged := append([]byte(nil), enc...)
					forged[len(forged)-1] ^= 0x40
					send(forged, false)
				}
				send(enc, false)
			}
			sr, _ := out.RTCP(senderReport(0x5eed))
			send(sr, true)
			bad := append([]byte(nil), sr...)
			bad[len(bad)-2] ^= 1
			send(bad, true)
			// A plain RTP packet on an SRTP session is no SRTP either.
			send(testRTP(t, 200, secret), false)

			waitFor(t, "every packet to arrive", 5*time.Second, func() bool {
				n, m := h.got()
				return n == len(plain) && m == 1 && srv.SRTPRejected() == 3
			})
			time.Sleep(50 * time.Millisecond)
			h.mu.Lock()
			defer h.mu.Unlock()
			if len(h.rtp) != len(plain) || len(h.rtcps) != 1 || srv.SRTPRejected() != 3 {
				t.Fatalf("publication got %d RTP and %d RTCP, rejected %d; want %d, 1, 3", len(h.rtp), len(h.rtcps), srv.SRTPRejected(), len(plain))
			}
			for i := range plain {
				if !bytes.Equal(h.rtp[i], plain[i]) {
					t.Fatalf("RTP %d: publication got %x, want the plaintext %x", i, h.rtp[i], plain[i])
				}
			}
			if !bytes.Equal(h.rtcps[0], senderReport(0x5eed)) {
				t.Fatalf("RTCP: publication got %x", h.rtcps[0])
			}
		})
	}
}

// TestRecordSRTPRefused: keys that cannot be used are refused with a clear
// status, never half-accepted.
func TestRecordSRTPRefused(t *testing.T) {
	t.Parallel()
	_, _, addr := newSRTPPubServer(t)
	url := "rtsp://" + addr + "/pub"
	for _, c := range []struct {
		name            string
		sdp             string
		transport, km   string
		announce, setup int
	}{
		{"bad crypto", savpSDP("crypto:1 AES_CM_128_HMAC_SHA1_80 inline:short"), "", "", 400, 0},
		{"unknown suite", savpSDP("crypto:1 F8_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"), "", "", 400, 0},
		{"bad mikey", savpSDP("key-mgmt:mikey AQAFAA=="), "", "", 400, 0},
		{"savp without keys", savpSDP(), "RTP/SAVP/TCP;unicast;interleaved=0-1;mode=record", "", 200, 461},
		{"bad KeyMgmt", savpSDP(), "RTP/SAVP/TCP;unicast;interleaved=0-1;mode=record", `prot=mikey;data="!!"`, 200, 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			cl := dial(t, addr)
			if code := announce(cl, url, c.sdp); code != c.announce {
				t.Fatalf("ANNOUNCE: %d, want %d", code, c.announce)
			}
			if c.setup == 0 {
				return
			}
			h := hdr("Transport", c.transport)
			if c.km != "" {
				h.Set("KeyMgmt", c.km)
			}
			expectStatus(t, "SETUP", cl.do("SETUP", url+"/trackID=0", h), c.setup)
		})
	}
}

func testRTP(t *testing.T, seq uint16, payload []byte) []byte {
	t.Helper()
	b := make([]byte, 12+len(payload))
	b[0], b[1] = 0x80, 96
	b[2], b[3] = byte(seq>>8), byte(seq)
	b[4], b[7] = 1, 2
	b[8], b[9], b[10], b[11] = 0, 0, 0x5e, 0xed
	copy(b[12:], payload)
	return b
}

// TestRecordSRTPNoLeaks: SRTP publishing sessions over UDP and TCP, ended
// by TEARDOWN or by the publisher's connection dropping, leave no
// goroutine and no descriptor behind (the UDP pair's readers each own a
// Receiver and end with their sockets).
func TestRecordSRTPNoLeaks(t *testing.T) {
	_, _, addr := newSRTPPubServer(t)
	url := "rtsp://" + addr + "/pub"
	keys, _ := srtp.NewKeys(srtp.AES128SHA1_80)
	publish := func(tcp, teardown bool) {
		cl := dial(t, addr)
		if code := announce(cl, url, savpSDP("crypto:"+keys.Crypto(1).String())); code != 200 {
			t.Fatalf("ANNOUNCE: %d", code)
		}
		tr := "RTP/SAVP/TCP;unicast;interleaved=0-1;mode=record"
		if !tcp {
			a, b, port := udpPair(t)
			defer a.Close()
			defer b.Close()
			tr = fmt.Sprintf("RTP/SAVP;unicast;client_port=%d-%d;mode=record", port, port+1)
		}
		res := cl.do("SETUP", url+"/trackID=0", hdr("Transport", tr))
		expectStatus(t, "SETUP", res, 200)
		id := sessionID(t, res)
		expectStatus(t, "RECORD", cl.do("RECORD", url, hdr("Session", id)), 200)
		if teardown {
			expectStatus(t, "TEARDOWN", cl.do("TEARDOWN", url, hdr("Session", id)), 200)
		}
		cl.nc.Close()
	}
	publish(true, true) // warm-up: the server's lazily started parts
	time.Sleep(100 * time.Millisecond)
	g0, fd0 := runtime.NumGoroutine(), countFDs(t)
	for _, tcp := range []bool{false, true} {
		for _, teardown := range []bool{false, true} {
			publish(tcp, teardown)
		}
	}
	var g, fd int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if g, fd = runtime.NumGoroutine(), countFDs(t); g <= g0 && fd <= fd0 {
			break
		}
	}
	if g > g0 || fd > fd0 {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines and %d descriptors after the publishers left, %d and %d before:\n%s", g, fd, g0, fd0, buf[:runtime.Stack(buf, true)])
	}
}

// TestRecordSRTPOverRTSPS: keys that come inside TLS are no cause for a
// warning; over plain RTSP they are.
func TestRecordSRTPOverRTSPS(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	srv, _, addr := newSRTPPubServer(t, func(s *rtsp.Server) {
		s.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	})
	cfg, err := testTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.ServeTLS(l, cfg)
	keys, _ := srtp.NewKeys(srtp.AES128SHA1_80)
	tc := clientOn(t, dialTLS(t, l.Addr().String()))
	url := "rtsp://" + l.Addr().String() + "/secure"
	if code := announce(tc, url, savpSDP("key-mgmt:mikey "+mikeyOf(t, keys))); code != 200 {
		t.Fatalf("ANNOUNCE over TLS: %d", code)
	}
	res := tc.do("SETUP", url+"/trackID=0", hdr("Transport", "RTP/SAVP/TCP;unicast;interleaved=0-1;mode=record",
		"KeyMgmt", fmt.Sprintf(`prot=mikey;uri="%s";data="%s"`, url, mikeyOf(t, keys))))
	expectStatus(t, "SETUP over TLS", res, 200)
	if strings.Contains(logs.String(), "plain RTSP") {
		t.Fatalf("warned about keys that came over TLS:\n%s", logs.String())
	}
	cl := dial(t, addr)
	if code := announce(cl, "rtsp://"+addr+"/plain", savpSDP("key-mgmt:mikey "+mikeyOf(t, keys))); code != 200 {
		t.Fatalf("ANNOUNCE: %d", code)
	}
	if !strings.Contains(logs.String(), "publisher sent SRTP keys over plain RTSP") {
		t.Fatalf("no warning for keys over plain RTSP:\n%s", logs.String())
	}
	secret := base64.StdEncoding.EncodeToString(keys.Master[:])
	if strings.Contains(logs.String(), secret[:20]) || strings.Contains(logs.String(), mikeyOf(t, keys)[:40]) {
		t.Fatal("the log shows the keys")
	}
}
