package g722

import (
	"bytes"
	"testing"

	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/payloadtest"
)

var sineArgs = []string{"-f", "lavfi", "-i", "sine=frequency=440:duration=0.5:sample_rate=16000", "-c:a", "g722"}

// G.722 encoded by FFmpeg, packetized by us in 20 ms AUs, comes back out
// of FFmpeg's RTP demuxer byte for byte.
func TestToFFmpeg(t *testing.T) {
	enc := payloadtest.FFmpegOutput(t, append(sineArgs, "-f", "g722", "pipe:1")...)
	f := &Format{}
	var aus [][][]byte
	var ts []uint32
	for i := 0; i < len(enc); i += 160 {
		aus = append(aus, [][]byte{enc[i:min(i+160, len(enc))]})
		ts = append(ts, uint32(i)) // one tick per byte
	}
	got := payloadtest.FFmpegReceive(t, f, payloadtest.Packetize(t, f, 0, aus, ts), nil, "-c", "copy", "-f", "g722", "pipe:1")
	if !bytes.Equal(got, enc) {
		t.Fatalf("ffmpeg gave %d bytes, sent %d", len(got), len(enc))
	}
}

// FFmpeg's RTP muxer output (PT 9, no rtpmap in its SDP), depacketized,
// gives its own encoding, with the timestamp advancing one tick per byte.
func TestFromFFmpeg(t *testing.T) {
	ref := payloadtest.FFmpegOutput(t, append(sineArgs, "-f", "g722", "pipe:1")...)
	f, pkts := payloadtest.FFmpegSend(t, payload.MaxPacketSize, func(pt uint8, rtpmap string, fmtp map[string]string) (payload.Format, error) {
		return Unmarshal(pt, rtpmap, fmtp)
	}, sineArgs...)
	if f.PayloadType() != 9 {
		t.Fatalf("PT %d", f.PayloadType())
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
		next += uint32(len(au[0]))
	}
	if !bytes.Equal(got, ref) {
		t.Fatalf("depacketized %d bytes, ffmpeg encoded %d", len(got), len(ref))
	}
}
