package firmware

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	mch264 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"rtspcam/firmware/config"
	"rtspcam/rtsp/message"
)

// spropSPS returns the SPS of the first sprop-parameter-sets in an SDP.
func spropSPS(t *testing.T, sdp string) []byte {
	t.Helper()
	_, v, ok := strings.Cut(sdp, "sprop-parameter-sets=")
	if !ok {
		t.Fatalf("no sprop-parameter-sets in the SDP a reader gets:\n%s", sdp)
	}
	v, _, _ = strings.Cut(v, ",")
	sps, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
	if err != nil {
		t.Fatalf("sprop-parameter-sets %q: %v", v, err)
	}
	return sps
}

// ffprobeSize asks ffprobe for the video size while letting it read
// almost nothing of the stream, so the size must come from the SDP.
func ffprobeSize(t *testing.T, url string) string {
	t.Helper()
	out, err := e2eRun(context.Background(), 15*time.Second, "ffprobe", "-v", "error", "-rtsp_transport", "tcp",
		"-probesize", "32", "-analyzeduration", "0", "-select_streams", "v:0",
		"-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", url)
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// x264Frame has ffmpeg encode one 320x240 frame and returns its SPS, PPS
// and IDR slice.
func x264Frame(t *testing.T) (sps, pps, idr []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "one.h264")
	if out, err := e2eRun(context.Background(), 20*time.Second, "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25",
		"-frames:v", "1", "-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "baseline", "-f", "h264", path); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var au mch264.AnnexB
	err = au.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range au {
		switch n[0] & 0x1f {
		case 7:
			sps = n
		case 8:
			pps = n
		case 5:
			idr = n
		}
	}
	if sps == nil || pps == nil || idr == nil {
		t.Fatal("ffmpeg's frame lacks SPS, PPS or IDR")
	}
	return sps, pps, idr
}

// sendNALU sends one NAL unit as a single packet or as FU-A fragments.
func (p *rawPublisher) sendNALU(t *testing.T, nalu []byte, marker bool, ts uint32) {
	t.Helper()
	const max = 1400
	if len(nalu) <= max {
		p.send(t, nalu, marker, ts)
		return
	}
	ind, typ := nalu[0]&0xe0|28, nalu[0]&0x1f
	frag := make([]byte, 0, max+2)
	for rest, first := nalu[1:], true; len(rest) > 0; first = false {
		n := min(len(rest), max)
		fu := typ
		if first {
			fu |= 0x80
		}
		if n == len(rest) {
			fu |= 0x40
		}
		frag = append(append(frag[:0], ind, fu), rest[:n]...)
		p.send(t, frag, marker && n == len(rest), ts)
		rest = rest[n:]
	}
}

// TestPublishLearnsParameterSetsAnnounce: a publisher whose ANNOUNCE SDP
// has no sprop-parameter-sets sends SPS and PPS in a STAP-A before its
// first IDR only. A later reader (no GOP cache, so it never sees them
// in-band) gets them in its DESCRIBE, and ffprobe decodes the IDRs that
// follow and reports the size.
func TestPublishLearnsParameterSetsAnnounce(t *testing.T) {
	e2eRequireTools(t, "ffmpeg", "ffprobe")
	sps, pps, idr := x264Frame(t)
	pa := pubStart(t, nil, PublishOptions{GOPCacheBytes: -1})
	url := pa.base + "bare/sdp"
	pub := rawPublish(t, url, rawSDP)
	pub.send(t, stapA(sps, pps), false, 0)
	pub.sendNALU(t, idr, true, 0)
	if res := pub.do(t, "OPTIONS", url, message.Header{}); res.StatusCode != 200 {
		t.Fatalf("OPTIONS: %d", res.StatusCode)
	}

	r := dialStubborn(t, url, false)
	if got := spropSPS(t, r.sdp); !bytes.Equal(got, sps) {
		t.Fatalf("the SDP's SPS is % x, want ffmpeg's % x", got, sps)
	}
	r.nc.Close()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // IDRs without parameter sets while ffprobe looks
		defer close(done)
		for ts := uint32(3600); ; ts += 3600 {
			select {
			case <-stop:
				return
			case <-time.After(40 * time.Millisecond):
				pub.sendNALU(t, idr, true, ts)
			}
		}
	}()
	got := ffprobeSize(t, url)
	close(stop)
	<-done
	if got != "h264,320,240" {
		t.Fatalf("ffprobe reports %q, want h264,320,240", got)
	}
}

// TestPublishLearnsParameterSetsPusher: ffmpeg sends plain RTP to a UDP
// <pusher> node whose config gives no parameter sets; a reader's DESCRIBE
// then carries ffmpeg's SPS and PPS and ffprobe reads the size from it.
func TestPublishLearnsParameterSetsPusher(t *testing.T) {
	e2eRequireTools(t, "ffmpeg", "ffprobe")
	pa, vport, aport := pusherStart(t, config.PushUDP, config.Video{Codec: config.VideoH264}, config.Audio{})
	p := startPublisher(t, "ffmpeg", ffmpegRTPArgs(vport, aport)...)
	pa.waitPublished(t, p, "push/cam")
	url := pa.base + "push/cam"
	var sdp string
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		r := dialStubborn(t, url, false)
		r.nc.Close()
		if sdp = r.sdp; strings.Contains(sdp, "sprop-parameter-sets=") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	var sps mch264.SPS
	if err := sps.Unmarshal(spropSPS(t, sdp)); err != nil {
		t.Fatal(err)
	}
	if sps.Width() != 320 || sps.Height() != 240 {
		t.Fatalf("the SDP's SPS says %dx%d, want 320x240", sps.Width(), sps.Height())
	}
	if got := ffprobeSize(t, url); got != "h264,320,240" {
		t.Fatalf("ffprobe reports %q, want h264,320,240", got)
	}
}

// TestPublishLearnsParameterSetsPusherH265: the same for H.265: ffmpeg
// sends libx265's RTP to a UDP <pusher> node configured with the codec
// only; a reader's DESCRIBE carries sprop-vps, sprop-sps and sprop-pps
// and ffprobe reads the size.
func TestPublishLearnsParameterSetsPusherH265(t *testing.T) {
	e2eRequireTools(t, "ffmpeg", "ffprobe")
	pa, vport, _ := pusherStart(t, config.PushUDP, config.Video{Codec: config.VideoH265}, config.Audio{})
	p := startPublisher(t, "ffmpeg", "-v", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=352x288:rate=25:duration=6",
		"-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error:keyint=25", "-pix_fmt", "yuv420p",
		"-f", "rtp", "rtp://127.0.0.1:"+strconv.Itoa(vport)+"?pkt_size=1300")
	pa.waitPublished(t, p, "push/cam")
	url := pa.base + "push/cam"
	var sdp string
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		r := dialStubborn(t, url, false)
		r.nc.Close()
		if sdp = r.sdp; strings.Contains(sdp, "sprop-pps=") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, key := range []string{"sprop-vps=", "sprop-sps=", "sprop-pps="} {
		if !strings.Contains(sdp, key) {
			t.Fatalf("no %s in the SDP a reader gets:\n%s", key, sdp)
		}
	}
	if got := ffprobeSize(t, url); got != "hevc,352,288" {
		t.Fatalf("ffprobe reports %q, want hevc,352,288", got)
	}
}
