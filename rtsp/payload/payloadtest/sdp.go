package payloadtest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"rtspcam/rtsp/payload"
)

// sdpFor is the SDP that announces f alone on a loopback port, for ffmpeg
// to receive it.
func sdpFor(f payload.Format, port int) string {
	sdp := fmt.Sprintf("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=test\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=%s %d RTP/AVP %d\r\na=rtpmap:%d %s\r\n", f.MediaType(), port, f.PayloadType(), f.PayloadType(), f.RTPMap())
	if fmtp := f.FMTP(); fmtp != "" {
		sdp += fmt.Sprintf("a=fmtp:%d %s\r\n", f.PayloadType(), fmtp)
	}
	return sdp
}

// readSDP takes the payload type, rtpmap and fmtp (keys lower-cased) of
// the first media of an SDP file.
func readSDP(t *testing.T, path string) (uint8, string, map[string]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var pt int
	var rtpmap string
	fmtp := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "m="):
			fields := strings.Fields(line)
			pt, _ = strconv.Atoi(fields[len(fields)-1])
		case strings.HasPrefix(line, "a=rtpmap:"):
			_, rtpmap, _ = strings.Cut(line, " ")
		case strings.HasPrefix(line, "a=fmtp:"):
			_, params, _ := strings.Cut(line, " ")
			for _, kv := range strings.Split(params, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
				if k != "" {
					fmtp[strings.ToLower(k)] = v
				}
			}
		}
	}
	return uint8(pt), rtpmap, fmtp
}
