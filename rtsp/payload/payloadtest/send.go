package payloadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
)

// FFmpegSendCopy has ffmpeg stream-copy a file (inArgs: its input
// arguments) as RTP, payload type 96, to a loopback port and returns the
// packets received, in order.
func FFmpegSendCopy(t *testing.T, inArgs ...string) []*rtp.Packet {
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

// FFmpegSend runs ffmpeg with inArgs (codec options included) and its RTP
// muxer (packets of at most pktSize bytes) towards a local port, and returns the Format that Unmarshal builds
// from FFmpeg's SDP and the packets received, in order.
func FFmpegSend(t *testing.T, pktSize int, unmarshal func(pt uint8, rtpmap string, fmtp map[string]string) (payload.Format, error), inArgs ...string) (payload.Format, []*rtp.Packet) {
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
	args = append(args, "-f", "rtp", "-sdp_file", sdpPath, fmt.Sprintf("rtp://127.0.0.1:%d?pkt_size=%d", port, pktSize))
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
