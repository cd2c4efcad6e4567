package firmware

import (
	"encoding/base64"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"rtspcam/firmware/config"
	"rtspcam/rtsp/message"
)

// A constrained-baseline 320x240 H.264 SPS and its PPS, from x264.
var (
	testSPS, _ = base64.StdEncoding.DecodeString("Z0LADdoFB+wEQAAAAwBAAAAMg8UKqA==")
	testPPS, _ = base64.StdEncoding.DecodeString("aM4PyA==")
)

// rawPublisher is a Go RTSP publisher over TCP that sends what the test
// tells it to, and nothing when told nothing (a stalled publisher).
type rawPublisher struct {
	*rawConn
	url     string
	session string
	seq     uint16
	ssrc    uint32
	buf     []byte
}

// rawPublish announces sdp on url and records one track over TCP.
func rawPublish(t *testing.T, url, sdp string) *rawPublisher {
	t.Helper()
	p := &rawPublisher{rawConn: dialRaw(t, url), url: url, ssrc: rand.Uint32(), seq: uint16(rand.Uint32()), buf: make([]byte, 4+1500)}
	if res := p.do(t, "ANNOUNCE", url, message.Header{"Content-Type": {"application/sdp"}}, []byte(sdp)...); res.StatusCode != 200 {
		t.Fatalf("ANNOUNCE: %d", res.StatusCode)
	}
	res := p.do(t, "SETUP", url+"/streamid=0", message.Header{"Transport": {"RTP/AVP/TCP;unicast;interleaved=0-1;mode=record"}})
	if res.StatusCode != 200 {
		t.Fatalf("SETUP: %d", res.StatusCode)
	}
	p.session, _, _ = strings.Cut(res.Header.Get("Session"), ";")
	if res := p.do(t, "RECORD", url, message.Header{"Session": {p.session}}); res.StatusCode != 200 {
		t.Fatalf("RECORD: %d", res.StatusCode)
	}
	return p
}

// send writes one RTP packet with payload pl on channel 0.
func (p *rawPublisher) send(t *testing.T, pl []byte, marker bool, ts uint32) {
	t.Helper()
	b := p.buf[4 : 4+12+len(pl)]
	b[0], b[1] = 0x80, 96
	if marker {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], p.seq)
	binary.BigEndian.PutUint32(b[4:], ts)
	binary.BigEndian.PutUint32(b[8:], p.ssrc)
	copy(b[12:], pl)
	p.seq++
	p.buf[0], p.buf[1] = '$', 0
	binary.BigEndian.PutUint16(p.buf[2:], uint16(len(b)))
	p.nc.SetWriteDeadline(time.Now().Add(3 * time.Second))
	if _, err := p.nc.Write(p.buf[:4+len(b)]); err != nil {
		t.Fatal(err)
	}
}

// stapA aggregates NAL units into one STAP-A payload.
func stapA(nalus ...[]byte) []byte {
	out := []byte{24}
	for _, n := range nalus {
		out = binary.BigEndian.AppendUint16(out, uint16(len(n)))
		out = append(out, n...)
	}
	return out
}

// sendGOP sends an IDR access unit (SPS and PPS in a STAP-A when withPS,
// then a small IDR slice) and n P slices, 40 ms apart in RTP time.
func (p *rawPublisher) sendGOP(t *testing.T, ts uint32, withPS bool, n int) uint32 {
	t.Helper()
	if withPS {
		p.send(t, stapA(testSPS, testPPS), false, ts)
	}
	p.send(t, []byte{0x65, 0x88, 0x84, 0x00, 0x33}, true, ts)
	for i := 0; i < n; i++ {
		ts += 3600
		p.send(t, []byte{0x41, 0x9a, 0x02, 0x04}, true, ts)
	}
	// The connection is read in order: the answer means every packet
	// before it reached the relay.
	if res := p.do(t, "OPTIONS", p.url, message.Header{}); res.StatusCode != 200 {
		t.Fatalf("OPTIONS on the publishing connection: %d", res.StatusCode)
	}
	return ts + 3600
}

const rawSDP = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=raw\r\nt=0 0\r\n" +
	"m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\na=control:streamid=0\r\n"

// rtpInfoSeq is the seq= of the first RTP-Info entry.
func rtpInfoSeq(t *testing.T, info string) int64 {
	t.Helper()
	for _, part := range strings.Split(info, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "seq="); ok {
			n, err := strconv.ParseUint(v, 10, 16)
			if err == nil {
				return int64(n)
			}
		}
	}
	t.Fatalf("no seq in RTP-Info %q", info)
	return 0
}

func waitFirstPacket(t *testing.T, r *stubbornReader) int64 {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for r.firstSeq.Load() < 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if r.firstSeq.Load() < 0 {
		t.Fatal("the reader got no RTP packet")
	}
	return r.firstSeq.Load()
}

// TestPublishConfigApplied: <gop_cache> and <publish_timeout> from the
// configuration are in force from the start and after a reload. With the
// cache a reader starts on the cached keyframe (packets older than its
// RTP-Info); with <gop_cache>0 it starts at the next keyframe. A stalled
// publisher is dropped after <publish_timeout>, and its publishing and
// reading sessions end with it.
func TestPublishConfigApplied(t *testing.T) {
	pa := pubStart(t, func(c *config.Config) { c.PublishTimeout = time.Second }, PublishOptions{})

	url := pa.base + "cfg/a"
	pub := rawPublish(t, url, rawSDP)
	pub.sendGOP(t, 0, true, 10)
	r := dialStubborn(t, url, false)
	first := waitFirstPacket(t, r)
	if info := rtpInfoSeq(t, r.rtpInfo); int16(uint16(first)-uint16(info)) >= 0 {
		t.Fatalf("with the GOP cache the reader starts at seq %d, not before its RTP-Info seq %d", first, info)
	}
	stalled := time.Now()
	deadline := stalled.Add(4 * time.Second)
	for (pa.app.Sessions() > 0 || len(pa.app.Publications()) > 0) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n, p := pa.app.Sessions(), pa.app.Publications(); n != 0 || len(p) != 0 {
		t.Fatalf("%v after the publisher stalled with publish_timeout 1 s: %d sessions, publications %v", time.Since(stalled), n, p)
	}
	if r.byes.Load() == 0 {
		t.Fatal("the reader got no RTCP BYE when the publisher stalled")
	}

	cfg := config.Default()
	cfg.RTSPPort, cfg.MediaDir = pa.app.Config().RTSPPort, pa.app.Config().MediaDir
	cfg.GOPCache, cfg.PublishTimeout = 0, 2*time.Second
	pa.app.Reload(cfg)

	url = pa.base + "cfg/b"
	pub = rawPublish(t, url, rawSDP)
	ts := pub.sendGOP(t, 0, true, 10)
	r = dialStubborn(t, url, false)
	info := rtpInfoSeq(t, r.rtpInfo)
	pub.sendGOP(t, ts, true, 3)
	if first := waitFirstPacket(t, r); int16(uint16(first)-uint16(info)) < 0 {
		t.Fatalf("with <gop_cache>0 the reader starts at seq %d, before its RTP-Info seq %d: a cache replayed", first, info)
	}
	stalled = time.Now()
	time.Sleep(1300 * time.Millisecond)
	if !slices.Contains(pa.app.Publications(), "cfg/b") {
		t.Fatalf("publication ended %v after the stall, before the reloaded publish_timeout of 2 s", time.Since(stalled))
	}
	deadline = stalled.Add(5 * time.Second)
	for (pa.app.Sessions() > 0 || len(pa.app.Publications()) > 0) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n, p := pa.app.Sessions(), pa.app.Publications(); n != 0 || len(p) != 0 {
		t.Fatalf("%v after the stall with publish_timeout 2 s: %d sessions, publications %v", time.Since(stalled), n, p)
	}
}
