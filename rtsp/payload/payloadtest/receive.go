package payloadtest

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
)

// Packetize runs f's packetizer (payloads of at most maxPayload bytes)
// over aus (one AU each, timestamps from ts) and marshals the RTP packets.
func Packetize(t *testing.T, f payload.Format, maxPayload int, aus [][][]byte, ts []uint32) [][]byte {
	t.Helper()
	p := f.NewPacketizer(maxPayload)
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

// FFmpegReceive writes an SDP with one media (m=<media> line built from
// f), starts ffmpeg on it with inArgs as extra input options (may be nil)
// and outArgs (ending in an output such as "pipe:1"), sends pkts over UDP
// and returns ffmpeg's standard output.
func FFmpegReceive(t *testing.T, f payload.Format, pkts [][]byte, inArgs []string, outArgs ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // kills an ffmpeg that did not finish
	var stdout, stderr bytes.Buffer
	port, exited, waitErr := startBound(t, func(port int) *exec.Cmd {
		sdpPath := filepath.Join(t.TempDir(), "s.sdp")
		if err := os.WriteFile(sdpPath, []byte(sdpFor(f, port)), 0o600); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"-hide_banner", "-loglevel", "error", "-protocol_whitelist", "file,udp,rtp",
			"-listen_timeout", "1", "-reorder_queue_size", "0"}, inArgs...)
		args = append(args, "-i", sdpPath)
		args = append(args, outArgs...)
		stdout.Reset()
		stderr.Reset()
		cmd := exec.CommandContext(ctx, "ffmpeg", args...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		return cmd
	})
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
	case <-exited:
		if *waitErr != nil {
			t.Fatalf("ffmpeg: %v\n%s", *waitErr, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("ffmpeg did not finish")
	}
	return stdout.Bytes()
}
