package firmware

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// netnsEnv marks the copy of the test binary that runs inside the network
// namespace TestMulticast makes.
const netnsEnv = "RTSPCAM_TEST_IN_NETNS"

// TestMulticast has two ffprobe readers (-rtsp_transport udp_multicast)
// and a GStreamer reader (protocols=udp-mcast) share the test pattern's
// group while a unicast ffprobe plays the same path; a socket joined to
// the group sees packets while they play and none once the last left. It
// runs in a private network namespace (unshare -rn) whose loopback routes
// 232.0.0.0/8, so no multicast leaves the machine.
func TestMulticast(t *testing.T) {
	e2eRequireTools(t, "unshare", "ip", "ffprobe", "gst-launch-1.0", "timeout")
	if os.Getenv(netnsEnv) != "1" {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "unshare", "-rn", os.Args[0], "-test.run=^TestMulticast$", "-test.v")
		cmd.Env = append(os.Environ(), netnsEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("the test inside the network namespace failed: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "--- PASS: TestMulticast") {
			t.Fatalf("the test did not run inside the network namespace:\n%s", out)
		}
		return
	}
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"link", "set", "lo", "multicast", "on"},
		{"route", "add", "232.0.0.0/8", "dev", "lo"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v\n%s", args, err, out)
		}
	}

	cfg := testConfig(t, t.TempDir())
	cfg.Multicast = true
	ta := startTestApp(t, cfg, nil)
	app, logs, url := ta.app, ta.logs, ta.base+"testpattern"

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	probe := func(transport, secs string) {
		defer wg.Done()
		// A reader joining mid-frame logs "Received packet without a start
		// chunk" at error level into the JSON; the packet counts are the check.
		p, err := e2eFFprobe(context.Background(), url, "-v", "fatal", "-rtsp_transport", transport, "-count_packets", "-read_intervals", "%+"+secs)
		if err != nil {
			errs <- err
			return
		}
		if len(p.Streams) != 2 {
			errs <- fmt.Errorf("ffprobe %s: %d streams, want 2", transport, len(p.Streams))
		}
		for _, s := range p.Streams {
			if n, _ := strconv.Atoi(s.Packets); n < 2 {
				errs <- fmt.Errorf("ffprobe %s: %s got %s packets, want at least 2 (decrypted and decoded; the count is low when CI is loaded)", transport, s, s.Packets)
			}
		}
	}
	wg.Add(3)
	go probe("udp_multicast", "2")
	go probe("udp_multicast", "3")
	go probe("udp", "2") // unicast reader of the same path

	// Join the group as a fourth listener to watch the sender.
	var group netip.AddrPort
	waitUntil(t, "the multicast group to open", 10*time.Second, func() bool {
		gs := app.server.MulticastGroups()
		if len(gs) != 1 {
			return false
		}
		_, hp, _ := strings.Cut(gs[0], " ")
		var err error
		group, err = netip.ParseAddrPort(hp)
		return err == nil
	})
	if !group.Addr().IsMulticast() || group.Addr().As4()[0] != 232 {
		t.Fatalf("group %v is not in 232.0.0.0/8", group)
	}
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	watch, err := net.ListenMulticastUDP("udp4", lo, net.UDPAddrFromAddrPort(group))
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()

	gst := e2eGstDecode(t, url, "udp-mcast", 2, 3*time.Second)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(gst.problems) > 0 || len(gst.buffers) != 2 {
		t.Errorf("GStreamer over udp-mcast: buffers %v, problems:\n%s", gst.buffers, gst.output)
	}
	for sink, n := range gst.buffers {
		if n < 2 {
			t.Errorf("GStreamer %s decoded %d buffers over udp-mcast, want at least 2 (decrypted and decoded; the count is low when CI is loaded)", sink, n)
		}
	}

	// Everyone left: the group closes and nothing more is sent to it.
	waitUntil(t, "the multicast group to close", 10*time.Second, func() bool { return len(app.server.MulticastGroups()) == 0 })
	buf := make([]byte, 2048)
	got := 0
	for {
		watch.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := watch.Read(buf); err != nil {
			break
		}
		got++ // what was queued before the sender stopped
	}
	if got == 0 {
		t.Error("the watching socket never received the group's packets")
	}
	watch.SetReadDeadline(time.Now().Add(700 * time.Millisecond))
	if n, err := watch.Read(buf); err == nil {
		t.Fatalf("a %d-byte packet reached the group after the last reader left", n)
	}
	if !strings.Contains(logs.String(), "multicast group closed") {
		t.Error("the server did not log the group's end")
	}
}

func waitUntil(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
