package payloadtest

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
)

// FFmpegDecode starts ffmpeg reading an SDP media of f on a loopback port,
// calls send with a connected UDP socket, ends the stream with RTCP BYE
// and returns how many frames ffmpeg decoded and what it logged at error
// level.
func FFmpegDecode(t *testing.T, f payload.Format, send func(c *net.UDPConn)) (frames int, errLog string) {
	t.Helper()
	needTool(t, "ffmpeg")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	port, exited, waitErrp := startBound(t, func(port int) *exec.Cmd {
		sdpFile := filepath.Join(t.TempDir(), "stream.sdp")
		if err := os.WriteFile(sdpFile, []byte(sdpFor(f, port)), 0o644); err != nil {
			t.Fatal(err)
		}
		stdout.Reset()
		stderr.Reset()
		cmd := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-nostdin", "-loglevel", logLevel,
			"-protocol_whitelist", "file,udp,rtp", "-buffer_size", "4000000", "-i", sdpFile, "-f", "framecrc", "-")
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		return cmd
	})

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
	if *waitErrp != nil {
		t.Fatalf("ffmpeg: %v\n%s", *waitErrp, stderr.String()[max(0, stderr.Len()-3000):])
	}
	for _, line := range strings.Split(stdout.String(), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			frames++
		}
	}
	return frames, stderr.String()
}

const testSSRC = 0x1234abcd

// logLevel is the -loglevel FFmpegDecode runs ffmpeg with.
const logLevel = "error"

// SendAUs packetizes the access units and writes them as RTP packets,
// 40 ms of media time apart, pausing a little between AUs.
func SendAUs(t *testing.T, c *net.UDPConn, p payload.Packetizer, aus [][][]byte, key func([][]byte) bool, maxPayload int) {
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
