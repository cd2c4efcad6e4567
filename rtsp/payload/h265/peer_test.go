package h265

// Helpers to run ffmpeg as the real peer over loopback UDP. A missing
// ffmpeg fails the test: these are the tests that matter.

import (
	"bytes"
	"context"
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

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
)

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is required for this test: %v", name, err)
	}
}

// clipDir holds the clips of this package's test run, encoded once each.
var (
	clipDir   string
	clipMu    sync.Mutex
	clipCache = map[string]string{}
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rtspcam-clips-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	clipDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// makeClip encodes one second of the lavfi test source with the given
// ffmpeg output arguments, once per test binary, and returns the path.
func makeClip(t *testing.T, name string, args ...string) string {
	t.Helper()
	needTool(t, "ffmpeg")
	clipMu.Lock()
	defer clipMu.Unlock()
	key := name + " " + strings.Join(args, " ")
	if out, ok := clipCache[key]; ok {
		return out
	}
	out := filepath.Join(clipDir, fmt.Sprintf("%d-%s", len(clipCache), name))
	all := append([]string{"-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=25", "-t", "1"}, args...)
	cmd := exec.Command("ffmpeg", append(all, "-y", out)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	clipCache[key] = out
	return out
}

// countFrames asks ffprobe how many frames a file decodes to.
func countFrames(t *testing.T, file string) int {
	t.Helper()
	needTool(t, "ffprobe")
	b, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", file).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("ffprobe said %q", b)
	}
	return n
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

// freePair finds an even port whose pair is free, for ffmpeg to bind.
func freePair(t *testing.T) int {
	a, b := udpPair(t)
	port := a.LocalAddr().(*net.UDPAddr).Port
	a.Close()
	b.Close()
	return port
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

// waitBound waits until ffmpeg has bound UDP port.
func waitBound(t *testing.T, port int, done <-chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if found, _, _ := udpSocket(t, port); found {
			return
		}
		select {
		case <-done:
			t.Fatal("ffmpeg exited before binding its port")
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatal("ffmpeg did not bind its port")
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

// ffmpegDecode starts ffmpeg reading an SDP media of f on a loopback port,
// calls send with a connected UDP socket, ends the stream with RTCP BYE
// and returns how many frames ffmpeg decoded and what it logged at error
// level.
func ffmpegDecode(t *testing.T, f payload.Format, send func(c *net.UDPConn)) (frames int, errLog string) {
	t.Helper()
	needTool(t, "ffmpeg")
	port := freePair(t)
	sdp := fmt.Sprintf("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=test\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=%s %d RTP/AVP %d\r\na=rtpmap:%d %s\r\n", f.MediaType(), port, f.PayloadType(), f.PayloadType(), f.RTPMap())
	if fmtp := f.FMTP(); fmtp != "" {
		sdp += fmt.Sprintf("a=fmtp:%d %s\r\n", f.PayloadType(), fmtp)
	}
	sdpFile := filepath.Join(t.TempDir(), "stream.sdp")
	if err := os.WriteFile(sdpFile, []byte(sdp), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", logLevel,
		"-protocol_whitelist", "file,udp,rtp", "-buffer_size", "4000000", "-i", sdpFile, "-f", "framecrc", "-")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	waitBound(t, port, exited)

	c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	send(c)

	// BYE on the RTCP port ends ffmpeg's input once the data is in: wait
	// until its socket is empty, then leave it time to demux what it read.
	waitDrained(t, port)
	time.Sleep(500 * time.Millisecond)
	// ffmpeg ignores RTCP packets shorter than 12 bytes: give a reason.
	bye, err := (&rtcp.Goodbye{Sources: []uint32{testSSRC}, Reason: "end of test"}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port + 1})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	for range 5 {
		rc.Write(bye)
		select {
		case <-exited:
		case <-time.After(200 * time.Millisecond):
			continue
		}
		break
	}
	<-exited
	if waitErr != nil {
		t.Fatalf("ffmpeg: %v\n%s", waitErr, stderr.String()[max(0, stderr.Len()-3000):])
	}
	for _, line := range strings.Split(stdout.String(), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			frames++
		}
	}
	return frames, stderr.String()
}

const testSSRC = 0x1234abcd

var logLevel = "error"

// sendAUs packetizes the access units and writes them as RTP packets,
// 40 ms of media time apart, pausing a little between AUs.
func sendAUs(t *testing.T, c *net.UDPConn, p payload.Packetizer, aus [][][]byte, key func([][]byte) bool, maxPayload int) {
	t.Helper()
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SSRC: testSSRC, SequenceNumber: 1000}}
	buf := make([]byte, payload.MaxPacketSize+1000)
	for i, au := range aus {
		ts := uint32(i * 3600)
		err := p.Packetize(au, key(au), func(b []byte, marker bool, tsOffset uint32) {
			if len(b) > maxPayload {
				t.Errorf("payload of %d bytes over %d", len(b), maxPayload)
			}
			pkt.Marker = marker
			pkt.Timestamp = ts + tsOffset
			pkt.Payload = b
			n, err := pkt.MarshalTo(buf)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Write(buf[:n]); err != nil {
				t.Fatal(err)
			}
			pkt.SequenceNumber++
		})
		if err != nil {
			t.Fatalf("AU %d: %v", i, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// ffmpegSend has ffmpeg send file as RTP to a loopback port (input
// arguments first) and returns the packets received, in order.
func ffmpegSend(t *testing.T, inArgs ...string) []*rtp.Packet {
	t.Helper()
	needTool(t, "ffmpeg")
	rtpConn, rtcpConn := udpPair(t)
	defer rtpConn.Close()
	defer rtcpConn.Close()
	if err := rtpConn.SetReadBuffer(4 << 20); err != nil {
		t.Fatal(err)
	}
	port := rtpConn.LocalAddr().(*net.UDPAddr).Port
	args := append([]string{"-hide_banner", "-nostdin", "-loglevel", "error"}, inArgs...)
	args = append(args, "-c", "copy", "-f", "rtp", "-payload_type", "96", fmt.Sprintf("rtp://127.0.0.1:%d?pkt_size=1200", port))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := make(chan []*rtp.Packet)
	go func() {
		var ps []*rtp.Packet
		buf := make([]byte, 2000)
		for {
			n, err := rtpConn.Read(buf)
			if err != nil {
				got <- ps
				return
			}
			var p rtp.Packet
			if err := p.Unmarshal(append([]byte(nil), buf[:n]...)); err != nil {
				t.Errorf("bad RTP from ffmpeg: %v", err)
				continue
			}
			ps = append(ps, &p)
		}
	}()
	out, err := exec.CommandContext(ctx, "ffmpeg", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	rtpConn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	ps := <-got
	if len(ps) == 0 {
		t.Fatal("no packets from ffmpeg")
	}
	return ps
}
