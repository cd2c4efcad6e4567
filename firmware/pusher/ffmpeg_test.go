package pusher

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"rtspcam/firmware/config"
	"rtspcam/rtsp/payload"
)

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is required for this test: %v", name, err)
	}
}

// ffmpegPush runs ffmpeg sending 2 s of H.264 test video as plain RTP to
// vport and 2 s of µ-law audio to aport, as a camera with only an RTP
// sender would.
func ffmpegPush(t *testing.T, vport, aport int) {
	t.Helper()
	needTool(t, "ffmpeg")
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error",
		"-re", "-t", "2", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-re", "-t", "2", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000",
		"-map", "0:v", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-pix_fmt", "yuv420p",
		"-f", "rtp", "rtp://127.0.0.1:" + strconv.Itoa(vport) + "?pkt_size=1300",
		"-map", "1:a", "-c:a", "pcm_mulaw",
		"-f", "rtp", "rtp://127.0.0.1:" + strconv.Itoa(aport),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if b, err := exec.CommandContext(ctx, "ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
}

// decodeH264 joins the relayed packets into access units with the
// server's own depacketizer, writes them as Annex-B and lets ffprobe count
// the frames it decodes.
func decodeH264(t *testing.T, f payload.Format, pkts [][]byte) int {
	t.Helper()
	needTool(t, "ffprobe")
	d := f.NewDepacketizer()
	var annexB bytes.Buffer
	for _, b := range pkts {
		var p rtp.Packet
		if err := p.Unmarshal(b); err != nil {
			t.Fatalf("relayed packet does not parse: %v", err)
		}
		au, err := d.Depacketize(&p)
		if err != nil {
			t.Fatalf("depacketize: %v", err)
		}
		for _, nalu := range au {
			annexB.Write([]byte{0, 0, 0, 1})
			annexB.Write(nalu)
		}
	}
	file := filepath.Join(t.TempDir(), "relayed.h264")
	if err := os.WriteFile(file, annexB.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "compact=p=0:nk=1", file).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	fields := strings.Split(strings.TrimSpace(string(out)), "|")
	if len(fields) != 4 || fields[0] != "h264" || fields[1] != "320" || fields[2] != "240" {
		t.Fatalf("ffprobe read %q, want h264 320x240", out)
	}
	n, _ := strconv.Atoi(fields[3])
	return n
}

func TestUDPPusherFedByFFmpeg(t *testing.T) {
	t.Parallel()
	tracks, err := TracksOf(config.Pusher{Suffix: "cam", Video: config.Video{Codec: config.VideoH264},
		Audio: config.Audio{Codec: config.AudioG711U}, Transfer: config.PusherTransfer{Mode: config.PushUDP, VPort: 1, APort: 1}})
	if err != nil {
		t.Fatal(err)
	}
	relay := newRecordingRelay()
	l := listen(t, config.PushUDP, relay, true, true)
	ffmpegPush(t, l.VideoAddr().(*net.UDPAddr).Port, l.AudioAddr().(*net.UDPAddr).Port)
	waitStat(t, func() bool { return l.Stats().Packets > 0 })
	time.Sleep(100 * time.Millisecond) // the last datagrams in the socket
	relay.mu.Lock()
	video, audio := relay.pkts[0], relay.pkts[1]
	relay.mu.Unlock()
	if frames := decodeH264(t, tracks.Formats[tracks.Video], video); frames < 45 {
		t.Errorf("decoded %d frames of 50 sent", frames)
	}
	// µ-law: 8000 one-byte samples a second, 2 s.
	samples := 0
	for _, b := range audio {
		if b[1]&0x7f != 0 {
			t.Fatalf("audio payload type %d, want PCMU", b[1]&0x7f)
		}
		samples += len(b) - 12
	}
	if samples < 15000 || samples > 16500 {
		t.Errorf("%d audio samples relayed, want about 16000", samples)
	}
	if s := l.Stats(); s.Drops != (Drops{}) {
		t.Errorf("ffmpeg's packets were dropped: %+v", s.Drops)
	}
}

// TestTCPPusherFedByFramingClient sends ffmpeg's RTP packets over the TCP
// pusher with the 4-byte framing, with bad frames between them, and checks
// the relayed stream still decodes whole.
func TestTCPPusherFedByFramingClient(t *testing.T) {
	t.Parallel()
	tracks, err := TracksOf(config.Pusher{Suffix: "cam", Video: config.Video{Codec: config.VideoH264},
		Transfer: config.PusherTransfer{Mode: config.PushTCP, VPort: 1}})
	if err != nil {
		t.Fatal(err)
	}
	// ffmpeg's packets, caught by a UDP pusher.
	caught := newRecordingRelay()
	u := listen(t, config.PushUDP, caught, true, true)
	ffmpegPush(t, u.VideoAddr().(*net.UDPAddr).Port, u.AudioAddr().(*net.UDPAddr).Port)
	time.Sleep(100 * time.Millisecond)
	caught.mu.Lock()
	sent := caught.pkts[0]
	caught.mu.Unlock()

	relay := newRecordingRelay()
	l := listen(t, config.PushTCP, relay, true, false)
	c, err := net.Dial("tcp", l.VideoAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var w bytes.Buffer
	w.WriteString("\x00\x01garbage before the first frame")
	for i, p := range sent {
		switch i % 50 {
		case 10:
			w.Write(frame(0, 6, []byte("short!")))
		case 20:
			big := rtpPacket(0, 5000)
			w.Write(framed(big))
		case 30:
			w.Write([]byte{0x25, 0, 0, 20}) // wrong magic
		}
		w.Write(framed(p))
	}
	if _, err := c.Write(w.Bytes()); err != nil {
		t.Fatal(err)
	}
	relay.waitFor(t, len(sent))
	relay.mu.Lock()
	got := relay.pkts[0]
	relay.mu.Unlock()
	if len(got) != len(sent) {
		t.Fatalf("relayed %d packets, sent %d", len(got), len(sent))
	}
	for i := range got {
		if !bytes.Equal(got[i], sent[i]) {
			t.Fatalf("packet %d (seq %d) differs", i, binary.BigEndian.Uint16(sent[i][2:]))
		}
	}
	if frames := decodeH264(t, tracks.Formats[tracks.Video], got); frames < 45 {
		t.Errorf("decoded %d frames of 50 sent", frames)
	}
	s := l.Stats()
	n := uint64((len(sent) + 19) / 50)
	if s.Drops.Short == 0 || s.Drops.Oversized == 0 || s.Drops.Framing == 0 {
		t.Errorf("drops %+v not counted (about %d of each)", s.Drops, n)
	}
	t.Logf("%d packets relayed, drops %+v", len(got), s.Drops)
}
