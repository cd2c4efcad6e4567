package mpeg4v

import (
	"bytes"
	"net"
	"os"
	"testing"

	"rtspcam/rtsp/payload/payloadtest"
)

// TestMain gives the ffmpeg tests one clip directory per test binary.
func TestMain(m *testing.M) { payloadtest.Main(m) }

// splitFrames cuts an MPEG-4 visual elementary stream into frames: a
// frame is the headers before a VOP and the VOP; the next frame starts at
// the first VOS, VO, VOL, GOV or VOP start code after a VOP.
func splitFrames(b []byte) [][]byte {
	var frames [][]byte
	start, hasVOP := 0, false
	for pos, code := nextStartCode(b, 0); pos >= 0; pos, code = nextStartCode(b, pos+4) {
		header := code == 0xb0 || code == 0xb5 || code <= 0x2f || code == 0xb3 || code == 0xb6
		if header && hasVOP {
			frames = append(frames, b[start:pos])
			start, hasVOP = pos, false
		}
		hasVOP = hasVOP || code == 0xb6
	}
	if start < len(b) {
		frames = append(frames, b[start:])
	}
	return frames
}

func readFrames(t *testing.T, clip string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(clip)
	if err != nil {
		t.Fatal(err)
	}
	return splitFrames(b)
}

// TestFFmpegDecodesOurStream packetizes an ffmpeg mpeg4 clip and has
// ffmpeg decode the RTP stream from an SDP carrying our FMTP.
func TestFFmpegDecodesOurStream(t *testing.T) {
	clip := payloadtest.MakeClip(t, "clip.m4v", "-c:v", "mpeg4", "-g", "10", "-f", "m4v")
	frames := readFrames(t, clip)
	want := payloadtest.CountFrames(t, clip)
	if len(frames) != want {
		t.Fatalf("split %d frames, ffprobe counts %d", len(frames), want)
	}
	keys := 0
	aus := make([][][]byte, len(frames))
	for i, fr := range frames {
		aus[i] = [][]byte{fr}
		if IsRandomAccess(aus[i]) {
			keys++
		}
	}
	if keys != 3 {
		t.Errorf("%d I-VOPs, want 3 (GOP of 10 in 25 frames)", keys)
	}
	f := &Format{Config: append([]byte(nil), ConfigFromFrame(frames[0])...)}
	if len(f.Config) == 0 {
		t.Fatal("no config in the first frame")
	}
	const maxPayload = 1000
	decoded, errLog := payloadtest.FFmpegDecode(t, f, func(c *net.UDPConn) {
		payloadtest.SendAUs(t, c, f.NewPacketizer(maxPayload), aus, IsRandomAccess, maxPayload)
	})
	if errLog != "" {
		t.Errorf("ffmpeg logged errors:\n%s", errLog)
	}
	if decoded != want {
		t.Errorf("ffmpeg decoded %d frames, want %d", decoded, want)
	}
}

// TestDepacketizeFFmpegStream has ffmpeg send a clip as RTP and checks we
// rebuild exactly the clip's frames.
func TestDepacketizeFFmpegStream(t *testing.T) {
	clip := payloadtest.MakeClip(t, "clip.m4v", "-c:v", "mpeg4", "-g", "10", "-f", "m4v")
	frames := readFrames(t, clip)
	pkts := payloadtest.FFmpegSendCopy(t, "-i", clip)
	d := (&Format{}).NewDepacketizer()
	var got [][]byte
	for _, p := range pkts {
		au, err := d.Depacketize(p)
		if err != nil {
			t.Fatalf("packet %d: %v", p.SequenceNumber, err)
		}
		if au != nil {
			got = append(got, append([]byte(nil), au[0]...))
		}
	}
	if len(got) != len(frames) {
		t.Fatalf("rebuilt %d frames, clip has %d", len(got), len(frames))
	}
	for i := range frames {
		if !bytes.Equal(got[i], frames[i]) {
			t.Fatalf("frame %d differs: %d bytes, want %d", i, len(got[i]), len(frames[i]))
		}
	}
	t.Logf("%d packets, %d frames", len(pkts), len(got))
}
