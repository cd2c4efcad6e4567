package churn

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rtspcam/firmware"
	"rtspcam/firmware/config"
	"rtspcam/rtsp/client"
	"rtspcam/rtsp/headers"
	"rtspcam/rtsp/message"
)

// churnDuration is the full minute; RTSPCAM_CHURN_SECONDS sets
// another length (at least 3 s) for a quick run.
func churnDuration(t *testing.T) time.Duration {
	v := os.Getenv("RTSPCAM_CHURN_SECONDS")
	if v == "" {
		return 60 * time.Second
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 3 {
		t.Fatalf("RTSPCAM_CHURN_SECONDS=%q: want whole seconds, at least 3", v)
	}
	return time.Duration(n) * time.Second
}

const churnSDP = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=churn\r\nt=0 0\r\n" +
	"m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n" +
	"a=fmtp:96 packetization-mode=1; sprop-parameter-sets=Z0LAHtkDxWhAAAADAEAAAAwDxYuS,aMuMsg==\r\na=control:streamid=0\r\n"

// churnPublisher is a Go RTSP publisher: ANNOUNCE, SETUP (TCP or UDP),
// RECORD, RTP at 200 packets/s (an IDR every 25), then TEARDOWN or a
// dropped connection.
func churnPublish(ctx context.Context, addr, path string, udp, teardown bool, d time.Duration) error {
	nc, err := net.DialTimeout("tcp4", addr, 3*time.Second)
	if err != nil {
		return err
	}
	defer nc.Close()
	r := message.NewReader(nc)
	cseq := 0
	url := "rtsp://" + addr + "/" + path
	do := func(method, u string, h message.Header, body []byte) (*message.Response, error) {
		cseq++
		if h == nil {
			h = message.Header{}
		}
		h.Set("CSeq", strconv.Itoa(cseq))
		req := &message.Request{Method: method, URL: u, Header: h, Body: body}
		b, err := req.Marshal()
		if err != nil {
			return nil, err
		}
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := nc.Write(b); err != nil {
			return nil, err
		}
		for {
			m, err := r.ReadMessage()
			if err != nil {
				return nil, err
			}
			if res, ok := m.(*message.Response); ok {
				if res.StatusCode != 200 {
					return res, fmt.Errorf("%s: %d", method, res.StatusCode)
				}
				return res, nil
			}
		}
	}
	if _, err := do("ANNOUNCE", url, message.Header{"Content-Type": {"application/sdp"}}, []byte(churnSDP)); err != nil {
		return err
	}
	var uc *net.UDPConn
	tr := "RTP/AVP/TCP;unicast;interleaved=0-1;mode=record"
	if udp {
		uc, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return err
		}
		defer uc.Close()
		p := uc.LocalAddr().(*net.UDPAddr).Port
		tr = fmt.Sprintf("RTP/AVP;unicast;client_port=%d-%d;mode=record", p, p+1)
	}
	res, err := do("SETUP", url+"/streamid=0", message.Header{"Transport": {tr}}, nil)
	if err != nil {
		return err
	}
	sh, err := headers.ParseSession(res.Header.Get("Session"))
	if err != nil {
		return err
	}
	var dst *net.UDPAddr
	if udp {
		trs, err := headers.ParseTransports(res.Header.Get("Transport"))
		if err != nil || trs[0].ServerPorts == nil {
			return fmt.Errorf("SETUP reply %q", res.Header.Get("Transport"))
		}
		dst = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: trs[0].ServerPorts[0]}
	}
	if _, err := do("RECORD", url, message.Header{"Session": {sh.ID}}, nil); err != nil {
		return err
	}
	pkt := make([]byte, 4+12+1000)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	end := time.Now().Add(d)
	ssrc := rand.Uint32()
	for seq := uint16(0); time.Now().Before(end); seq++ {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		b := pkt[4:]
		b[0], b[1] = 0x80, 96|0x80
		binary.BigEndian.PutUint16(b[2:], seq)
		binary.BigEndian.PutUint32(b[4:], uint32(seq)*3600)
		binary.BigEndian.PutUint32(b[8:], ssrc)
		b[12] = 0x41 // non-IDR slice
		if seq%25 == 0 {
			b[12] = 0x65 // IDR slice
		}
		if udp {
			if _, err := uc.WriteToUDP(b, dst); err != nil {
				return err
			}
			continue
		}
		pkt[0], pkt[1] = '$', 0
		binary.BigEndian.PutUint16(pkt[2:], uint16(len(b)))
		nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := nc.Write(pkt); err != nil {
			return err
		}
	}
	if teardown {
		_, err := do("TEARDOWN", url, message.Header{"Session": {sh.ID}}, nil)
		return err
	}
	return nil
}

// TestPublishChurn: 20 publishers (TCP and UDP, leaving by TEARDOWN or by
// dropping the connection) and 200 readers come and go on 20 paths; the
// readers get packets; afterwards no session, publication, goroutine, fd
// or UDP port is left.
func TestPublishChurn(t *testing.T) {
	d := churnDuration(t)
	cfg := config.Default()
	cfg.RTSPPort = freePort(t)
	cfg.MediaDir = t.TempDir()
	cfg.LogEnable = false
	app, err := firmware.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	addr := "127.0.0.1:" + strconv.Itoa(app.Addrs()[0].(*net.TCPAddr).Port)
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	time.Sleep(200 * time.Millisecond)
	baseG, baseFD, baseUDP := runtime.NumGoroutine(), openFDs(t), udpSockets(t)

	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	var published, pubErrs, plays, readPkts atomic.Int64
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ctx.Err() == nil; k++ {
				hold := time.Duration(500+rand.IntN(1500)) * time.Millisecond
				err := churnPublish(ctx, addr, fmt.Sprintf("churn/%d", i), (i+k)%2 == 0, k%3 != 0, hold)
				if err != nil {
					pubErrs.Add(1)
					time.Sleep(50 * time.Millisecond)
				} else {
					published.Add(1)
				}
			}
		}()
	}
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				rctx, rcancel := context.WithTimeout(ctx, time.Duration(200+rand.IntN(1500))*time.Millisecond)
				r, err := client.Dial(rctx, fmt.Sprintf("rtsp://%s/churn/%d", addr, rand.IntN(20)))
				if err == nil {
					if r.Play() == nil {
						plays.Add(1)
						_ = r.Run(rctx)
						for _, tr := range r.Stats().Tracks {
							readPkts.Add(int64(tr.Packets))
						}
					}
					r.Close()
				}
				<-rctx.Done()
				rcancel()
			}
		}()
	}
	// The UDP count must see the server's sockets while they are open,
	// or its zero afterwards would prove nothing.
	var peakUDP atomic.Int64
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for ctx.Err() == nil {
			if n := int64(udpSockets(t)); n > peakUDP.Load() {
				peakUDP.Store(n)
			}
			select {
			case <-ctx.Done():
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
	wg.Wait()
	<-sampled
	if peakUDP.Load() == 0 {
		t.Fatal("no UDP socket seen while UDP publishers were live: the count is blind")
	}
	t.Logf("peak %d UDP sockets during the churn", peakUDP.Load())
	t.Logf("%v: %d publications (%d refused or failed), %d plays, %d packets read", d, published.Load(), pubErrs.Load(), plays.Load(), readPkts.Load())
	if published.Load() < 20 || plays.Load() < 100 || readPkts.Load() == 0 {
		t.Fatalf("too little happened: %d publications, %d plays, %d packets", published.Load(), plays.Load(), readPkts.Load())
	}
	var g, fds, udp int
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		g, fds, udp = runtime.NumGoroutine(), openFDs(t), udpSockets(t)
		if g <= baseG && fds <= baseFD && udp <= baseUDP && app.Sessions() == 0 && len(app.Publications()) == 0 {
			t.Logf("after: %d goroutines, %d fds, %d UDP sockets (baseline %d, %d, %d)", g, fds, udp, baseG, baseFD, baseUDP)
			return
		}
	}
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	t.Fatalf("after the churn: %d goroutines (baseline %d), %d fds (baseline %d), %d UDP sockets (baseline %d), %d sessions, publications %v\n%s",
		g, baseG, fds, baseFD, udp, baseUDP, app.Sessions(), app.Publications(), buf[:n])
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// udpSockets counts the process's UDP sockets (IPv4 and IPv6): the
// socket inodes of its fds that the kernel lists in /proc/net/udp{,6}.
func udpSockets(t *testing.T) int {
	t.Helper()
	inodes := map[string]bool{}
	for _, f := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			if f == "/proc/net/udp6" && os.IsNotExist(err) {
				continue
			}
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			if fields := strings.Fields(line); len(fields) > 9 {
				inodes[fields[9]] = true
			}
		}
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		link, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue
		}
		if inode, ok := strings.CutPrefix(link, "socket:["); ok && inodes[strings.TrimSuffix(inode, "]")] {
			n++
		}
	}
	return n
}
