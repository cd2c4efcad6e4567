package g726

import (
	"bytes"
	"fmt"
	"testing"

	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/payloadtest"
)

func sineArgs(kbps int) []string {
	return []string{"-f", "lavfi", "-i", "sine=frequency=440:duration=0.5:sample_rate=8000",
		"-c:a", "g726le", "-b:a", fmt.Sprintf("%dk", kbps)}
}

// G.726 (RFC 3551 packing, FFmpeg's g726le) at every bit rate, packetized
// by us in 20 ms AUs, comes back out of FFmpeg's RTP demuxer byte for byte.
func TestToFFmpeg(t *testing.T) {
	for _, kbps := range []int{16, 24, 32, 40} {
		t.Run(fmt.Sprint(kbps), func(t *testing.T) {
			t.Parallel()
			enc := payloadtest.FFmpegOutput(t, append(sineArgs(kbps), "-f", "g726le", "pipe:1")...)
			f := &Format{Bitrate: kbps * 1000, PT: 97}
			au := 160 * kbps / 64 // 20 ms: 160 samples
			var aus [][][]byte
			var ts []uint32
			for i := 0; i < len(enc); i += au {
				aus = append(aus, [][]byte{enc[i:min(i+au, len(enc))]})
				ts = append(ts, uint32(i*8/f.bitsPerSample()))
			}
			got := payloadtest.FFmpegReceive(t, f, payloadtest.Packetize(t, f, 0, aus, ts), nil, "-c", "copy", "-f", "g726le", "pipe:1")
			if !bytes.Equal(got, enc) {
				t.Fatalf("ffmpeg gave %d bytes, sent %d", len(got), len(enc))
			}
		})
	}
}

// FFmpeg's RTP muxer output, depacketized, gives its own encoding, the
// timestamp advancing 8/bits samples per byte.
func TestFromFFmpeg(t *testing.T) {
	for _, kbps := range []int{16, 24, 32, 40} {
		t.Run(fmt.Sprint(kbps), func(t *testing.T) {
			ref := payloadtest.FFmpegOutput(t, append(sineArgs(kbps), "-f", "g726le", "pipe:1")...)
			f, pkts := payloadtest.FFmpegSend(t, payload.MaxPacketSize, func(pt uint8, rtpmap string, fmtp map[string]string) (payload.Format, error) {
				return Unmarshal(pt, rtpmap, fmtp)
			}, sineArgs(kbps)...)
			if g := f.(*Format); g.Bitrate != kbps*1000 {
				t.Fatalf("format from ffmpeg's SDP: %+v", *g)
			}
			d := f.NewDepacketizer()
			var got []byte
			next := pkts[0].Timestamp
			for _, pkt := range pkts {
				if pkt.Timestamp != next {
					t.Fatalf("timestamp %d, want %d", pkt.Timestamp, next)
				}
				au, err := d.Depacketize(pkt)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, au[0]...)
				next += uint32(len(au[0]) * 8 / (kbps / 8))
			}
			if !bytes.Equal(got, ref) {
				t.Fatalf("depacketized %d bytes, ffmpeg encoded %d", len(got), len(ref))
			}
		})
	}
}
