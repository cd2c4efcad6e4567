package opus

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"

	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/payloadtest"
)

func sineArgs(ch int) []string {
	return []string{"-f", "lavfi", "-i", "sine=frequency=440:duration=0.5:sample_rate=48000",
		"-ac", fmt.Sprint(ch), "-c:a", "libopus"}
}

func sum(b []byte) string {
	h := md5.Sum(b)
	return fmt.Sprintf("%d %s", len(b), hex.EncodeToString(h[:]))
}

// fromFFmpeg depacketizes what FFmpeg's RTP muxer sends and checks it
// against the packets of the same encoding as FFmpeg itself lists them.
func fromFFmpeg(t *testing.T, ch int) (*Format, [][]byte, []uint32) {
	t.Helper()
	ref := payloadtest.FrameMD5s(payloadtest.FFmpegOutput(t, append(sineArgs(ch), "-f", "framemd5", "pipe:1")...))
	f, pkts := payloadtest.FFmpegSend(t, payload.MaxPacketSize, func(pt uint8, rtpmap string, fmtp map[string]string) (payload.Format, error) {
		return Unmarshal(pt, rtpmap, fmtp)
	}, sineArgs(ch)...)
	g := f.(*Format)
	if g.Channels != ch {
		t.Fatalf("format from ffmpeg's SDP: %+v, want %d channels", *g, ch)
	}
	d := f.NewDepacketizer()
	var got []string
	var aus [][]byte
	var ts []uint32
	for _, pkt := range pkts {
		au, err := d.Depacketize(pkt)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, sum(au[0]))
		aus = append(aus, append([]byte(nil), au[0]...))
		ts = append(ts, pkt.Timestamp)
	}
	if !slices.Equal(got, ref) {
		t.Fatalf("depacketized %d packets, ffmpeg encoded %d; first %v vs %v", len(got), len(ref), got[:1], ref[:1])
	}
	return g, aus, ts
}

func TestFromFFmpeg(t *testing.T) {
	for _, ch := range []int{1, 2} {
		t.Run(fmt.Sprint(ch), func(t *testing.T) { fromFFmpeg(t, ch) })
	}
}

// The Opus packets FFmpeg made, packetized by us, come out of FFmpeg's RTP
// demuxer unchanged and decode.
func TestToFFmpeg(t *testing.T) {
	f, aus, ts := fromFFmpeg(t, 2)
	var want []string
	var in [][][]byte
	for _, au := range aus {
		want = append(want, sum(au))
		in = append(in, [][]byte{au})
	}
	pkts := payloadtest.Packetize(t, f, 0, in, ts)
	got := payloadtest.FrameMD5s(payloadtest.FFmpegReceive(t, f, pkts, nil, "-c", "copy", "-f", "framemd5", "pipe:1"))
	if !slices.Equal(got, want) {
		t.Fatalf("ffmpeg got %d packets, sent %d", len(got), len(want))
	}
}
