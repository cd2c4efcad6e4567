package h265

import (
	"bytes"
	"net"
	"os"
	"testing"

	"rtspcam/rtsp/payload/payloadtest"
)

// TestMain gives the ffmpeg tests one clip directory per test binary.
func TestMain(m *testing.M) { payloadtest.Main(m) }

// splitStream cuts an Annex-B elementary stream into NAL units.
func splitStream(b []byte) [][]byte {
	var nalus [][]byte
	for {
		i := bytes.Index(b, []byte{0, 0, 1})
		if i < 0 {
			break
		}
		b = b[i+3:]
		j := bytes.Index(b, []byte{0, 0, 1})
		n := b
		if j >= 0 {
			n = b[:j]
		}
		n = bytes.TrimRight(n, "\x00")
		if len(n) > 0 {
			nalus = append(nalus, n)
		}
		if j < 0 {
			break
		}
	}
	return nalus
}

// splitAUs groups NAL units into access units (H.265 7.4.2.4.4): an AU
// ends before a VPS, SPS, PPS, AUD or prefix SEI that follows a slice, or
// before the first slice of the next picture
// (first_slice_segment_in_pic_flag).
func splitAUs(nalus [][]byte) [][][]byte {
	var aus [][][]byte
	var cur [][]byte
	hasVCL := false
	for _, n := range nalus {
		typ := n[0] >> 1 & 0x3f
		vcl := typ < 32
		newAU := hasVCL && ((typ >= 32 && typ <= 35) || typ == 39 || (vcl && len(n) > 2 && n[2]&0x80 != 0))
		if newAU {
			aus = append(aus, cur)
			cur, hasVCL = nil, false
		}
		cur = append(cur, n)
		hasVCL = hasVCL || vcl
	}
	if len(cur) > 0 {
		aus = append(aus, cur)
	}
	return aus
}

func readAUs(t *testing.T, file string) [][][]byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return splitAUs(splitStream(b))
}

// TestFFmpegDecodesOurStream packetizes an x265 clip (four slices per
// picture, so AP and FU are both used) and has ffmpeg decode the RTP
// stream from an SDP carrying our FMTP.
func TestFFmpegDecodesOurStream(t *testing.T) {
	clip := payloadtest.MakeClip(t, "clip.hevc", "-c:v", "libx265", "-x265-params", "bframes=0:slices=4:log-level=error", "-f", "hevc")
	aus := readAUs(t, clip)
	want := payloadtest.CountFrames(t, clip)
	if len(aus) != want {
		t.Fatalf("split %d AUs, ffprobe counts %d frames", len(aus), want)
	}
	f := &Format{}
	for _, n := range aus[0] {
		switch n[0] >> 1 & 0x3f {
		case 32:
			f.VPS = n
		case 33:
			f.SPS = n
		case 34:
			f.PPS = n
		}
	}
	const maxPayload = 1000
	frames, errLog := payloadtest.FFmpegDecode(t, f, func(c *net.UDPConn) {
		payloadtest.SendAUs(t, c, f.NewPacketizer(maxPayload), aus, IsRandomAccess, maxPayload)
	})
	if errLog != "" {
		t.Errorf("ffmpeg logged errors:\n%s", errLog)
	}
	if frames != want {
		t.Errorf("ffmpeg decoded %d frames, want %d", frames, want)
	}
}

// TestDepacketizeFFmpegStream has ffmpeg send a clip as RTP and checks we
// rebuild exactly the clip's access units.
func TestDepacketizeFFmpegStream(t *testing.T) {
	clip := payloadtest.MakeClip(t, "clip.hevc", "-c:v", "libx265", "-x265-params", "bframes=0:slices=4:log-level=error", "-f", "hevc")
	aus := readAUs(t, clip)
	pkts := payloadtest.FFmpegSendCopy(t, "-i", clip)
	d := (&Format{}).NewDepacketizer()
	var got [][][]byte
	types := map[byte]int{}
	for _, p := range pkts {
		types[p.Payload[0]>>1&0x3f]++
		au, err := d.Depacketize(p)
		if err != nil {
			t.Fatalf("packet %d: %v", p.SequenceNumber, err)
		}
		if au != nil {
			c := make([][]byte, len(au))
			for i := range au {
				c[i] = append([]byte(nil), au[i]...)
			}
			got = append(got, c)
		}
	}
	if types[49] == 0 {
		t.Errorf("ffmpeg sent no FU: %v", types)
	}
	if len(got) != len(aus) {
		t.Fatalf("rebuilt %d AUs, clip has %d", len(got), len(aus))
	}
	for i := range aus {
		if len(got[i]) != len(aus[i]) {
			t.Fatalf("AU %d: %d NAL units, want %d", i, len(got[i]), len(aus[i]))
		}
		for j := range aus[i] {
			// ffmpeg's sender keeps the zero_byte of the next 4-byte start
			// code at the end of a NAL unit; it is not part of the unit.
			if !bytes.Equal(bytes.TrimRight(got[i][j], "\x00"), aus[i][j]) {
				t.Fatalf("AU %d NAL %d differs", i, j)
			}
		}
	}
	t.Logf("%d packets (types %v), %d AUs", len(pkts), types, len(got))
}
