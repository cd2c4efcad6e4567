package client

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"rtspcam/rtsp/message"
)

// FuzzLoop feeds arbitrary bytes to the read loop as if they came from a
// server after PLAY: interleaved frames mixed with RTSP messages. It must
// never panic, and never count more packets or bytes than arrived.
func FuzzLoop(f *testing.F) {
	f.Add(frames(3))
	f.Add([]byte("RTSP/1.0 200 OK\r\nCSeq: 9\r\n\r\n$\x00\x00\x0c\x80\x60\x00\x01\x00\x00\x00\x01\x00\x00\x00\x07"))
	f.Add([]byte("$\x01\x00\x08\x80\xc8\x00\x01\x00\x00\x00\x01$\x09\x00\x00"))
	f.Add([]byte("$\x02\xff\xff\x80"))
	f.Add([]byte("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n"))
	// One loopback connection for every input (the loop only sets its
	// deadlines): a connection per input would exhaust ephemeral ports.
	src := bytes.NewReader(nil)
	r := testReader(f, src)
	f.Fuzz(func(t *testing.T, in []byte) {
		src.Reset(in)
		r.br.Reset(src)
		r.msgs = message.NewReader(r.br)
		r.stats = Stats{Tracks: make([]TrackStats, 2)}
		wd := time.AfterFunc(3*time.Second, func() { panic(fmt.Sprintf("hang on %q", in)) })
		_ = r.loop(context.Background())
		wd.Stop()
		s := r.Stats()
		if len(s.Tracks) != 2 {
			t.Fatalf("%d tracks", len(s.Tracks))
		}
		if s.Packets()*16 > uint64(len(in)) || s.Bytes() > uint64(len(in)) {
			t.Fatalf("%d packets, %d bytes counted from %d bytes of input", s.Packets(), s.Bytes(), len(in))
		}
	})
}

// FuzzTrackControls parses arbitrary descriptions: no panic, at most
// MaxTracks controls, each an rtsp URL.
func FuzzTrackControls(f *testing.F) {
	f.Add([]byte("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 26\r\na=control:trackID=0\r\nm=audio 0 RTP/AVP 0\r\na=control:rtsp://h/p/trackID=1\r\n"))
	f.Add([]byte("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\n"))
	f.Add([]byte("v=0\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := trackControls(in, "rtsp://h/p")
		if err != nil {
			return
		}
		if len(c) == 0 || len(c) > MaxTracks {
			t.Fatalf("%d controls", len(c))
		}
		for _, u := range c {
			if len(u) < len("rtsp://") {
				t.Fatalf("control %q", u)
			}
		}
	})
}
