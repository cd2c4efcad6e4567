package mjpeg

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
)

// This file drives FFmpeg as the RTP peer: ffmpegReceive feeds our packets
// to FFmpeg's SDP/RTP demuxer, ffmpegSend collects what FFmpeg's RTP muxer
// sends. Both fail the test when ffmpeg is missing.

// freeRTPPort finds an even UDP port whose odd neighbour is free too.
func freeRTPPort(t *testing.T) int {
	t.Helper()
	for range 100 {
		port := 20000 + 2*rand.IntN(20000)
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

// packetize runs f's packetizer over aus (one AU each, timestamps from
// ts) and marshals the RTP packets.
func packetize(t *testing.T, f payload.Format, aus [][][]byte, ts []uint32) [][]byte {
	t.Helper()
	p := f.NewPacketizer(0)
	var out [][]byte
	seq := uint16(1000)
	for i, au := range aus {
		err := p.Packetize(au, false, func(b []byte, marker bool, off uint32) {
			pkt := rtp.Packet{Header: rtp.Header{Version: 2, Marker: marker, PayloadType: f.PayloadType(),
				SequenceNumber: seq, Timestamp: ts[i] + off, SSRC: 0x1234}, Payload: b}
			seq++
			raw, err := pkt.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, raw)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// ffmpegReceive writes an SDP with one media (m=<media> line built from
// f), starts ffmpeg on it with outArgs (ending in an output such as
// "pipe:1"), sends pkts over UDP and returns ffmpeg's standard output.
func ffmpegReceive(t *testing.T, f payload.Format, pkts [][]byte, outArgs ...string) []byte {
	t.Helper()
	port := freeRTPPort(t)
	sdp := fmt.Sprintf("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=test\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=%s %d RTP/AVP %d\r\na=rtpmap:%d %s\r\n", f.MediaType(), port, f.PayloadType(), f.PayloadType(), f.RTPMap())
	if fmtp := f.FMTP(); fmtp != "" {
		sdp += fmt.Sprintf("a=fmtp:%d %s\r\n", f.PayloadType(), fmtp)
	}
	sdpPath := filepath.Join(t.TempDir(), "s.sdp")
	if err := os.WriteFile(sdpPath, []byte(sdp), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-hide_banner", "-loglevel", "error", "-protocol_whitelist", "file,udp,rtp",
		"-listen_timeout", "1", "-reorder_queue_size", "0", "-i", sdpPath}, outArgs...)
	cmd := exec.Command("ffmpeg", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// FFmpeg has opened the SDP's port once we can no longer bind it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("ffmpeg never opened port %d: %s", port, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	conn, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, p := range pkts {
		if _, err := conn.Write(p); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Microsecond)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ffmpeg: %v\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("ffmpeg did not finish")
	}
	return stdout.Bytes()
}

// ffmpegSend runs ffmpeg with inArgs (codec options included) and its RTP
// muxer towards a local port, and returns the Format that Unmarshal builds
// from FFmpeg's SDP and the packets received, in order.
func ffmpegSend(t *testing.T, unmarshal func(pt uint8, rtpmap string, fmtp map[string]string) (payload.Format, error), inArgs ...string) (payload.Format, []*rtp.Packet) {
	t.Helper()
	port := freeRTPPort(t)
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadBuffer(8 << 20)
	sdpPath := filepath.Join(t.TempDir(), "s.sdp")
	args := append([]string{"-hide_banner", "-loglevel", "error"}, inArgs...)
	args = append(args, "-f", "rtp", "-sdp_file", sdpPath, fmt.Sprintf("rtp://127.0.0.1:%d?pkt_size=1400", port))
	cmd := exec.Command("ffmpeg", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var pkts []*rtp.Packet
	buf := make([]byte, 65536)
	deadline := time.Now().Add(20 * time.Second)
	finished := false
	for {
		_ = conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := conn.Read(buf)
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatal(err)
			}
			if finished {
				break // ffmpeg is gone and the socket has drained
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("ffmpeg: %v\n%s", err, stderr.String())
				}
				finished = true
			default:
				if time.Now().After(deadline) {
					_ = cmd.Process.Kill()
					t.Fatal("ffmpeg did not finish")
				}
			}
			continue
		}
		var pkt rtp.Packet
		if err := pkt.Unmarshal(append([]byte(nil), buf[:n]...)); err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, &pkt)
	}
	if len(pkts) == 0 {
		t.Fatal("no packet from ffmpeg")
	}
	pt, rtpmap, fmtp := readSDP(t, sdpPath)
	f, err := unmarshal(pt, rtpmap, fmtp)
	if err != nil {
		t.Fatalf("Unmarshal(%d, %q, %v): %v", pt, rtpmap, fmtp, err)
	}
	return f, pkts
}

// readSDP takes the payload type, rtpmap and fmtp (keys lower-cased) of
// the first media of an SDP file.
func readSDP(t *testing.T, path string) (uint8, string, map[string]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var pt int
	var rtpmap string
	fmtp := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "m="):
			fields := strings.Fields(line)
			pt, _ = strconv.Atoi(fields[len(fields)-1])
		case strings.HasPrefix(line, "a=rtpmap:"):
			_, rtpmap, _ = strings.Cut(line, " ")
		case strings.HasPrefix(line, "a=fmtp:"):
			_, params, _ := strings.Cut(line, " ")
			for _, kv := range strings.Split(params, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
				if k != "" {
					fmtp[strings.ToLower(k)] = v
				}
			}
		}
	}
	return uint8(pt), rtpmap, fmtp
}

// ffmpegOutput runs ffmpeg with args and returns its standard output.
func ffmpegOutput(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// frameMD5s parses FFmpeg's framemd5 output into "size md5" per packet.
func frameMD5s(out []byte) []string {
	var sums []string
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) < 6 {
			continue
		}
		sums = append(sums, strings.TrimSpace(f[4])+" "+strings.TrimSpace(f[5]))
	}
	return sums
}
