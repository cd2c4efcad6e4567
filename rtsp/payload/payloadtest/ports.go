package payloadtest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// freeRTPPort finds an even UDP port whose odd neighbour is free too. It
// picks below Linux's ephemeral range (32768 and up), where the kernel
// never hands the port to another process's unbound socket between this
// check and ffmpeg binding it.
func freeRTPPort(t *testing.T) int {
	t.Helper()
	for range 100 {
		port := 10000 + 2*rand.IntN(11000)
		a, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			continue
		}
		b, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port + 1})
		a.Close()
		if err != nil {
			continue
		}
		b.Close()
		return port
	}
	t.Fatal("no free UDP port pair")
	return 0
}

// udpPair binds an even RTP port and the RTCP port after it on loopback.
func udpPair(t *testing.T) (rtpConn, rtcpConn *net.UDPConn) {
	t.Helper()
	for range 100 {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		if port%2 != 0 || port == 65534 {
			c.Close()
			continue
		}
		c2, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port + 1})
		if err != nil {
			c.Close()
			continue
		}
		return c, c2
	}
	t.Fatal("no free UDP port pair")
	return nil, nil
}

// udpSocket finds the socket bound to port in /proc/net/udp and returns
// its receive queue and drop count.
func udpSocket(t *testing.T, port int) (found bool, rxQueue, drops int64) {
	t.Helper()
	b, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(":%04X", port)
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 13 || !strings.HasSuffix(f[1], want) {
			continue
		}
		_, rx, _ := strings.Cut(f[4], ":")
		rxQueue, _ = strconv.ParseInt(rx, 16, 64)
		drops, _ = strconv.ParseInt(f[12], 10, 64)
		return true, rxQueue, drops
	}
	return false, 0, 0
}

// waitBound waits until ffmpeg has bound UDP port; false if ffmpeg exited
// first (another process took the port since freeRTPPort checked it).
func waitBound(t *testing.T, port int, done <-chan struct{}) bool {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if found, _, _ := udpSocket(t, port); found {
			return true
		}
		select {
		case <-done:
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatal("ffmpeg did not bind its port")
	return false
}

// waitDrained waits until ffmpeg has read everything queued on port, and
// fails if the kernel dropped any of it.
func waitDrained(t *testing.T, port int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		found, rx, drops := udpSocket(t, port)
		if drops > 0 {
			t.Fatalf("kernel dropped %d packets for ffmpeg", drops)
		}
		if !found || rx == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("ffmpeg did not read its packets")
}

// startBound starts the ffmpeg that build makes for an SDP on port, and
// waits until it has bound that port. A port found free can be taken by a
// parallel test before ffmpeg binds it: then ffmpeg exits at once and the
// next port is tried. exited closes when ffmpeg ends; *waitErr is then
// its exit status.
func startBound(t *testing.T, build func(port int) *exec.Cmd) (port int, exited <-chan struct{}, waitErr *error) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		port = freeRTPPort(t)
		cmd := build(port)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		var err error
		go func() { err = cmd.Wait(); close(done) }()
		if waitBound(t, port, done) {
			return port, done, &err
		}
		if attempt == 4 {
			t.Fatalf("ffmpeg exited before binding its port: %v", err)
		}
	}
}
