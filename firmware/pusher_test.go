package firmware

import (
	"context"
	"encoding/binary"
	"log/slog"
	"math/rand/v2"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"rtspcam/firmware/config"
)

// pusherStart starts a server with one <pusher> node of mode on random
// loopback ports below the ephemeral range, retrying when they are taken.
func pusherStart(t *testing.T, mode string, video config.Video, audio config.Audio) (*testApp, int, int) {
	t.Helper()
	for range 20 {
		vport, aport := 10000+2*rand.IntN(10000), 20000+2*rand.IntN(10000)
		cfg := testConfig(t, t.TempDir())
		cfg.Pushers = []config.Pusher{{Suffix: "push/cam", Video: video, Audio: audio,
			Transfer: config.PusherTransfer{Mode: mode, IP: "127.0.0.1", VPort: vport, APort: aport}}}
		logs := &lockedBuffer{}
		app, err := New(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
		if err != nil {
			t.Fatal(err)
		}
		if err := app.Start(); err != nil {
			t.Fatal(err)
		}
		if _, ok := app.PusherStats("push/cam"); !ok {
			app.Close() // a port was taken: the node was left out
			if !strings.Contains(logs.String(), "pusher disabled") {
				t.Fatalf("pusher not started and no log line:\n%s", logs.String())
			}
			continue
		}
		t.Cleanup(func() {
			app.Close()
			if t.Failed() {
				t.Logf("server log:\n%s", logs.String())
			}
		})
		port := app.Addrs()[0].(*net.TCPAddr).Port
		return &testApp{app: app, base: "rtsp://127.0.0.1:" + strconv.Itoa(port) + "/", logs: logs}, vport, aport
	}
	t.Fatal("no free pusher ports")
	return nil, 0, 0
}

// ffmpegRTPArgs has ffmpeg send 6 s of H.264 video as plain RTP to vport
// and µ-law audio to aport, in real time.
func ffmpegRTPArgs(vport, aport int) []string {
	return []string{"-v", "error",
		"-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=6",
		"-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000:duration=6",
		"-map", "0:v", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-pix_fmt", "yuv420p",
		"-f", "rtp", "rtp://127.0.0.1:" + strconv.Itoa(vport) + "?pkt_size=1300",
		"-map", "1:a", "-c:a", "pcm_mulaw", "-f", "rtp", "rtp://127.0.0.1:" + strconv.Itoa(aport),
	}
}

// readPushed checks what a user sees on the pushed path: ffprobe names
// the node's codecs and ffmpeg records decodable video from it.
func readPushed(t *testing.T, pa *testApp, p *publisher, want []string) {
	t.Helper()
	pa.waitPublished(t, p, "push/cam")
	url := pa.base + "push/cam"
	probe, err := e2eFFprobe(context.Background(), url, "-rtsp_transport", "tcp")
	if err != nil {
		t.Fatal(err)
	}
	if got := e2eSummary(probe.Streams); !slices.Equal(got, want) {
		t.Errorf("ffprobe sees %v, want %v", got, want)
	}
	out := filepath.Join(t.TempDir(), "rec.mkv")
	if b, err := e2eRun(context.Background(), 20*time.Second, "ffmpeg", "-v", "error", "-rtsp_transport", "tcp",
		"-i", url, "-t", "2", "-map", "0:v", "-c", "copy", "-y", out); err != nil {
		t.Fatalf("ffmpeg recording the pushed path: %v\n%s", err, b)
	}
	b, err := e2eRun(context.Background(), 20*time.Second, "ffprobe", "-v", "error", "-count_frames",
		"-show_entries", "stream=codec_name,nb_read_frames", "-of", "csv=p=0", out)
	if err != nil {
		t.Fatalf("ffprobe of the recording: %v\n%s", err, b)
	}
	f := strings.Split(strings.TrimSpace(string(b)), ",")
	if n, _ := strconv.Atoi(f[len(f)-1]); f[0] != "h264" || n < 30 {
		t.Errorf("recording of the pushed path decodes as %q, want h264 with ~50 frames", b)
	}
}

// TestUDPPusher: ffmpeg sends plain RTP to the node's vport and aport;
// players of the node's suffix see and decode it.
func TestUDPPusher(t *testing.T) {
	t.Parallel()
	e2eRequireTools(t, "ffmpeg", "ffprobe")
	pa, vport, aport := pusherStart(t, config.PushUDP, config.Video{Codec: config.VideoH264}, config.Audio{Codec: config.AudioG711U, SampleRate: 8000, Channels: 1})
	p := startPublisher(t, "ffmpeg", ffmpegRTPArgs(vport, aport)...)
	readPushed(t, pa, p, []string{"audio pcm_mulaw 8000 Hz", "video h264 320x240"})
	s, ok := pa.app.PusherStats("push/cam")
	if !ok || s.Packets == 0 {
		t.Errorf("pusher stats %+v", s)
	}
	if s.Drops.Short+s.Drops.Oversized+s.Drops.Malformed+s.Drops.Framing != 0 {
		t.Errorf("ffmpeg's packets dropped: %+v", s.Drops)
	}
}

// TestTCPPusher: a client frames ffmpeg's RTP with the 4-byte header, with
// wrong magic, short and oversized frames between; players decode it.
func TestTCPPusher(t *testing.T) {
	t.Parallel()
	e2eRequireTools(t, "ffmpeg", "ffprobe")
	pa, vport, _ := pusherStart(t, config.PushTCP, config.Video{Codec: config.VideoH264}, config.Audio{})
	// ffmpeg's RTP comes to this socket; the client forwards it framed.
	in, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	audioSink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer audioSink.Close()
	conn, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(vport)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 2048)
		frame := make([]byte, 0, 8192)
		for i := 0; ; i++ {
			in.SetReadDeadline(time.Now().Add(10 * time.Second))
			n, err := in.Read(buf)
			if err != nil {
				return
			}
			frame = frame[:0]
			switch i % 40 {
			case 5:
				frame = append(frame, "junk, not a frame"...)
			case 15:
				frame = append(frame, '$', 0, 0, 3, 1, 2, 3) // short
			case 25:
				frame = append(frame, '$', 0, 0x10, 0) // oversized: 4096 bytes
				frame = append(frame, make([]byte, 4096)...)
			}
			frame = append(frame, '$', 0, 0, 0)
			binary.BigEndian.PutUint16(frame[len(frame)-2:], uint16(n))
			frame = append(frame, buf[:n]...)
			if _, err := conn.Write(frame); err != nil {
				return
			}
		}
	}()
	p := startPublisher(t, "ffmpeg", ffmpegRTPArgs(in.LocalAddr().(*net.UDPAddr).Port, audioSink.LocalAddr().(*net.UDPAddr).Port)...)
	readPushed(t, pa, p, []string{"video h264 320x240"})
	s, _ := pa.app.PusherStats("push/cam")
	if s.Drops.Framing == 0 || s.Drops.Short == 0 || s.Drops.Oversized == 0 || s.Packets == 0 {
		t.Errorf("pusher stats %+v: the bad frames were not counted", s)
	}
	in.Close()
	conn.Close()
	wg.Wait()
}

// TestPusherPortTakenKeepsRTSP: a pusher whose port is taken is logged and
// left out; the camera still serves RTSP.
func TestPusherPortTakenKeepsRTSP(t *testing.T) {
	t.Parallel()
	e2eRequireTools(t, "ffprobe")
	taken, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	pa := pubStart(t, func(c *config.Config) {
		c.Pushers = []config.Pusher{{Suffix: "push/cam", Video: config.Video{Codec: config.VideoH264},
			Transfer: config.PusherTransfer{Mode: config.PushUDP, IP: "127.0.0.1", VPort: taken.LocalAddr().(*net.UDPAddr).Port}}}
	}, PublishOptions{})
	if _, ok := pa.app.PusherStats("push/cam"); ok {
		t.Fatal("pusher started on a taken port")
	}
	if !strings.Contains(pa.logs.String(), "pusher disabled") {
		t.Errorf("no log line for the disabled pusher:\n%s", pa.logs.String())
	}
	probe, err := e2eFFprobe(context.Background(), pa.base+"testpattern", "-rtsp_transport", "tcp")
	if err != nil || len(probe.Streams) == 0 {
		t.Fatalf("RTSP not served: %v", err)
	}
}
