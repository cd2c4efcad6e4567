package message

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// requestCases are requests as real clients send them, and what they
// must parse to. They also seed the fuzzers.
var requestCases = []struct {
	name string
	in   string
	want Request
}{
	{
		name: "ffmpeg OPTIONS",
		in:   "OPTIONS rtsp://127.0.0.1:8554/live RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: Lavf61.7.100\r\n\r\n",
		want: Request{Method: "OPTIONS", URL: "rtsp://127.0.0.1:8554/live", Proto: "RTSP/1.0",
			Header: Header{"CSeq": {"1"}, "User-Agent": {"Lavf61.7.100"}}},
	},
	{
		name: "ffmpeg SETUP",
		in:   "SETUP rtsp://127.0.0.1:8554/live/trackID=0 RTSP/1.0\r\nTransport: RTP/AVP/UDP;unicast;client_port=30000-30001\r\nCSeq: 3\r\nUser-Agent: Lavf61.7.100\r\n\r\n",
		want: Request{Method: "SETUP", URL: "rtsp://127.0.0.1:8554/live/trackID=0", Proto: "RTSP/1.0",
			Header: Header{"CSeq": {"3"}, "User-Agent": {"Lavf61.7.100"}, "Transport": {"RTP/AVP/UDP;unicast;client_port=30000-30001"}}},
	},
	{
		name: "VLC live555 PLAY",
		in:   "PLAY rtsp://cam/live/ RTSP/1.0\r\nCSeq: 5\r\nUser-Agent: LibVLC/3.0.18 (LIVE555 Streaming Media v2016.11.28)\r\nSession: 1234ABCD\r\nRange: npt=0.000-\r\n\r\n",
		want: Request{Method: "PLAY", URL: "rtsp://cam/live/", Proto: "RTSP/1.0",
			Header: Header{"CSeq": {"5"}, "User-Agent": {"LibVLC/3.0.18 (LIVE555 Streaming Media v2016.11.28)"},
				"Session": {"1234ABCD"}, "Range": {"npt=0.000-"}}},
	},
	{
		name: "GStreamer with bare LF, odd case and spacing",
		in:   "DESCRIBE   rtsp://cam/x  RTSP/1.0\ncseq:2\nuser-agent :  GStreamer/1.22.0 \naccept: application/sdp\nACCEPT: text/parameters\n\n",
		want: Request{Method: "DESCRIBE", URL: "rtsp://cam/x", Proto: "RTSP/1.0",
			Header: Header{"CSeq": {"2"}, "User-Agent": {"GStreamer/1.22.0"}, "Accept": {"application/sdp", "text/parameters"}}},
	},
	{
		name: "ANNOUNCE with body",
		in:   "ANNOUNCE rtsp://h/pub RTSP/1.0\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: 5\r\n\r\nv=0\r\n",
		want: Request{Method: "ANNOUNCE", URL: "rtsp://h/pub", Proto: "RTSP/1.0",
			Header: Header{"CSeq": {"2"}, "Content-Type": {"application/sdp"}, "Content-Length": {"5"}},
			Body:   []byte("v=0\r\n")},
	},
	{
		name: "folded header",
		in:   "GET_PARAMETER rtsp://h/ RTSP/1.0\r\nCSeq: 9\r\nX-Long: a\r\n  b\r\n\r\n",
		want: Request{Method: "GET_PARAMETER", URL: "rtsp://h/", Proto: "RTSP/1.0",
			Header: Header{"CSeq": {"9"}, "X-Long": {"a b"}}},
	},
	{
		name: "HTTP tunnel GET",
		in:   "GET /live HTTP/1.1\r\nx-sessioncookie: 9a7b\r\nAccept: application/x-rtsp-tunnelled\r\n\r\n",
		want: Request{Method: "GET", URL: "/live", Proto: "HTTP/1.1",
			Header: Header{"X-Sessioncookie": {"9a7b"}, "Accept": {"application/x-rtsp-tunnelled"}}},
	},
	{
		name: "HTTP tunnel POST leaves its body to Read",
		in:   "POST /live HTTP/1.0\r\nX-Sessioncookie: 9a7b\r\nContent-Length: 32767\r\nContent-Type: application/x-rtsp-tunnelled\r\n\r\n",
		want: Request{Method: "POST", URL: "/live", Proto: "HTTP/1.0",
			Header: Header{"X-Sessioncookie": {"9a7b"}, "Content-Length": {"32767"}, "Content-Type": {"application/x-rtsp-tunnelled"}}},
	},
}

var responseCases = []struct {
	name string
	in   string
	want Response
}{
	{
		name: "Hikvision 401",
		in: "RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm=\"IP Camera(C1234)\", nonce=\"a3f0c1\", stale=\"FALSE\"\r\n" +
			"WWW-Authenticate: Basic realm=\"IP Camera(C1234)\"\r\nDate:  Mon, Jan 01 2024 00:00:00 GMT\r\n\r\n",
		want: Response{StatusCode: 401, Reason: "Unauthorized", Proto: "RTSP/1.0", Header: Header{
			"CSeq":             {"2"},
			"WWW-Authenticate": {`Digest realm="IP Camera(C1234)", nonce="a3f0c1", stale="FALSE"`, `Basic realm="IP Camera(C1234)"`},
			"Date":             {"Mon, Jan 01 2024 00:00:00 GMT"},
		}},
	},
	{
		name: "live555 DESCRIBE with SDP",
		in:   "RTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Base: rtsp://cam/live/\r\nContent-Type: application/sdp\r\nContent-Length: 10\r\n\r\nv=0\r\ns=x\r\n",
		want: Response{StatusCode: 200, Reason: "OK", Proto: "RTSP/1.0", Header: Header{
			"CSeq": {"3"}, "Content-Base": {"rtsp://cam/live/"}, "Content-Type": {"application/sdp"}, "Content-Length": {"10"},
		}, Body: []byte("v=0\r\ns=x\r\n")},
	},
	{
		name: "Dahua PLAY, no reason spaces kept",
		in:   "RTSP/1.0 200 OK\nCSeq: 5\nSession: 2849017;timeout=60\nRTP-Info: url=rtsp://cam/trackID=0;seq=1;rtptime=0\n\n",
		want: Response{StatusCode: 200, Reason: "OK", Proto: "RTSP/1.0", Header: Header{
			"CSeq": {"5"}, "Session": {"2849017;timeout=60"}, "RTP-Info": {"url=rtsp://cam/trackID=0;seq=1;rtptime=0"},
		}},
	},
	{
		name: "reason with spaces",
		in:   "RTSP/1.0 455 Method Not Valid in This State\r\nCSeq: 7\r\n\r\n",
		want: Response{StatusCode: 455, Reason: "Method Not Valid in This State", Proto: "RTSP/1.0", Header: Header{"CSeq": {"7"}}},
	},
	{
		name: "no reason",
		in:   "RTSP/1.0 200\r\nCSeq: 1\r\n\r\n",
		want: Response{StatusCode: 200, Proto: "RTSP/1.0", Header: Header{"CSeq": {"1"}}},
	},
	{
		name: "HTTP tunnel answer",
		in:   "HTTP/1.0 200 OK\r\nContent-Type: application/x-rtsp-tunnelled\r\n\r\n",
		want: Response{StatusCode: 200, Reason: "OK", Proto: "HTTP/1.0", Header: Header{"Content-Type": {"application/x-rtsp-tunnelled"}}},
	},
}

func TestCanonicalKey(t *testing.T) {
	for in, want := range map[string]string{
		"cseq": "CSeq", "CSEQ": "CSeq", "www-authenticate": "WWW-Authenticate", "rtp-info": "RTP-Info",
		"content-base": "Content-Base", "keymgmt": "KeyMgmt", "x-sessioncookie": "X-Sessioncookie",
		"CONTENT-LENGTH": "Content-Length", " session ": "Session", "Transport": "Transport", "etag": "ETag",
	} {
		if got := CanonicalKey(in); got != want {
			t.Errorf("CanonicalKey(%q) = %q, want %q", in, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = CanonicalKey("Content-Length") }); n != 0 {
		t.Errorf("CanonicalKey of a canonical key allocates %v times", n)
	}
}

func TestHeader(t *testing.T) {
	h := Header{}
	h.Set("cseq", "1")
	h.Add("WWW-AUTHENTICATE", "Digest a")
	h.Add("www-authenticate", "Basic b")
	if h.Get("CSeq") != "1" || len(h.Values("Www-Authenticate")) != 2 || h.Get("missing") != "" {
		t.Fatalf("header = %v", h)
	}
	h.Del("CSEQ")
	if _, ok := h["CSeq"]; ok {
		t.Fatal("Del left CSeq")
	}
}

func TestRequestUnmarshal(t *testing.T) {
	for _, c := range requestCases {
		t.Run(c.name, func(t *testing.T) {
			var r Request
			if err := r.Unmarshal([]byte(c.in)); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r, c.want) {
				t.Fatalf("got  %+v\nwant %+v", r, c.want)
			}
			// Marshal and parse again: the same request.
			b, err := r.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var again Request
			if err := again.Unmarshal(b); err != nil {
				t.Fatalf("%v in %q", err, b)
			}
			if !reflect.DeepEqual(again, c.want) {
				t.Fatalf("round trip %q\ngot  %+v\nwant %+v", b, again, c.want)
			}
		})
	}
}

func TestResponseUnmarshal(t *testing.T) {
	for _, c := range responseCases {
		t.Run(c.name, func(t *testing.T) {
			var r Response
			if err := r.Unmarshal([]byte(c.in)); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r, c.want) {
				t.Fatalf("got  %+v\nwant %+v", r, c.want)
			}
			b, err := r.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			var again Response
			if err := again.Unmarshal(b); err != nil {
				t.Fatalf("%v in %q", err, b)
			}
			if c.want.Reason == "" {
				c.want.Reason = StatusText(c.want.StatusCode)
			}
			if !reflect.DeepEqual(again, c.want) {
				t.Fatalf("round trip %q\ngot  %+v\nwant %+v", b, again, c.want)
			}
		})
	}
}

func TestResponseMarshalOrder(t *testing.T) {
	r := Response{StatusCode: 200, Header: Header{
		"Session": {"abc;timeout=60"}, "CSeq": {"4"}, "Content-Type": {"application/sdp"}, "Content-Base": {"rtsp://h/x/"},
	}, Body: []byte("v=0\r\n")}
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := "RTSP/1.0 200 OK\r\nCSeq: 4\r\nContent-Base: rtsp://h/x/\r\nContent-Length: 5\r\nContent-Type: application/sdp\r\nSession: abc;timeout=60\r\n\r\nv=0\r\n"
	if string(b) != want {
		t.Fatalf("got %q\nwant %q", b, want)
	}
	if r.MarshalSize() != len(want) {
		t.Fatalf("MarshalSize %d, wrote %d", r.MarshalSize(), len(want))
	}
	// A stale Content-Length is replaced by the body's real length.
	r.Header.Set("Content-Length", "999")
	if b, _ := r.Marshal(); !bytes.Contains(b, []byte("Content-Length: 5\r\n")) || bytes.Contains(b, []byte("999")) {
		t.Fatalf("got %q", b)
	}
	if _, err := r.MarshalTo(make([]byte, 10)); !errors.Is(err, io.ErrShortBuffer) {
		t.Fatalf("short buffer: %v", err)
	}
}

func TestMarshalRefusesInjection(t *testing.T) {
	r := Response{StatusCode: 200, Header: Header{"CSeq": {"1\r\nX-Evil: 1"}}}
	if _, err := r.Marshal(); err == nil {
		t.Fatal("header value with CRLF marshalled")
	}
	q := Request{Method: "OPTIONS", URL: "rtsp://h/ x"}
	if _, err := q.Marshal(); err == nil {
		t.Fatal("URL with space marshalled")
	}
	if _, err := (&Response{StatusCode: 42}).Marshal(); err == nil {
		t.Fatal("status 42 marshalled")
	}
}

func TestStatusText(t *testing.T) {
	for _, c := range []int{200, 301, 302, 400, 401, 403, 404, 405, 406, 451, 453, 454, 455, 457, 459, 461, 462, 500, 501, 503, 505, 551} {
		if StatusText(c) == "" {
			t.Errorf("StatusText(%d) empty", c)
		}
	}
	if StatusText(454) != "Session Not Found" || StatusText(299) != "" {
		t.Error("wrong text")
	}
}

func TestReaderStream(t *testing.T) {
	var stream bytes.Buffer
	stream.WriteString("\r\n")
	stream.WriteString(requestCases[0].in)
	stream.Write([]byte{'$', 1, 0, 3, 'a', 'b', 'c'})
	stream.WriteString(responseCases[0].in)
	stream.Write([]byte{'$', 0, 0, 0})
	stream.WriteString(requestCases[4].in)

	r := NewReader(&stream)
	var kinds []string
	for {
		m, err := r.ReadMessage()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch m := m.(type) {
		case *Request:
			kinds = append(kinds, "req:"+m.Method)
		case *Response:
			kinds = append(kinds, "res:"+m.Reason)
		case *Interleaved:
			kinds = append(kinds, "$"+string(rune('0'+m.Channel))+":"+string(m.Payload))
		}
	}
	want := []string{"req:OPTIONS", "$1:abc", "res:Unauthorized", "$0:", "req:ANNOUNCE"}
	if !reflect.DeepEqual(kinds, want) {
		t.Fatalf("got %q want %q", kinds, want)
	}
}

func TestReaderTunnelBody(t *testing.T) {
	r := NewReader(strings.NewReader(requestCases[7].in + "REVTQ1JJQkU="))
	m, err := r.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if m.(*Request).Body != nil {
		t.Fatal("HTTP body read")
	}
	rest, _ := io.ReadAll(r)
	if string(rest) != "REVTQ1JJQkU=" {
		t.Fatalf("rest %q", rest)
	}
}

func TestReaderErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		is   error
		msg  string
	}{
		{"garbage", "GARBAGE\r\n\r\n", nil, `message: bad request line "GARBAGE"`},
		{"no proto", "OPTIONS rtsp://h/\r\n\r\n", nil, "bad request line"},
		{"bad header", "OPTIONS * RTSP/1.0\r\nCSeq 1\r\n\r\n", nil, `bad header line "CSeq 1"`},
		{"bad status", "RTSP/1.0 2x0 OK\r\n\r\n", nil, "bad status line"},
		{"bad length", "OPTIONS * RTSP/1.0\r\nContent-Length: -1\r\n\r\n", nil, "bad Content-Length"},
		{"conflicting length", "OPTIONS * RTSP/1.0\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", nil, "conflicting"},
		{"body too large", "ANNOUNCE * RTSP/1.0\r\nContent-Length: 1048577\r\n\r\n", ErrBodyTooLarge, "over"},
		{"huge length", "ANNOUNCE * RTSP/1.0\r\nContent-Length: 99999999999999999999\r\n\r\n", ErrBodyTooLarge, ""},
		{"header too large", "OPTIONS * RTSP/1.0\r\nX-A: " + strings.Repeat("a", MaxHeaderBytes) + "\r\n\r\n", ErrHeaderTooLarge, "header over"},
		{"many headers", "OPTIONS * RTSP/1.0\r\n" + strings.Repeat("X-A: 1\r\n", MaxHeaderBytes/8) + "\r\n", ErrHeaderTooLarge, ""},
		{"truncated", "OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n", io.ErrUnexpectedEOF, ""},
		{"truncated body", "ANNOUNCE * RTSP/1.0\r\nContent-Length: 10\r\n\r\nabc", io.ErrUnexpectedEOF, ""},
		{"truncated frame", "$\x00\x00\x10abc", io.ErrUnexpectedEOF, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(c.in)).ReadMessage()
			if err == nil {
				t.Fatal("no error")
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Fatalf("error %v, want %v", err, c.is)
			}
			if c.is == nil || c.is == ErrBodyTooLarge || c.is == ErrHeaderTooLarge {
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("error %T %v is not a *ParseError", err, err)
				}
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %q does not say %q", err, c.msg)
			}
		})
	}
	if _, err := NewReader(strings.NewReader("")).ReadMessage(); err != io.EOF {
		t.Fatalf("empty stream: %v", err)
	}
}

func TestInterleavedMarshal(t *testing.T) {
	f := Interleaved{Channel: 3, Payload: []byte{1, 2, 3}}
	b, err := f.Marshal()
	if err != nil || !bytes.Equal(b, []byte{'$', 3, 0, 3, 1, 2, 3}) {
		t.Fatalf("%v %v", b, err)
	}
	if _, err := (&Interleaved{Payload: make([]byte, 70000)}).Marshal(); err == nil {
		t.Fatal("oversized payload marshalled")
	}
}

func TestInterleavedAllocs(t *testing.T) {
	f := Interleaved{Channel: 0, Payload: make([]byte, 1400)}
	dst := make([]byte, 1500)
	if n := testing.AllocsPerRun(1000, func() {
		if _, err := f.MarshalTo(dst); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("MarshalTo allocates %v times", n)
	}

	frame, _ := f.Marshal()
	src := &repeatReader{frame: frame}
	r := NewReader(src)
	for range 10 {
		if _, err := r.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	if n := testing.AllocsPerRun(1000, func() {
		m, err := r.ReadMessage()
		if err != nil || len(m.(*Interleaved).Payload) != 1400 {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("reading an interleaved frame allocates %v times", n)
	}
}

// repeatReader yields the same frame forever.
type repeatReader struct {
	frame []byte
	off   int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], r.frame[r.off:])
		n += k
		r.off = (r.off + k) % len(r.frame)
	}
	return n, nil
}

func BenchmarkInterleavedMarshalTo(b *testing.B) {
	f := Interleaved{Channel: 0, Payload: make([]byte, 1400)}
	dst := make([]byte, 1500)
	b.ReportAllocs()
	b.SetBytes(1404)
	for b.Loop() {
		_, _ = f.MarshalTo(dst)
	}
}

func BenchmarkReadInterleaved(b *testing.B) {
	f := Interleaved{Channel: 0, Payload: make([]byte, 1400)}
	frame, _ := f.Marshal()
	r := NewReader(&repeatReader{frame: frame})
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if _, err := r.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadRequest(b *testing.B) {
	in := []byte(requestCases[2].in)
	r := NewReader(&repeatReader{frame: in})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResponseMarshalTo(b *testing.B) {
	r := Response{StatusCode: 200, Header: Header{"CSeq": {"4"}, "Session": {"abc;timeout=60"}, "RTP-Info": {"url=rtsp://h/x/trackID=0;seq=1;rtptime=2"}, "Range": {"npt=0.000-"}}}
	dst := make([]byte, 1024)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.MarshalTo(dst); err != nil {
			b.Fatal(err)
		}
	}
}
