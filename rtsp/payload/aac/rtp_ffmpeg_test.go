package aac

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/payloadtest"
)

func sineArgs(bitrate string) []string {
	return []string{"-f", "lavfi", "-i", "sine=frequency=440:duration=0.5:sample_rate=44100",
		"-ac", "2", "-c:a", "aac", "-b:a", bitrate}
}

func sum(b []byte) string {
	h := md5.Sum(b)
	return fmt.Sprintf("%d %s", len(b), hex.EncodeToString(h[:]))
}

// adtsFrames encodes the test tone with FFmpeg's AAC encoder into ADTS and
// returns the raw frames, the reference of what RTP must carry.
func adtsFrames(t *testing.T, bitrate string) [][]byte {
	t.Helper()
	var pkts mpeg4audio.ADTSPackets
	if err := pkts.Unmarshal(payloadtest.FFmpegOutput(t, append(sineArgs(bitrate), "-f", "adts", "pipe:1")...)); err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	for _, p := range pkts {
		frames = append(frames, p.AU)
	}
	return frames
}

// FFmpeg's RTP muxer (several frames per packet; fragments when a frame
// is larger than pkt_size), depacketized, gives the frames of the ADTS
// encoding, each packet's timestamp 1024 samples per frame after the
// previous one.
func TestFromFFmpeg(t *testing.T) {
	for _, c := range []struct {
		name, bitrate string
		pktSize       int
	}{{"aggregated", "64k", 1400}, {"fragmented", "256k", 300}} {
		t.Run(c.name, func(t *testing.T) {
			ref := adtsFrames(t, c.bitrate)
			f, pkts := payloadtest.FFmpegSend(t, c.pktSize, func(pt uint8, rtpmap string, fmtp map[string]string) (payload.Format, error) {
				return Unmarshal(pt, rtpmap, fmtp)
			}, sineArgs(c.bitrate)...)
			g := f.(*Format)
			if g.SampleRate != 44100 || g.Channels != 2 || g.SizeLength != 13 {
				t.Fatalf("format from ffmpeg's SDP: %+v", *g)
			}
			d := f.NewDepacketizer()
			var got [][]byte
			multi, frags := 0, 0
			for _, pkt := range pkts {
				au, err := d.Depacketize(pkt)
				if err != nil {
					t.Fatal(err)
				}
				if au == nil {
					frags++
					continue
				}
				if len(au) > 1 {
					multi++
				}
				if want := pkts[0].Timestamp + uint32(len(got))*1024; pkt.Timestamp != want {
					t.Fatalf("frame %d: timestamp %d, want %d", len(got), pkt.Timestamp, want)
				}
				for _, fr := range au {
					got = append(got, append([]byte(nil), fr...))
				}
			}
			// FFmpeg's muxer does not flush the frames it holds back
			// for its last packet (at most 5 at 64 kbit/s).
			if len(got) > len(ref) || len(got) < len(ref)-5 {
				t.Fatalf("depacketized %d frames, ffmpeg encoded %d", len(got), len(ref))
			}
			for i := range got {
				if sum(got[i]) != sum(ref[i]) {
					t.Fatalf("frame %d differs", i)
				}
			}
			t.Logf("%d packets, %d with several frames, %d non-final fragments", len(pkts), multi, frags)
			if c.name == "aggregated" && multi == 0 || c.name == "fragmented" && frags == 0 {
				t.Fatal("ffmpeg did not exercise the case")
			}
		})
	}
}

// The ADTS frames, packetized by us one per AU (and with a small payload
// size, fragmented), come out of FFmpeg's RTP demuxer unchanged.
func TestToFFmpeg(t *testing.T) {
	for _, c := range []struct {
		name, bitrate string
		maxPayload    int
	}{{"whole", "64k", 0}, {"fragmented", "256k", 300}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			frames := adtsFrames(t, c.bitrate)
			f := &Format{PT: 97, Config: mustASC(t), SampleRate: 44100, Channels: 2,
				SizeLength: 13, IndexLength: 3, IndexDeltaLength: 3}
			var aus [][][]byte
			var ts []uint32
			var want []string
			for i, fr := range frames {
				aus = append(aus, [][]byte{fr})
				ts = append(ts, uint32(i*1024))
				want = append(want, sum(fr))
			}
			pkts := payloadtest.Packetize(t, f, c.maxPayload, aus, ts)
			got := payloadtest.FrameMD5s(payloadtest.FFmpegReceive(t, f, pkts, []string{"-analyzeduration", "0"}, "-c", "copy", "-f", "framemd5", "pipe:1"))
			if !slices.Equal(got, want) {
				t.Fatalf("ffmpeg got %d frames, sent %d (%d packets)", len(got), len(want), len(pkts))
			}
			t.Logf("%d frames in %d packets", len(want), len(pkts))
		})
	}
}

// mustASC is the AudioSpecificConfig of AAC-LC, 44100 Hz, stereo.
func mustASC(t *testing.T) []byte {
	t.Helper()
	asc, err := (&mpeg4audio.AudioSpecificConfig{Type: mpeg4audio.ObjectTypeAACLC, SampleRate: 44100,
		ChannelCount: 2}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return asc
}
