package mjpeg

import (
	"bytes"
	"errors"
	"os/exec"
	"strconv"
	"testing"

	"github.com/pion/rtp"

	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/payloadtest"
)

func TestUnmarshal(t *testing.T) {
	for _, c := range []struct {
		pt     uint8
		rtpmap string
		outPT  uint8
	}{{26, "JPEG/90000", 26}, {26, "", 26}, {96, "jpeg/90000", 96}} {
		f, err := Unmarshal(c.pt, c.rtpmap, nil)
		if err != nil {
			t.Fatalf("%q: %v", c.rtpmap, err)
		}
		if f.PayloadType() != c.outPT || f.ClockRate() != 90000 || f.RTPMap() != "JPEG/90000" ||
			f.FMTP() != "" || f.MediaType() != payload.Video {
			t.Errorf("%q: %+v", c.rtpmap, *f)
		}
	}
	for _, bad := range []string{"JPEG/8000", "H264/90000", "JPEG"} {
		if _, err := Unmarshal(26, bad, nil); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if _, err := Unmarshal(96, "", nil); err == nil {
		t.Error("dynamic PT without rtpmap: no error")
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add(uint8(26), "JPEG/90000")
	f.Add(uint8(26), "")
	f.Add(uint8(97), "JPEG/90000/1")
	f.Fuzz(func(t *testing.T, pt uint8, rtpmap string) {
		fm, err := Unmarshal(pt, rtpmap, nil)
		if err != nil {
			return
		}
		if _, err := Unmarshal(fm.PayloadType(), fm.RTPMap(), nil); err != nil {
			t.Fatalf("announced %q does not parse: %v", fm.RTPMap(), err)
		}
	})
}

type sent struct {
	payload []byte
	marker  bool
}

func packets(t testing.TB, maxPayload int, file []byte) ([]sent, error) {
	var out []sent
	err := (&Format{}).NewPacketizer(maxPayload).Packetize([][]byte{file}, true, func(b []byte, m bool, off uint32) {
		if off != 0 {
			t.Fatalf("offset %d", off)
		}
		if len(b) > maxPayload && maxPayload > 0 {
			t.Fatalf("%d-byte payload over %d", len(b), maxPayload)
		}
		out = append(out, sent{append([]byte(nil), b...), m})
	})
	return out, err
}

// rebuild depacketizes packets with consecutive sequence numbers.
func rebuild(t *testing.T, pkts []sent) []byte {
	t.Helper()
	d := (&Format{}).NewDepacketizer()
	for i, p := range pkts {
		au, err := d.Depacketize(&rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(65530 + i), Timestamp: 9,
			Marker: p.marker}, Payload: p.payload})
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if (au != nil) != p.marker {
			t.Fatalf("packet %d: AU %v with marker %v", i, au != nil, p.marker)
		}
		if au != nil {
			return append([]byte(nil), au[0]...)
		}
	}
	t.Fatal("no frame")
	return nil
}

// A Go JPEG goes through packets and back; the rebuilt file decodes to
// the very same pixels, including sizes that are not multiples of 8.
func TestRoundTrip(t *testing.T) {
	for _, sz := range [][2]int{{320, 240}, {100, 75}, {2040, 16}} {
		file := goJPEG(t, sz[0], sz[1], 1, 80)
		pkts, err := packets(t, 500, file)
		if err != nil {
			t.Fatal(err)
		}
		first := pkts[0].payload
		if first[4] != 1 || first[5] != 255 || int(first[6]) != (sz[0]+7)/8 || int(first[7]) != (sz[1]+7)/8 {
			t.Fatalf("main header %x", first[:8])
		}
		if first[8] != 0 || first[9] != 0 || first[10] != 0 || first[11] != 128 {
			t.Fatalf("quantization table header %x", first[8:12])
		}
		got := rebuild(t, pkts)
		img := decode(t, got)
		if b := img.Bounds(); b.Dx() != (sz[0]+7)/8*8 || b.Dy() != (sz[1]+7)/8*8 {
			t.Fatalf("rebuilt %v for %v", b, sz)
		}
		samePixels(t, decode(t, file), img)
	}
}

// 4:2:2 (luma 2x1, RFC 2435 type 0) as libjpeg writes it.
func TestType0(t *testing.T) {
	file := gstJPEG422(t, "smpte")
	pkts, err := packets(t, 1000, file)
	if err != nil {
		t.Fatal(err)
	}
	if pkts[0].payload[4] != 0 {
		t.Fatalf("type %d, want 0", pkts[0].payload[4])
	}
	samePixels(t, decode(t, file), decode(t, rebuild(t, pkts)))
}

// FFmpeg writes a DRI and restart markers when it encodes in slices:
// type 65 with a restart marker header.
func TestRestartMarkers(t *testing.T) {
	files := ffmpegJPEGs(t, 1, "-pix_fmt", "yuvj420p", "-threads", "4", "-slices", "4")
	if !bytes.Contains(files[0], []byte{0xff, 0xdd, 0, 4}) {
		t.Fatal("ffmpeg wrote no DRI")
	}
	pkts, err := packets(t, 1000, files[0])
	if err != nil {
		t.Fatal(err)
	}
	h := pkts[0].payload
	if h[4] != 65 || h[10] != 0xff || h[11] != 0xff || uint16(h[8])<<8|uint16(h[9]) == 0 {
		t.Fatalf("header %x", h[:12])
	}
	got := rebuild(t, pkts)
	if !bytes.Contains(got, []byte{0xff, 0xdd, 0, 4, h[8], h[9]}) {
		t.Fatal("rebuilt file has no DRI")
	}
	samePixels(t, decode(t, files[0]), decode(t, got))
}

// ffmpegJPEGs encodes n frames of FFmpeg's test source with its MJPEG
// encoder and the annex K Huffman tables.
func ffmpegJPEGs(t *testing.T, n int, args ...string) [][]byte {
	t.Helper()
	all := append([]string{"-f", "lavfi", "-i", "testsrc=size=320x240:rate=10", "-frames:v", strconv.Itoa(n),
		"-c:v", "mjpeg", "-huffman", "default"}, args...)
	return splitJPEGs(t, payloadtest.FFmpegOutput(t, append(all, "-f", "mjpeg", "pipe:1")...))
}

// Q 1–99: no tables in the packet; the receiver scales the annex K tables
// as RFC 2435 appendix A does, the same IJG scaling Go's encoder uses, so
// a Go JPEG at quality q sent with Q=q decodes to the same pixels.
func TestScaledQ(t *testing.T) {
	for _, q := range []int{10, 50, 90} {
		file := goJPEG(t, 64, 48, 2, q)
		pkts, err := packets(t, 400, file)
		if err != nil {
			t.Fatal(err)
		}
		p := pkts[0].payload
		p[5] = byte(q)
		pkts[0].payload = append(p[:8:8], p[8+quantHeaderSize:]...)
		samePixels(t, decode(t, file), decode(t, rebuild(t, pkts)))
	}
}

// The annex K tables typed in tables.go are the ones Go's encoder writes.
func TestTablesMatchGo(t *testing.T) {
	for q := 1; q <= 99; q++ {
		file := goJPEG(t, 8, 8, 0, q)
		var fr frame
		if err := fr.parse(file); err != nil { // also checks the DHT tables
			t.Fatal(err)
		}
		l, c := scaledTables(q)
		if fr.quant[0] != l || fr.quant[1] != c {
			t.Fatalf("quality %d: tables differ from Go's", q)
		}
	}
}

func TestRefuses(t *testing.T) {
	good := goJPEG(t, 64, 48, 0, 75)
	sof := bytes.Index(good, []byte{0xff, 0xc0})
	dht := bytes.Index(good, []byte{0xff, 0xc4})
	edit := func(at int, v byte) []byte {
		b := bytes.Clone(good)
		b[at] = v
		return b
	}
	optimized := ffmpegJPEGs(t, 1, "-pix_fmt", "yuvj420p", "-huffman", "optimal")[0]
	ffmpeg422 := ffmpegJPEGs(t, 1, "-pix_fmt", "yuvj422p")[0] // luma 2x2, chroma 1x2
	for name, b := range map[string][]byte{
		"progressive":       edit(sof+1, 0xc2),
		"extended":          edit(sof+1, 0xc1),
		"12-bit":            edit(sof+4, 12),
		"4:4:4":             edit(sof+11, 0x11),
		"other Huffman":     edit(dht+6, 2),
		"optimized Huffman": optimized,
		"chroma 1x2":        ffmpeg422,
		"grayscale":         grayJPEG(t),
		"too wide":          goJPEG(t, 2048, 8, 0, 75),
		"no EOI":            good[:len(good)-2],
		"no SOI":            good[2:],
		"truncated":         good[:sof+6],
		"empty":             nil,
	} {
		if _, err := packets(t, 0, b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func grayJPEG(t *testing.T) []byte {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
		"testsrc=size=64x48", "-frames:v", "1", "-pix_fmt", "gray", "-c:v", "mjpeg", "-f", "mjpeg", "pipe:1").Output()
	if err != nil || len(out) == 0 {
		t.Fatalf("ffmpeg: %v", err)
	}
	return out
}

func TestDepacketizeLoss(t *testing.T) {
	pkts, err := packets(t, 300, goJPEG(t, 160, 120, 3, 75))
	if err != nil || len(pkts) < 3 {
		t.Fatalf("%d packets, %v", len(pkts), err)
	}
	d := (&Format{}).NewDepacketizer()
	if _, err := d.Depacketize(&rtp.Packet{Header: rtp.Header{SequenceNumber: 1}, Payload: pkts[0].payload}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Depacketize(&rtp.Packet{Header: rtp.Header{SequenceNumber: 3}, Payload: pkts[2].payload}); err == nil {
		t.Fatal("lost fragment: no error")
	}
	// A fragment without its start is refused too; then a whole frame works.
	if _, err := d.Depacketize(&rtp.Packet{Header: rtp.Header{SequenceNumber: 4}, Payload: pkts[1].payload}); err == nil {
		t.Fatal("orphan fragment: no error")
	}
	if rebuild(t, pkts) == nil {
		t.Fatal("no frame after loss")
	}
	// A frame whose end is lost is dropped when the next one starts; the
	// next one comes through.
	d = (&Format{}).NewDepacketizer()
	_, _ = d.Depacketize(&rtp.Packet{Header: rtp.Header{SequenceNumber: 1, Timestamp: 1}, Payload: pkts[0].payload})
	var au [][]byte
	for i, p := range pkts {
		au, err = d.Depacketize(&rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(3 + i), Timestamp: 2,
			Marker: p.marker}, Payload: p.payload})
		if (i == 0) != (err != nil) {
			t.Fatalf("packet %d of the next frame: %v", i, err)
		}
	}
	if au == nil {
		t.Fatal("next frame not rebuilt")
	}
	for _, b := range [][]byte{nil, {0, 0, 0, 0, 1, 255, 8, 8}, {0, 0, 0, 0, 5, 50, 8, 8, 0}, {0, 0, 0, 0, 1, 0, 8, 8, 0},
		{0, 0, 0, 0, 1, 50, 0, 8, 0}, {0, 0, 0, 0, 65, 50, 8, 8}, {0, 0, 0, 0, 1, 128, 8, 8, 0, 0, 0, 0}} {
		if _, err := d.Depacketize(&rtp.Packet{Payload: b}); !errors.Is(err, payload.ErrMalformed) {
			t.Errorf("%x: got %v", b, err)
		}
	}
}

func FuzzPacketize(f *testing.F) {
	f.Add(goJPEG(f, 32, 16, 0, 75))
	f.Add(goJPEG(f, 16, 16, 1, 10))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xdd, 0, 4, 0, 1, 0xff, 0xda, 0, 2, 1, 0xff, 0xd9})
	f.Fuzz(func(t *testing.T, b []byte) {
		p := (&Format{}).NewPacketizer(200)
		_ = p.Packetize([][]byte{b}, true, func(pl []byte, _ bool, _ uint32) {
			if len(pl) > 200 {
				t.Fatalf("%d-byte payload", len(pl))
			}
		})
	})
}

func FuzzDepacketize(f *testing.F) {
	pkts, _ := packets(f, 200, goJPEG(f, 32, 16, 0, 75))
	for _, p := range pkts {
		f.Add(p.payload, p.marker)
	}
	f.Add([]byte{0, 0, 0, 0, 65, 50, 2, 2, 0, 4, 0xff, 0xff, 1, 2}, true)
	f.Add([]byte{0, 0, 0, 0, 1, 200, 2, 2, 0, 0, 0, 0, 1}, true)
	f.Fuzz(func(t *testing.T, b []byte, marker bool) {
		d := (&Format{}).NewDepacketizer()
		for i := range 3 {
			au, err := d.Depacketize(&rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(i), Marker: marker}, Payload: b})
			if err != nil || au == nil {
				continue
			}
			f := au[0]
			if len(au) != 1 || len(f) > payload.MaxAccessUnitSize || len(f) < 4 ||
				f[0] != 0xff || f[1] != 0xd8 || f[len(f)-2] != 0xff || f[len(f)-1] != 0xd9 {
				t.Fatalf("bad JPEG file of %d bytes", len(f))
			}
		}
	})
}

func TestPacketizeAllocs(t *testing.T) {
	file := goJPEG(t, 320, 240, 0, 75)
	p := (&Format{}).NewPacketizer(0)
	emit := func([]byte, bool, uint32) {}
	au := [][]byte{file}
	_ = p.Packetize(au, true, emit)
	if n := testing.AllocsPerRun(100, func() { _ = p.Packetize(au, true, emit) }); n != 0 {
		t.Fatalf("%v allocs per Packetize", n)
	}
}

func BenchmarkPacketize(b *testing.B) {
	file := goJPEG(b, 640, 480, 0, 75)
	p := (&Format{}).NewPacketizer(0)
	emit := func([]byte, bool, uint32) {}
	au := [][]byte{file}
	b.ReportAllocs()
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		_ = p.Packetize(au, true, emit)
	}
}

func BenchmarkDepacketize(b *testing.B) {
	pkts, _ := packets(b, 0, goJPEG(b, 640, 480, 0, 75))
	d := (&Format{}).NewDepacketizer()
	rp := make([]rtp.Packet, len(pkts))
	for i, p := range pkts {
		rp[i] = rtp.Packet{Header: rtp.Header{Marker: p.marker}, Payload: p.payload}
	}
	b.ReportAllocs()
	for b.Loop() {
		for i := range rp {
			rp[i].SequenceNumber = uint16(i)
			if _, err := d.Depacketize(&rp[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func TestDepacketizeAllocs(t *testing.T) {
	pkts, err := packets(t, 0, goJPEG(t, 320, 240, 0, 75))
	if err != nil {
		t.Fatal(err)
	}
	d := (&Format{}).NewDepacketizer()
	var seq uint16
	run := func() {
		for _, p := range pkts {
			seq++
			if _, err := d.Depacketize(&rtp.Packet{Header: rtp.Header{SequenceNumber: seq, Marker: p.marker},
				Payload: p.payload}); err != nil {
				t.Fatal(err)
			}
		}
	}
	run()
	if n := testing.AllocsPerRun(50, run); n != 0 {
		t.Fatalf("%v allocs per frame", n)
	}
}
