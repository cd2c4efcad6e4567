package test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"rtspcam/test/vm"
)

// guestConfig serves videodevice at 640x360, 10 fps, MJPEG from the
// pure-Go encoder (vivid offers raw formats only).
const guestConfig = `<?xml version="1.0" encoding="utf-8"?>
<config>
	<rtsp_port>8554</rtsp_port>
	<log_enable>1</log_enable>
	<log_level>2</log_level>
	<media_dir>/tmp</media_dir>
	<output>
		<url>videodevice</url>
		<video><codec>JPEG</codec><width>640</width><height>360</height><framerate>10</framerate></video>
	</output>
</config>
`

// TestCamerasOnRealKernelDrivers boots Debian's amd64 and arm64 kernels
// under QEMU with vivid (a V4L2 camera) and vicodec (a mem2mem stateful
// encoder). In each guest m2mcheck encodes vivid's frames through
// vicodec with hwenc/m2m and checks the coded stream; then rtspserver
// lists the camera and serves it, and ffprobe and ffmpeg on the host read
// rtsp://…/videodevice through a forwarded port.
func TestCamerasOnRealKernelDrivers(t *testing.T) {
	for _, tool := range []string{"go", "ffprobe", "ffmpeg", "modprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required (run scripts/deps.sh): %v", tool, err)
		}
	}
	root := moduleRoot(t)
	cfgFile := filepath.Join(t.TempDir(), "rtspserver.cfg")
	if err := os.WriteFile(cfgFile, []byte(guestConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, arch := range []string{"amd64", "arm64"} {
		t.Run(arch, func(t *testing.T) {
			k := vm.Prepare(t, arch)
			check := vm.BuildStatic(t, arch, filepath.Join(root, "test/vm/m2mcheck"))
			server := vm.BuildStatic(t, arch, filepath.Join(root, "cmd/rtspserver"))
			g := vm.Boot(t, k, vm.Options{
				Modules: []string{"vivid", "vicodec"},
				// One vivid instance with a video capture node only.
				Params:  map[string]string{"vivid": "n_devs=1 node_types=0x1"},
				Files:   map[string]string{"/bin/m2mcheck": check, "/bin/rtspserver": server, "/etc/rtspserver.cfg": cfgFile},
				Script:  "/bin/m2mcheck\n/bin/rtspserver -l videodevice\nexec /bin/rtspserver -c /etc/rtspserver.cfg\n",
				Forward: []int{8554},
			})
			if !g.WaitFor("M2MCHECK PASS", 2*time.Minute) && !strings.Contains(g.Log(), "M2MCHECK FAIL") {
				t.Fatal("m2mcheck printed no result")
			}
			res := regexp.MustCompile(`M2MCHECK [^\r\n]*`).FindAllString(g.Log(), -1)
			t.Log(res)
			if len(res) != 2 || !strings.HasPrefix(res[0], "M2MCHECK frames=12 keys=[0 6] allocs=0") ||
				res[1] != "M2MCHECK PASS descriptors released" {
				t.Fatalf("mem2mem check: %q", res)
			}
			if !g.WaitFor("rtsp listening", time.Minute) {
				t.Fatal("the server did not start")
			}
			if log := g.Log(); !regexp.MustCompile(`0: videodevice0 vivid[^\n]*\(/dev/video\d+, vivid\)`).MatchString(log) || !strings.Contains(log, "YU12") {
				t.Fatalf("-l videodevice did not list vivid")
			}
			url := fmt.Sprintf("rtsp://127.0.0.1:%d/videodevice", g.HostPort(8554))
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-rtsp_transport", "tcp",
				"-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", url).CombinedOutput()
			if got := strings.TrimSpace(string(out)); err != nil || got != "mjpeg,640,360" {
				t.Fatalf("ffprobe %s: %q (%v), want mjpeg,640,360", url, got, err)
			}
			out, err = exec.CommandContext(ctx, "ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-i", url,
				"-frames:v", "5", "-f", "framemd5", "-").CombinedOutput()
			if err != nil || strings.Count(string(out), "\n0,") != 5 {
				t.Fatalf("ffmpeg decoded:\n%s (%v)", out, err)
			}
		})
	}
}
