package g711

import (
	"bytes"
	"fmt"
	"math"
	"testing"

	"rtspcam/hwenc/soft"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/payloadtest"
)

// tone is d seconds of a 440 Hz sine, interleaved for ch channels.
func tone(rate, ch int, d float64) []int16 {
	n := int(float64(rate) * d)
	pcm := make([]int16, n*ch)
	for i := range n {
		v := int16(12000 * math.Sin(2*math.Pi*440*float64(i)/float64(rate)))
		for c := range ch {
			pcm[i*ch+c] = v
		}
	}
	return pcm
}

// Our packets, sent to FFmpeg's RTP demuxer, give back the same bytes.
func TestToFFmpeg(t *testing.T) {
	for _, f := range []*Format{
		{MuLaw: true, SampleRate: 8000, Channels: 1},
		{MuLaw: false, SampleRate: 8000, Channels: 1},
		{MuLaw: true, SampleRate: 16000, Channels: 2, PT: 97},
	} {
		t.Run(f.RTPMap(), func(t *testing.T) {
			t.Parallel()
			pcm := tone(f.rate(), f.channels(), 0.5)
			var enc []byte
			if f.MuLaw {
				enc = soft.EncodeMuLaw(nil, pcm)
			} else {
				enc = soft.EncodeALaw(nil, pcm)
			}
			// 40 ms AUs; at 16 kHz stereo they need two packets each.
			step := f.rate() / 25 * f.channels()
			var aus [][][]byte
			var ts []uint32
			for i := 0; i < len(enc); i += step {
				aus = append(aus, [][]byte{enc[i:min(i+step, len(enc))]})
				ts = append(ts, uint32(i/f.channels()))
			}
			pkts := payloadtest.Packetize(t, f, 0, aus, ts)
			name := "alaw"
			if f.MuLaw {
				name = "mulaw"
			}
			got := payloadtest.FFmpegReceive(t, f, pkts, nil, "-c", "copy", "-f", name, "pipe:1")
			if !bytes.Equal(got, enc) {
				t.Fatalf("ffmpeg gave %d bytes, sent %d (equal prefix: %v)", len(got), len(enc),
					bytes.HasPrefix(enc, got))
			}
		})
	}
}

// FFmpeg's RTP muxer output, depacketized, gives FFmpeg's own encoding.
func TestFromFFmpeg(t *testing.T) {
	for _, c := range []struct {
		codec, raw string
		rate, ch   int
	}{{"pcm_mulaw", "mulaw", 8000, 1}, {"pcm_alaw", "alaw", 8000, 1}, {"pcm_alaw", "alaw", 16000, 2}} {
		t.Run(fmt.Sprintf("%s/%d/%d", c.codec, c.rate, c.ch), func(t *testing.T) {
			src := []string{"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:duration=0.5:sample_rate=%d", c.rate),
				"-ac", fmt.Sprint(c.ch), "-c:a", c.codec}
			ref := payloadtest.FFmpegOutput(t, append(src, "-f", c.raw, "pipe:1")...)
			f, pkts := payloadtest.FFmpegSend(t, payload.MaxPacketSize, func(pt uint8, rtpmap string, fmtp map[string]string) (payload.Format, error) {
				return Unmarshal(pt, rtpmap, fmtp)
			}, src...)
			g := f.(*Format)
			if g.MuLaw != (c.raw == "mulaw") || g.rate() != c.rate || g.channels() != c.ch {
				t.Fatalf("format from ffmpeg's SDP: %+v", *g)
			}
			d := f.NewDepacketizer()
			var got []byte
			next := pkts[0].Timestamp
			for _, pkt := range pkts {
				if pkt.PayloadType != f.PayloadType() {
					t.Fatalf("PT %d, want %d", pkt.PayloadType, f.PayloadType())
				}
				if pkt.Timestamp != next {
					t.Fatalf("timestamp %d, want %d", pkt.Timestamp, next)
				}
				au, err := d.Depacketize(pkt)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, au[0]...)
				next += uint32(len(au[0]) / c.ch)
			}
			if !bytes.Equal(got, ref) {
				t.Fatalf("depacketized %d bytes, ffmpeg encoded %d", len(got), len(ref))
			}
		})
	}
}
