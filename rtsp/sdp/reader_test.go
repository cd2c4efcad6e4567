package sdp

import (
	"bytes"
	"strings"
	"testing"

	"rtspcam/rtsp/payload/aac"
	"rtspcam/rtsp/payload/g711"
	"rtspcam/rtsp/payload/h264"
	"rtspcam/rtsp/payload/mjpeg"
)

// What a camera, ffmpeg and GStreamer send in ANNOUNCE or DESCRIBE.
var samples = map[string]string{
	"ffmpeg": "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=No Name\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\na=tool:libavformat 59.27.100\r\n" +
		"m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1; sprop-parameter-sets=Z2QAHqzZQKA9oQAAAwABAAADADIPFi2W,aOvjyyLA; profile-level-id=64001E\r\na=control:streamid=0\r\n" +
		"m=audio 0 RTP/AVP 97\r\nb=AS:128\r\na=rtpmap:97 MPEG4-GENERIC/48000/2\r\na=fmtp:97 profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3; config=119056E500\r\na=control:streamid=1\r\n",
	// LF only, c= only at media level, no a=control, session name missing
	"camera": "v=0\no=- 1 1 IN IP4 192.168.1.10\nt=0 0\nm=video 0 RTP/AVP 26\nc=IN IP4 0.0.0.0\nm=audio 0 RTP/AVP 0\n",
	// o= with too few fields, session-level control only
	"odd-origin": "v=0\r\no=camera\r\ns= \r\nt=0 0\r\na=control:rtsp://10.0.0.2/live\r\nm=audio 5000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n",
}

func TestUnmarshalRealDescriptions(t *testing.T) {
	d, err := Unmarshal([]byte(samples["ffmpeg"]))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Medias) != 2 || d.Medias[0].Control != "streamid=0" {
		t.Fatalf("got %+v", d)
	}
	if f, ok := d.Medias[0].Format.(*h264.Format); !ok || len(f.SPS) == 0 || len(f.PPS) == 0 {
		t.Fatalf("video format %#v", d.Medias[0].Format)
	}
	if f, ok := d.Medias[1].Format.(*aac.Format); !ok || f.SampleRate != 48000 || f.Channels != 2 {
		t.Fatalf("audio format %#v", d.Medias[1].Format)
	}

	d, err = Unmarshal([]byte(samples["camera"]))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Medias[0].Format.(*mjpeg.Format); !ok {
		t.Fatalf("static PT 26 not MJPEG: %#v", d.Medias[0].Format)
	}
	if f, ok := d.Medias[1].Format.(*g711.Format); !ok || !f.MuLaw {
		t.Fatalf("static PT 0 not PCMU: %#v", d.Medias[1].Format)
	}

	d, err = Unmarshal([]byte(samples["odd-origin"]))
	if err != nil {
		t.Fatal(err)
	}
	if d.Control != "rtsp://10.0.0.2/live" || len(d.Medias) != 1 {
		t.Fatalf("got %+v", d)
	}
}

func TestUnmarshalRefusesWhatItCannotPlay(t *testing.T) {
	for name, s := range map[string]string{
		"empty":   "",
		"garbage": "hello world",
		"unknown": "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n",
		"huge":    strings.Repeat("a=x:y\r\n", MaxSize),
	} {
		if _, err := Unmarshal([]byte(s)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestRoundTripThroughOurWriter reads back what DESCRIBE writes.
func TestRoundTripThroughOurWriter(t *testing.T) {
	f := &h264.Format{PT: 96, SPS: []byte{0x67, 0x64, 0x00, 0x1e, 0xac}, PPS: []byte{0x68, 0xeb}}
	s := Session{ID: 1, Version: 1, Name: "clip.mp4", Origin: "127.0.0.1"}
	s.Formats = append(s.Formats, f, &g711.Format{MuLaw: true})
	d, err := Unmarshal(s.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if d.Control != "*" || len(d.Medias) != 2 || d.Medias[1].Control != "trackID=1" {
		t.Fatalf("got %+v", d)
	}
	if g := d.Medias[0].Format.(*h264.Format); !bytes.Equal(g.SPS, f.SPS) || !bytes.Equal(g.PPS, f.PPS) {
		t.Fatalf("parameter sets lost: %+v", g)
	}
}

// savpAnnounce is what GStreamer 1.22's rtspclientsink profiles=savp
// announces (MIKEY per media), with an SDES media added as a publisher
// that offers a=crypto would.
const savpAnnounce = "v=0\r\no=- 1801343270 1 IN IP4 127.0.0.1\r\ns=Session streamed with GStreamer\r\n" +
	"t=0 0\r\na=key-mgmt:mikey AQAFAJu2RfkBAADpSxeF\r\n" +
	"m=video 0 RTP/SAVP 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 H264/90000\r\n" +
	"a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z/QADZDZaBQfsBagwMDIAAADAAgAAAMB5HihVQ==,aM4xkg==\r\n" +
	"a=control:stream=0\r\n" +
	"a=key-mgmt:mikey AQAFAJu2RfkBAADpSxeFAAAAAAsA7rBuTPcNYr8KEFFrIR7dx3EhIaahbwNai1gBAAAAFQABAQEBEAIBAQMBCgcBAQgBAQoBAQAAACIAIAAeLR5fPy1h9aKhjlflRFTIR30QTH9Vmq72Qvw05+hhAA==\r\n" +
	"m=audio 0 RTP/SAVP 0\r\na=control:stream=1\r\n" +
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r\n" +
	"a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj\r\n"

func TestUnmarshalKeepsSRTPKeying(t *testing.T) {
	d, err := Unmarshal([]byte(savpAnnounce))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.KeyMgmt, "mikey AQAFAJu2") {
		t.Fatalf("session key-mgmt %q", d.KeyMgmt)
	}
	v, a := d.Medias[0], d.Medias[1]
	if v.Protocol != "RTP/SAVP" || !strings.HasPrefix(v.KeyMgmt, "mikey AQAFAJu2RfkBAADpSxeFAAAAAAsA") || len(v.Crypto) != 0 {
		t.Fatalf("video: %+v", v)
	}
	if a.KeyMgmt != "" || len(a.Crypto) != 2 || !strings.HasPrefix(a.Crypto[1], "2 AES_CM_128_HMAC_SHA1_32 inline:") {
		t.Fatalf("audio: %+v", a)
	}
}

func FuzzUnmarshal(f *testing.F) {
	for _, s := range samples {
		f.Add([]byte(s))
	}
	f.Add([]byte(savpAnnounce))
	f.Add([]byte("v=0\r\nm=video 0 RTP/AVP 96 97 98\r\na=rtpmap:96 H265/90000\r\na=fmtp:96 sprop-vps=!!\r\n"))
	f.Add([]byte("m=audio 0 RTP/AVP 97\r\na=rtpmap:97 G726-32/8000\r\nm=audio 0 RTP/AVP 98\r\na=rtpmap:98 opus/48000/2\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Unmarshal(b)
		if err != nil {
			return
		}
		if len(d.Medias) == 0 || len(d.Medias) > MaxMedias {
			t.Fatalf("%d medias", len(d.Medias))
		}
		for _, m := range d.Medias {
			if m.Format == nil {
				t.Fatal("nil format")
			}
			if len(m.Crypto) > maxCrypto {
				t.Fatalf("%d crypto lines kept", len(m.Crypto))
			}
			_ = m.Format.FMTP()
			_ = m.Format.RTPMap()
		}
	})
}
