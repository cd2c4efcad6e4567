package testpattern

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"math"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"rtspcam/hwenc/soft"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/g711"
	"rtspcam/rtsp/payload/mjpeg"
)

func TestNewValidates(t *testing.T) {
	for _, o := range []Options{
		{Width: 641, Height: 480}, {Width: 640, Height: 479}, {Width: 2042, Height: 480},
		{Width: 640, Height: 2100}, {Width: -2}, {FPS: 61}, {FPS: -1}, {Quality: 101},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
	p, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.width != 640 || p.height != 480 || p.fps != 25 || p.audio {
		t.Fatalf("defaults: %dx%d %d fps audio %v", p.width, p.height, p.fps, p.audio)
	}
	if o := DefaultOptions(); o != (Options{640, 480, 25, 75, true}) {
		t.Fatalf("DefaultOptions %+v", o)
	}
	if _, err := New(Options{Width: 2040, Height: 16, FPS: 60}); err != nil {
		t.Fatalf("2040x16 at 60 fps: %v", err)
	}
}

func TestFormats(t *testing.T) {
	p, err := New(DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	f := p.Formats()
	if len(f) != 2 {
		t.Fatalf("%d formats", len(f))
	}
	if _, ok := f[VideoTrack].(*mjpeg.Format); !ok {
		t.Errorf("track 0 is %T, want *mjpeg.Format", f[VideoTrack])
	}
	if g, ok := f[AudioTrack].(*g711.Format); !ok || !g.MuLaw {
		t.Errorf("track 1 is %#v, want PCMU", f[AudioTrack])
	}
	q, _ := New(Options{})
	if len(q.Formats()) != 1 {
		t.Errorf("no audio: %d formats", len(q.Formats()))
	}
}

// frame paints and encodes frame n at clock now and decodes it back.
func frame(t *testing.T, p *Pattern, n int64, now time.Time) *image.YCbCr {
	t.Helper()
	out, err := p.enc.Encode(nil, p.paint.paint(n, now))
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != p.width || b.Dy() != p.height {
		t.Fatalf("decoded %v, want %dx%d", b, p.width, p.height)
	}
	return img.(*image.YCbCr)
}

func TestBarsColours(t *testing.T) {
	p, err := New(DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 12, 34, 56, 700e6, time.Local)
	for _, n := range []int64{0, 10, 123} {
		img := frame(t, p, n, now)
		off := int(n*ScrollStep) % p.width
		y := p.paint.barsH / 2
		for i, want := range Bars {
			// The centre of bar i sits at (i+0.5)*w/7 in the unscrolled row.
			x := ((i*2+1)*p.width/14 - off + p.width) % p.width
			r, g, b, _ := img.At(x, y).RGBA()
			got := [3]int{int(r >> 8), int(g >> 8), int(b >> 8)}
			for k, w := range [3]uint8{want.R, want.G, want.B} {
				if d := got[k] - int(w); d < -10 || d > 10 {
					t.Errorf("frame %d bar %d at x=%d: got RGB %v, want %v", n, i, x, got, want)
					break
				}
			}
		}
	}
}

// band returns the clock band's luma.
func band(p *Pattern, img *image.YCbCr) []byte {
	var b []byte
	for y := p.paint.barsH; y < p.height; y++ {
		b = append(b, img.Y[y*img.YStride:y*img.YStride+p.width]...)
	}
	return b
}

func TestClockChanges(t *testing.T) {
	p, err := New(DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 2, 12, 34, 56, 0, time.Local)
	a := band(p, frame(t, p, 0, t0))
	b := band(p, frame(t, p, 25, t0.Add(time.Second)))
	c := band(p, frame(t, p, 0, t0.Add(time.Second)))
	if bytes.Equal(a, b) {
		t.Error("clock band identical one second (25 frames) apart")
	}
	if bytes.Equal(a, c) {
		t.Error("clock band ignores the wall time")
	}
	// The text is there: bright ink on the black band.
	bright := 0
	for _, v := range a {
		if v > 200 {
			bright++
		}
	}
	if bright < len(a)/50 {
		t.Errorf("only %d of %d band pixels lit", bright, len(a))
	}
	if got := string(p.paint.text); got != "12:34:57.0 #000000" {
		t.Errorf("clock text %q", got)
	}
}

// recorder keeps copies of what Run writes.
type recorder struct {
	mu    sync.Mutex
	start time.Time
	video [][]byte
	vpts  []time.Duration
	vkey  []bool
	audio []byte
	apts  []time.Duration
	late  time.Duration // worst arrival − pts
	early time.Duration // worst pts − arrival
	fail  int           // return an error on this call (1-based), 0 never
	calls int
}

var errWriter = errors.New("writer says no")

func (r *recorder) WriteAU(track int, pts time.Duration, au [][]byte, key bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.calls == r.fail {
		return errWriter
	}
	d := time.Since(r.start) - pts
	r.late, r.early = max(r.late, d), max(r.early, -d)
	if len(au) != 1 {
		panic("AU of several slices")
	}
	switch track {
	case VideoTrack:
		r.video = append(r.video, bytes.Clone(au[0]))
		r.vpts = append(r.vpts, pts)
		r.vkey = append(r.vkey, key)
	case AudioTrack:
		r.audio = append(r.audio, au[0]...)
		r.apts = append(r.apts, pts)
	}
	return nil
}

// goertzel is the power of f in x relative to x's total power.
func goertzel(x []int16, f, rate float64) float64 {
	w := 2 * math.Pi * f / rate
	c := 2 * math.Cos(w)
	var s1, s2, total float64
	for _, v := range x {
		s := float64(v) + c*s1 - s2
		s2, s1 = s1, s
		total += float64(v) * float64(v)
	}
	p := s1*s1 + s2*s2 - c*s1*s2
	return 2 * p / float64(len(x)) / total
}

func TestRun(t *testing.T) {
	goroutines := runtime.NumGoroutine()
	p, err := New(Options{Width: 160, Height: 120, FPS: 25, Quality: 75, Audio: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{start: time.Now()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, rec) }()
	time.Sleep(1100 * time.Millisecond)
	cancel()
	cancelled := time.Now()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Run did not stop on cancel")
	}
	// Generous: CI runs packages side by side on two cores. Early sends are
	// what pacing must never do; lateness only bounds a stall.
	const slack = 1500 * time.Millisecond
	if d := time.Since(cancelled); d > slack {
		t.Errorf("Run took %v to stop", d)
	}
	elapsed := cancelled.Sub(rec.start)

	rec.mu.Lock()
	defer rec.mu.Unlock()
	// 25 frames and 50 audio units a second (frames skipped when far
	// behind count too), PTS in exact steps.
	wantFrames := int(elapsed / (40 * time.Millisecond))
	if n := len(rec.video) + int(p.Skipped()); n < wantFrames-int(slack/(40*time.Millisecond)) || n > wantFrames+1 {
		t.Errorf("%d frames (+%d skipped) in %v", len(rec.video), p.Skipped(), elapsed)
	}
	if n, want := len(rec.apts), int(elapsed/(20*time.Millisecond)); n < want-int(slack/(20*time.Millisecond)) || n > want+1 {
		t.Errorf("%d audio units in %v", n, elapsed)
	}
	for i, pts := range rec.vpts {
		if pts%(40*time.Millisecond) != 0 || (i > 0 && pts <= rec.vpts[i-1]) {
			t.Fatalf("frame %d pts %v after %v", i, pts, rec.vpts[max(i-1, 0)])
		}
		if p.Skipped() == 0 && pts != time.Duration(i)*40*time.Millisecond {
			t.Fatalf("frame %d pts %v, want %v", i, pts, time.Duration(i)*40*time.Millisecond)
		}
		if !rec.vkey[i] {
			t.Fatalf("frame %d not key", i)
		}
	}
	for i, pts := range rec.apts {
		if pts != time.Duration(i)*20*time.Millisecond {
			t.Fatalf("audio %d pts %v, want %v", i, pts, time.Duration(i)*20*time.Millisecond)
		}
	}
	// Paced against the clock: nothing sent early, nothing very late, and
	// the last PTS is close to the time Run ran.
	t.Logf("%d frames, %d skipped, %d audio units in %v; worst lateness %v",
		len(rec.video), p.Skipped(), len(rec.apts), elapsed, rec.late)
	if rec.early > time.Millisecond {
		t.Errorf("an AU was sent %v before its PTS", rec.early)
	}
	if rec.late > slack {
		t.Errorf("an AU arrived %v after its PTS", rec.late)
	}
	if last := rec.apts[len(rec.apts)-1]; elapsed-last > slack || last > elapsed {
		t.Errorf("last audio pts %v after %v", last, elapsed)
	}

	// Every frame is a 160x120 JPEG.
	for i, f := range rec.video {
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(f))
		if err != nil || cfg.Width != 160 || cfg.Height != 120 {
			t.Fatalf("frame %d: %v %+v", i, err, cfg)
		}
	}

	// The audio is a 1 kHz tone at -6 dBFS peak.
	pcm := soft.DecodeMuLaw(nil, rec.audio)
	if r := goertzel(pcm, 1000, 8000); r < 0.99 {
		t.Errorf("1 kHz holds %.3f of the power, want ≥ 0.99", r)
	}
	var sum float64
	for _, v := range pcm {
		sum += float64(v) * float64(v)
	}
	rms := math.Sqrt(sum / float64(len(pcm)))
	want := ToneAmplitude * 32767 / math.Sqrt2
	if db := 20 * math.Log10(rms/want); math.Abs(db) > 0.3 {
		t.Errorf("tone RMS %.0f, want %.0f (%.2f dB off)", rms, want, db)
	}

	// No goroutine left behind.
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		t.Errorf("%d goroutines after Run, %d before", n, goroutines)
	}
}

// TestRunFFmpeg hands the stream to FFmpeg: the frames are an MJPEG stream
// it decodes, the audio a µ-law stream whose spectrum peaks at 1 kHz.
func TestRunFFmpeg(t *testing.T) {
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Fatalf("ffprobe is required: %v", err)
	}
	p, err := New(Options{Width: 320, Height: 240, FPS: 50, Audio: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{start: time.Now()}
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	if err := p.Run(ctx, rec); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run: %v", err)
	}
	var stream bytes.Buffer
	for _, f := range rec.video {
		stream.Write(f)
	}
	cmd := exec.Command("ffprobe", "-v", "error", "-f", "mjpeg", "-count_frames",
		"-show_entries", "stream=width,height,nb_read_frames", "-of", "csv=p=0", "-")
	cmd.Stdin = &stream
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v: %s", err, out)
	}
	if got, want := strings.TrimSpace(string(out)), "320,240,"; !strings.HasPrefix(got, want) ||
		got != want+itoa(len(rec.video)) {
		t.Fatalf("ffprobe says %q, want %q", got, want+itoa(len(rec.video)))
	}

	cmd = exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "mulaw", "-ar", "8000", "-ac", "1",
		"-i", "-", "-f", "s16le", "-")
	cmd.Stdin = bytes.NewReader(rec.audio)
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	pcm := make([]int16, len(raw)/2)
	for i := range pcm {
		pcm[i] = int16(uint16(raw[2*i]) | uint16(raw[2*i+1])<<8)
	}
	if len(pcm) != len(rec.audio) {
		t.Fatalf("ffmpeg decoded %d samples of %d", len(pcm), len(rec.audio))
	}
	if r := goertzel(pcm, 1000, 8000); r < 0.99 {
		t.Errorf("FFmpeg's decode: 1 kHz holds %.3f of the power", r)
	}
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

func TestRunWriterError(t *testing.T) {
	p, err := New(Options{Width: 64, Height: 48, FPS: 60, Audio: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{start: time.Now(), fail: 4}
	if err := p.Run(context.Background(), rec); !errors.Is(err, errWriter) {
		t.Fatalf("Run returned %v, want the writer's error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Run(ctx, rec); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Run returned %v", err)
	}
}

// TestFrameAllocs: drawing allocates nothing; encoding allocates only
// image/jpeg's own per-call state.
func TestFrameAllocs(t *testing.T) {
	p, err := New(DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var n int64
	if a := testing.AllocsPerRun(20, func() { p.paint.paint(n, now); n++ }); a != 0 {
		t.Errorf("paint allocs %v, want 0", a)
	}
	p.jpeg, _ = p.enc.Encode(p.jpeg[:0], p.paint.paint(0, now))
	a := testing.AllocsPerRun(10, func() {
		p.jpeg, _ = p.enc.Encode(p.jpeg[:0], p.paint.paint(n, now))
		n++
	})
	if a > 8 {
		t.Errorf("paint+encode allocs %v, want ≤ 8", a)
	}
}

func BenchmarkFrame640x480(b *testing.B) {
	p, err := New(DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	var n int64
	b.ReportAllocs()
	for b.Loop() {
		p.jpeg, _ = p.enc.Encode(p.jpeg[:0], p.paint.paint(n, now))
		n++
	}
	b.ReportMetric(float64(len(p.jpeg)), "bytes/frame")
}

func BenchmarkPaint640x480(b *testing.B) {
	p, err := New(DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	var n int64
	b.ReportAllocs()
	for b.Loop() {
		p.paint.paint(n, now)
		n++
	}
}

// TestFrameThroughRTP sends one frame through the track's own RFC 2435
// packetizer and depacketizer: what arrives is a JPEG of the right size.
func TestFrameThroughRTP(t *testing.T) {
	p, err := New(DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	au, err := p.enc.Encode(nil, p.paint.paint(5, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	f := p.Formats()[VideoTrack]
	var pkts []*rtp.Packet
	err = f.NewPacketizer(payload.MaxPayloadSize).Packetize([][]byte{au}, true, func(pl []byte, marker bool, _ uint32) {
		pkts = append(pkts, &rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: f.PayloadType(), SequenceNumber: uint16(len(pkts)), Marker: marker},
			Payload: bytes.Clone(pl),
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	dep := f.NewDepacketizer()
	var got [][]byte
	for _, pkt := range pkts {
		if got, err = dep.Depacketize(pkt); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d packets gave %d slices", len(pkts), len(got))
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(got[0]))
	if err != nil || cfg.Width != 640 || cfg.Height != 480 {
		t.Fatalf("after RTP: %v %+v", err, cfg)
	}
}
