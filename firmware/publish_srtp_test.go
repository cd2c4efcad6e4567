package firmware

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// wireTap sits between a publisher and the server like a capture on the
// network: it passes the RTSP connection through and, for UDP, moves the
// server ports of each SETUP reply onto its own sockets and forwards the
// datagrams. Everything the publisher sends is kept in sent.
type wireTap struct {
	addr string
	sent lockedBuffer
	wg   sync.WaitGroup
	mu   sync.Mutex
	open []io.Closer
}

func startWireTap(t *testing.T, server string) *wireTap {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &wireTap{addr: l.Addr().String()}
	w.keep(l)
	t.Cleanup(func() {
		w.mu.Lock()
		for _, c := range w.open {
			c.Close()
		}
		w.mu.Unlock()
		w.wg.Wait()
	})
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp4", server)
			if err != nil {
				c.Close()
				continue
			}
			w.keep(c)
			w.keep(s)
			w.wg.Add(2)
			go func() { defer w.wg.Done(); io.Copy(io.MultiWriter(s, &w.sent), c); s.Close() }()
			go func() { defer w.wg.Done(); w.replies(c, s) }()
		}
	}()
	return w
}

func (w *wireTap) keep(c io.Closer) {
	w.mu.Lock()
	w.open = append(w.open, c)
	w.mu.Unlock()
}

var serverPorts = regexp.MustCompile(`server_port=(\d+)-(\d+)`)

// replies copies the server's responses (record mode: text only) to the
// publisher, rewriting server_port to the tap's own UDP pair.
func (w *wireTap) replies(client, server net.Conn) {
	r := bufio.NewReader(server)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			client.Close()
			return
		}
		if m := serverPorts.FindStringSubmatch(line); m != nil && strings.HasPrefix(strings.ToLower(line), "transport:") {
			p0, _ := strconv.Atoi(m[1])
			p1, _ := strconv.Atoi(m[2])
			if a, b, ok := w.udpPair(p0, p1); ok {
				line = strings.Replace(line, m[0], fmt.Sprintf("server_port=%d-%d", a, b), 1)
			}
		}
		if _, err := io.WriteString(client, line); err != nil {
			return
		}
	}
}

// udpPair binds two loopback sockets that forward to the server's ports.
func (w *wireTap) udpPair(to0, to1 int) (int, int, bool) {
	var ports [2]int
	for i, to := range []int{to0, to1} {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return 0, 0, false
		}
		w.keep(c)
		ports[i] = c.LocalAddr().(*net.UDPAddr).Port
		dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: to}
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			buf := make([]byte, 2048)
			for {
				n, err := c.Read(buf)
				if err != nil {
					return
				}
				w.sent.Write(buf[:n])
				c.WriteToUDP(buf[:n], dst)
			}
		}()
	}
	return ports[0], ports[1], true
}

// x264Banner is in the SEI x264 puts before its first frame: plaintext a
// capture of an unprotected H.264 stream from x264enc shows.
const x264Banner = "H.264/MPEG-4 AVC codec"

var keyMgmtData = regexp.MustCompile(`KeyMgmt: [^\r\n]*data="([^"]+)"`)

// TestPublishSRTPGStreamer: GStreamer's rtspclientsink publishes H.264
// with profiles=savp (MIKEY keys in the ANNOUNCE and in the SETUP's
// KeyMgmt) over UDP and over TCP; ffprobe reads the path over plain RTSP
// and decodes frames. A capture between publisher and server shows no
// plaintext (and does show it when the same publisher does not use SRTP, so
// the capture can tell), the server warns that keys came over plain RTSP,
// never logs them, and authenticates every packet.
func TestPublishSRTPGStreamer(t *testing.T) {
	e2eRequireTools(t, "gst-launch-1.0", "ffprobe")
	t.Parallel()
	pa := pubStart(t, nil, PublishOptions{})
	server := strings.TrimSuffix(strings.TrimPrefix(pa.base, "rtsp://"), "/")
	for _, c := range []struct{ profile, transport string }{
		{"savp", "udp"}, {"savp", "tcp"}, {"avp", "udp"},
	} {
		t.Run(c.profile+"/"+c.transport, func(t *testing.T) {
			t.Parallel()
			tap := startWireTap(t, server)
			path := "live/gst-" + c.profile + "-" + c.transport
			p := startPublisher(t, "gst-launch-1.0", "-e", "-q",
				"videotestsrc", "is-live=true", "!", "video/x-raw,width=320,height=240,framerate=25/1", "!",
				"x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=25", "!", "h264parse", "!",
				"rtspclientsink", "location=rtsp://"+tap.addr+"/"+path, "protocols="+c.transport, "profiles="+c.profile)
			pa.waitPublished(t, p, path)
			probe, err := e2eFFprobe(context.Background(), pa.base+path, "-rtsp_transport", "tcp", "-count_packets", "-read_intervals", "%+1.5")
			if err != nil {
				t.Fatal(err)
			}
			if got := e2eSummary(probe.Streams); len(got) != 1 || got[0] != "video h264 320x240" {
				t.Fatalf("ffprobe of the relay sees %v, want video h264 320x240", got)
			}
			if n, _ := strconv.Atoi(probe.Streams[0].Packets); n < 2 {
				t.Fatalf("ffprobe decoded %s packets of the relay in 1.5 s", probe.Streams[0].Packets)
			}
			p.stop()
			wire := tap.sent.String()
			if c.profile == "avp" {
				if !strings.Contains(wire, x264Banner) {
					t.Fatalf("the capture of plain RTP lacks x264's banner: the capture cannot tell")
				}
				return
			}
			if strings.Contains(wire, x264Banner) {
				t.Fatalf("the capture of the SRTP publisher shows x264's plaintext banner")
			}
			m := keyMgmtData.FindStringSubmatch(wire)
			if m == nil {
				t.Fatalf("no KeyMgmt in the publisher's SETUP")
			}
			ended := fmt.Sprintf("publishing ended\" path=%s ", path)
			deadline := time.Now().Add(5 * time.Second)
			for !strings.Contains(pa.logs.String(), ended) && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			logs := pa.logs.String()
			var line string
			for _, l := range strings.Split(logs, "\n") {
				if strings.Contains(l, ended) {
					line = l
				}
			}
			if !strings.Contains(line, " srtp_rejected=0") || strings.Contains(line, " packets=0 ") {
				t.Fatalf("publishing session summary %q: want packets, all authenticated", line)
			}
			if strings.Contains(logs, m[1]) || strings.Contains(logs, m[1][len(m[1])-40:]) {
				t.Fatalf("the server logged the publisher's MIKEY keys")
			}
			if !strings.Contains(logs, "publisher sent SRTP keys over plain RTSP") {
				t.Fatalf("no warning that SRTP keys came over plain RTSP")
			}
		})
	}
}
