package rtsp_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"rtspcam/rtsp/message"
)

// TestHeaderTooLarge: a request over message.MaxHeaderBytes is answered
// with an error and the connection is closed.
func TestHeaderTooLarge(t *testing.T) {
	ts := newTestServer(t, false, nil)
	for _, shape := range []string{"one long header", "many headers", "endless start line"} {
		t.Run(shape, func(t *testing.T) {
			c := dial(t, ts.addr)
			var b bytes.Buffer
			switch shape {
			case "one long header":
				b.WriteString("DESCRIBE " + ts.url("live") + " RTSP/1.0\r\nCSeq: 1\r\nX-Pad: ")
				b.WriteString(strings.Repeat("a", message.MaxHeaderBytes+100))
				b.WriteString("\r\n\r\n")
			case "many headers":
				b.WriteString("DESCRIBE " + ts.url("live") + " RTSP/1.0\r\nCSeq: 1\r\n")
				for b.Len() < message.MaxHeaderBytes+1000 {
					fmt.Fprintf(&b, "X-H%d: %s\r\n", b.Len(), strings.Repeat("b", 60))
				}
			case "endless start line":
				b.WriteString("DESCRIBE rtsp://" + ts.addr + "/" + strings.Repeat("c", 2*message.MaxHeaderBytes))
			}
			c.writeRaw(b.Bytes())
			res := c.readResponse()
			if res.StatusCode != 400 && res.StatusCode != 413 && res.StatusCode != 414 {
				t.Fatalf("status %d, want 400", res.StatusCode)
			}
			c.nc.SetReadDeadline(time.Now().Add(3 * time.Second))
			if n, err := io.Copy(io.Discard, c.nc); err != nil && !isReset(err) {
				t.Fatalf("connection not closed after the error: %v (%d bytes more)", err, n)
			}
		})
	}
	// The server still answers.
	expectStatus(t, "OPTIONS after", dial(t, ts.addr).do("OPTIONS", "*", nil), 200)
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

// TestRandomBytes throws random blobs (some dressed as RTSP, some as
// interleaved frames) at the port; the server must shrug them off.
func TestRandomBytes(t *testing.T) {
	ts := newTestServer(t, false, nil)
	throwGarbage(t, ts.addr, 300)
	c := dial(t, ts.addr)
	res := c.do("DESCRIBE", ts.url("live"), nil)
	expectStatus(t, "DESCRIBE after the garbage", res, 200)
	if !bytes.Contains(res.Body, []byte("m=video")) {
		t.Fatalf("SDP after the garbage:\n%s", res.Body)
	}
	waitFor(t, "no sessions", 3*time.Second, func() bool { return ts.srv.Sessions() == 0 })
}

func throwGarbage(t *testing.T, addr string, n int) {
	t.Helper()
	rng := rand.New(rand.NewSource(1))
	blobs := make([][]byte, n)
	prefixes := []string{"", "OPTIONS * RTSP/1.0\r\n", "DESCRIBE rtsp://h/live RTSP/1.0\r\nCSeq: 1\r\n", "$\x00", "SETUP /live/trackID=0 RTSP/1.0\r\nCSeq: 2\r\nTransport: ", "GET / HTTP/1.1\r\n", "RTSP/1.0 200 OK\r\n"}
	for i := range blobs {
		b := []byte(prefixes[i%len(prefixes)])
		tail := make([]byte, rng.Intn(2000))
		rng.Read(tail)
		if i%3 == 0 {
			for j := range tail { // printable, with line ends
				tail[j] = " :;=-/\r\nabcXYZ0123456789"[int(tail[j])%23]
			}
		}
		blobs[i] = append(b, tail...)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, b := range blobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			nc, err := net.Dial("tcp4", addr)
			if err != nil {
				t.Errorf("dial: %v", err)
				return
			}
			defer nc.Close()
			nc.SetDeadline(time.Now().Add(300 * time.Millisecond))
			nc.Write(b)
			io.Copy(io.Discard, nc)
		}()
	}
	wg.Wait()
}

// TestNoLeaks: after clients of every kind leave, the server holds no
// more goroutines and descriptors than before they came.
func TestNoLeaks(t *testing.T) {
	ts := newTestServer(t, true, nil)
	w := dial(t, ts.addr)
	expectStatus(t, "warm-up", w.do("OPTIONS", "*", nil), 200)
	w.nc.Close()
	time.Sleep(100 * time.Millisecond)
	g0, fd0 := runtime.NumGoroutine(), countFDs(t)

	func() {
		var socks []io.Closer
		for i, tr := range []string{"udp", "tcp", "udp", "tcp"} {
			c := dial(t, ts.addr)
			socks = append(socks, c.nc)
			path := "live"
			if i >= 2 {
				path = "file"
			}
			transport := "RTP/AVP/TCP;unicast;interleaved=0-1"
			if tr == "udp" {
				a, b, p := udpPair(t)
				socks = append(socks, a, b)
				transport = fmt.Sprintf("RTP/AVP;unicast;client_port=%d-%d", p, p+1)
			}
			res := c.do("SETUP", ts.url(path+"/trackID=0"), hdr("Transport", transport))
			expectStatus(t, "SETUP", res, 200)
			id := sessionID(t, res)
			expectStatus(t, "PLAY", c.do("PLAY", ts.url(path), hdr("Session", id)), 200)
			if i%2 == 0 {
				expectStatus(t, "PAUSE", c.do("PAUSE", ts.url(path), hdr("Session", id)), 200)
			}
			if i == 3 {
				expectStatus(t, "TEARDOWN", c.do("TEARDOWN", ts.url(path), hdr("Session", id)), 200)
			}
		}
		// One that only described.
		d := dial(t, ts.addr)
		socks = append(socks, d.nc)
		expectStatus(t, "DESCRIBE", d.do("DESCRIBE", ts.url("file"), nil), 200)
		time.Sleep(200 * time.Millisecond)
		for _, s := range socks {
			s.Close()
		}
		throwGarbage(t, ts.addr, 50)
	}()
	waitFor(t, "sessions to end", 3*time.Second, func() bool { return ts.srv.Sessions() == 0 })
	var g, fd int
	deadline := time.Now().Add(5 * time.Second)
	for {
		g, fd = runtime.NumGoroutine(), countFDs(t)
		if g <= g0 && fd <= fd0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if g > g0 {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines after the clients left, %d before:\n%s", g, g0, buf[:runtime.Stack(buf, true)])
	}
	if fd > fd0 {
		t.Errorf("%d descriptors after the clients left, %d before", fd, fd0)
	}
}

func countFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
