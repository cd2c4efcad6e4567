package x11_test

import (
	"bufio"
	"image"
	"image/color"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"rtspcam/drivers/x11"
	"rtspcam/drivers/x11/x11test"
)

// shmSegment is one line of /proc/sysvipc/shm.
type shmSegment struct {
	shmid, size, cpid, nattch int
	mode                      int // octal in the file; SHM_DEST (01000) once marked for removal
}

// ourSegments lists the System V segments this process created.
func ourSegments(t testing.TB) []shmSegment {
	t.Helper()
	return segmentsOf(t, os.Getpid())
}

// segmentsOf lists the System V segments process pid created.
func segmentsOf(t testing.TB, pid int) []shmSegment {
	t.Helper()
	f, err := os.Open("/proc/sysvipc/shm")
	if err != nil {
		t.Fatalf("the kernel's list of shared memory segments: %v", err)
	}
	defer f.Close()
	var out []shmSegment
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 7 {
			continue
		}
		var s shmSegment
		s.shmid, _ = strconv.Atoi(f[1])
		mode, _ := strconv.ParseInt(f[2], 8, 32)
		s.mode = int(mode)
		s.size, _ = strconv.Atoi(f[3])
		s.cpid, _ = strconv.Atoi(f[4])
		s.nattch, _ = strconv.Atoi(f[6])
		if s.cpid == pid {
			out = append(out, s)
		}
	}
	return out
}

// TestSHMSegmentsAreFreed checks that a capturer's segment is marked for
// removal while in use (a crash frees it) and is gone after Close, and
// that closing the display frees the segments of capturers never closed.
func TestSHMSegmentsAreFreed(t *testing.T) {
	disp := x11test.StartXvfb(t, 320, 240)
	d, err := x11.Open(disp)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.SHM(); err != nil {
		t.Fatal(err)
	}
	before := len(ourSegments(t))
	c, err := d.CaptureScreen(0)
	if err != nil {
		t.Fatal(err)
	}
	pic := image.NewYCbCr(image.Rect(0, 0, 320, 240), image.YCbCrSubsampleRatio420)
	if err := c.Capture(pic); err != nil {
		t.Fatal(err)
	}
	segs := ourSegments(t)
	if len(segs) != before+1 {
		t.Fatalf("%d segments while capturing, want %d", len(segs), before+1)
	}
	var seg shmSegment
	for _, s := range segs {
		if s.size == 4*320*240 {
			seg = s
		}
	}
	if seg.size == 0 {
		t.Fatalf("no segment of %d bytes among %+v", 4*320*240, segs)
	}
	if seg.nattch != 2 || seg.mode&0o1000 == 0 {
		t.Fatalf("segment %+v: want mapped by us and the X server, and marked for removal", seg)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// The server unmaps it when it handles the Detach; a round trip makes
	// sure it has.
	if _, err := d.Screens(); err != nil {
		t.Fatal(err)
	}
	if n := len(ourSegments(t)); n != before {
		t.Fatalf("%d segments after Close, want %d", n, before)
	}

	// A capturer left open: closing the display ends the server's mapping,
	// and ours goes with Close.
	c2, err := d.CaptureScreen(0)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	c2.Close()
	// The server notices the closed connection in its own time.
	deadline := time.Now().Add(5 * time.Second)
	for len(ourSegments(t)) != before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(ourSegments(t)); n != before {
		t.Fatalf("%d segments 5 s after closing the display, want %d", n, before)
	}
}

// TestSHMSegmentFreedWhenTheProcessDies kills a process in the middle of
// capturing: its segment must not outlive it.
func TestSHMSegmentFreedWhenTheProcessDies(t *testing.T) {
	if disp := os.Getenv("X11_SHM_CHILD"); disp != "" {
		d, err := x11.Open(disp)
		if err != nil {
			os.Exit(3)
		}
		c, err := d.CaptureScreen(0)
		if err != nil || !c.SHM() {
			os.Exit(4)
		}
		pic := image.NewYCbCr(image.Rect(0, 0, 320, 240), image.YCbCrSubsampleRatio420)
		if c.Capture(pic) != nil {
			os.Exit(5)
		}
		os.Stdout.WriteString("capturing\n")
		select {} // until killed
	}
	disp := x11test.StartXvfb(t, 320, 240)
	cmd := exec.Command(os.Args[0], "-test.run=^TestSHMSegmentFreedWhenTheProcessDies$")
	cmd.Env = append(os.Environ(), "X11_SHM_CHILD="+disp)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "capturing\n" {
		cmd.Process.Kill()
		err := cmd.Wait()
		t.Fatalf("child said %q (%v)", line, err)
	}
	if segs := segmentsOf(t, cmd.Process.Pid); len(segs) != 1 || segs[0].mode&0o1000 == 0 {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child's segments %+v: want one, marked for removal", segs)
	}
	cmd.Process.Kill()
	cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for len(segmentsOf(t, cmd.Process.Pid)) != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if segs := segmentsOf(t, cmd.Process.Pid); len(segs) != 0 {
		t.Fatalf("the killed process left %+v", segs)
	}
}

// TestSHMWindowResized grabs a window through MIT-SHM while it shrinks and
// grows: the capture keeps its size (the stream's), shows what of the
// window there is, and never fails.
func TestSHMWindowResized(t *testing.T) {
	disp := x11test.StartXvfb(t, 320, 240)
	red := color.RGBA{255, 0, 0, 255}
	win := x11test.OpenWindow(t, disp, "stretchy", red, 0, 0, 200, 100)
	d, err := x11.Open(disp)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	g, err := d.Open(x11.Target{Window: "stretchy"})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if !g.(*x11.Capturer).SHM() {
		t.Fatalf("window capture without MIT-SHM: %v", d.SHM())
	}
	pic := image.NewYCbCr(image.Rect(0, 0, 200, 96), image.YCbCrSubsampleRatio420)
	if err := g.Capture(pic); err != nil {
		t.Fatal(err)
	}
	checkColor(t, "full size", pic, 190, 90, red)
	// Paint the picture blue so we can see what the next grab wrote.
	blue := color.RGBA{0, 0, 255, 255}
	by, bcb, bcr := color.RGBToYCbCr(blue.R, blue.G, blue.B)
	for i := range pic.Y {
		pic.Y[i] = by
	}
	for i := range pic.Cb {
		pic.Cb[i], pic.Cr[i] = bcb, bcr
	}
	win.Resize(t, 100, 50)
	if err := g.Capture(pic); err != nil {
		t.Fatalf("capture of the shrunk window: %v", err)
	}
	checkColor(t, "inside the shrunk window", pic, 50, 25, red)
	checkColor(t, "outside the shrunk window", pic, 150, 70, blue)
	win.Resize(t, 300, 200)
	if err := g.Capture(pic); err != nil {
		t.Fatalf("capture of the grown window: %v", err)
	}
	checkColor(t, "grown window", pic, 150, 70, red)
}

// TestGetImageFallback runs Xvfb without MIT-SHM: captures still work,
// through GetImage, and the display says why.
func TestGetImageFallback(t *testing.T) {
	disp := x11test.StartXvfb(t, 320, 240, "-extension", "MIT-SHM")
	green := color.RGBA{0, 200, 0, 255}
	x11test.OpenWindow(t, disp, "fallback", green, 10, 20, 160, 80)
	d, err := x11.Open(disp)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.SHM(); err == nil || !strings.Contains(err.Error(), "MIT-SHM") {
		t.Fatalf("SHM() = %v, want the missing extension", err)
	}
	before := len(ourSegments(t))
	sc, err := d.CaptureScreen(0)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if sc.SHM() {
		t.Fatal("the capturer claims MIT-SHM on a server without it")
	}
	full := image.NewYCbCr(image.Rect(0, 0, 320, 240), image.YCbCrSubsampleRatio420)
	if err := sc.Capture(full); err != nil {
		t.Fatal(err)
	}
	checkColor(t, "screen in the window", full, 90, 60, green)
	checkColor(t, "screen outside", full, 300, 200, color.RGBA{0, 0, 0, 255})
	g, err := d.Open(x11.Target{Window: "fallback"})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	pic := image.NewYCbCr(image.Rect(0, 0, 160, 80), image.YCbCrSubsampleRatio420)
	if err := g.Capture(pic); err != nil {
		t.Fatal(err)
	}
	checkColor(t, "window", pic, 80, 40, green)
	if n := len(ourSegments(t)); n != before {
		t.Fatalf("%d segments, want %d: the fallback made some", n, before)
	}
}

// TestSHMCaptureAllocations: grabbing and converting a frame through
// MIT-SHM allocates no picture: what remains is xgb's bookkeeping of one
// request and its 32-byte reply, a few hundred bytes against the 1.2 MB
// GetImage allocates for a 640x480 frame.
func TestSHMCaptureAllocations(t *testing.T) {
	disp := x11test.StartXvfb(t, 640, 480)
	d, err := x11.Open(disp)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c, err := d.CaptureScreen(0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !c.SHM() {
		t.Fatalf("no MIT-SHM: %v", d.SHM())
	}
	pic := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	capture := func() {
		if err := c.Capture(pic); err != nil {
			t.Fatal(err)
		}
	}
	capture()
	allocs := testing.AllocsPerRun(50, capture)
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	const n = 50
	for range n {
		capture()
	}
	runtime.ReadMemStats(&m1)
	perFrame := (m1.TotalAlloc - m0.TotalAlloc) / n
	t.Logf("MIT-SHM capture 640x480: %.0f allocs, %d B per frame", allocs, perFrame)
	if allocs > xgbRequestAllocs || perFrame > 1024 {
		t.Fatalf("%.0f allocations, %d bytes per frame: want at most xgb's %d for one request and no picture", allocs, perFrame, xgbRequestAllocs)
	}
}

// xgbRequestAllocs bounds what xgb allocates for one request with a reply:
// the request bytes, its cookie and channels, the reply buffer and the
// decoded reply.
const xgbRequestAllocs = 10

// BenchmarkCapture grabs and converts one frame of an Xvfb screen per
// iteration, through MIT-SHM and through GetImage (a second Xvfb without
// the extension).
func BenchmarkCapture(b *testing.B) {
	for _, size := range []image.Point{{640, 480}, {1920, 1080}} {
		for _, mode := range []string{"shm", "getimage"} {
			b.Run(mode+"/"+strconv.Itoa(size.X)+"x"+strconv.Itoa(size.Y), func(b *testing.B) {
				var extra []string
				if mode == "getimage" {
					extra = []string{"-extension", "MIT-SHM"}
				}
				disp := x11test.StartXvfb(b, size.X, size.Y, extra...)
				d, err := x11.Open(disp)
				if err != nil {
					b.Fatal(err)
				}
				defer d.Close()
				c, err := d.CaptureScreen(0)
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				if c.SHM() != (mode == "shm") {
					b.Fatalf("capturer SHM %v in mode %s", c.SHM(), mode)
				}
				pic := image.NewYCbCr(image.Rect(0, 0, size.X, size.Y), image.YCbCrSubsampleRatio420)
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if err := c.Capture(pic); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
