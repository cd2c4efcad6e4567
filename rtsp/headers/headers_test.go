package headers

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func pair(a, b int) *[2]int { return &[2]int{a, b} }
func intp(n int) *int       { return &n }
func u32(n uint32) *uint32  { return &n }
func u16(n uint16) *uint16  { return &n }

var transportCases = []struct {
	name, in, canon string
	want            []Transport
}{
	{"ffmpeg UDP", "RTP/AVP/UDP;unicast;client_port=30000-30001", "RTP/AVP;unicast;client_port=30000-30001",
		[]Transport{{Profile: "RTP/AVP", Lower: "UDP", ClientPorts: pair(30000, 30001)}}},
	{"ffmpeg TCP", "RTP/AVP/TCP;unicast;interleaved=0-1", "RTP/AVP/TCP;unicast;interleaved=0-1",
		[]Transport{{Profile: "RTP/AVP", Lower: "TCP", Interleaved: pair(0, 1)}}},
	{"ffmpeg multicast", "RTP/AVP/UDP;multicast", "RTP/AVP;multicast",
		[]Transport{{Profile: "RTP/AVP", Lower: "UDP", Multicast: true}}},
	{"GStreamer record", "RTP/AVP;unicast;client_port=50000-50001;mode=record", "RTP/AVP;unicast;client_port=50000-50001;mode=RECORD",
		[]Transport{{Profile: "RTP/AVP", Lower: "UDP", ClientPorts: pair(50000, 50001), Mode: "RECORD"}}},
	{"live555 reply", "RTP/AVP;unicast;destination=192.168.1.2;source=192.168.1.10;client_port=58000-58001;server_port=6970-6971",
		"RTP/AVP;unicast;destination=192.168.1.2;source=192.168.1.10;client_port=58000-58001;server_port=6970-6971",
		[]Transport{{Profile: "RTP/AVP", Lower: "UDP", Destination: "192.168.1.2", Source: "192.168.1.10", ClientPorts: pair(58000, 58001), ServerPorts: pair(6970, 6971)}}},
	{"Hikvision reply", `RTP/AVP;unicast;client_port=58000-58001;server_port=8234-8235;ssrc=3ee3e2f1;mode="play"`,
		"RTP/AVP;unicast;client_port=58000-58001;server_port=8234-8235;ssrc=3EE3E2F1;mode=PLAY",
		[]Transport{{Profile: "RTP/AVP", Lower: "UDP", ClientPorts: pair(58000, 58001), ServerPorts: pair(8234, 8235), SSRC: u32(0x3ee3e2f1), Mode: "PLAY"}}},
	{"Dahua TCP reply", "RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=6B8B4567", "RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=6B8B4567",
		[]Transport{{Profile: "RTP/AVP", Lower: "TCP", Interleaved: pair(0, 1), SSRC: u32(0x6b8b4567)}}},
	{"multicast reply", "RTP/AVP;multicast;destination=232.1.2.3;port=5000-5001;ttl=16", "RTP/AVP;multicast;destination=232.1.2.3;port=5000-5001;ttl=16",
		[]Transport{{Profile: "RTP/AVP", Lower: "UDP", Multicast: true, Destination: "232.1.2.3", Ports: pair(5000, 5001), TTL: intp(16)}}},
	{"single ports, odd spacing and case", " rtp/avp ; UNICAST ; Client_Port = 6970 ; Interleaved=4 ", "RTP/AVP;unicast;interleaved=4-5;client_port=6970-6971",
		[]Transport{{Profile: "RTP/AVP", Lower: "UDP", ClientPorts: pair(6970, 6971), Interleaved: pair(4, 5)}}},
	{"SRTP and append", "RTP/SAVP;unicast;client_port=4588-4589;mode=\"RECORD\";append", "RTP/SAVP;unicast;client_port=4588-4589;mode=RECORD;append",
		[]Transport{{Profile: "RTP/SAVP", Lower: "UDP", ClientPorts: pair(4588, 4589), Mode: "RECORD", Append: true}}},
	{"RealPlayer alternatives", "x-real-rdt/mcast;client_port=6970;mode=play,x-real-rdt/udp;client_port=6970;mode=play,RTP/AVP;unicast;client_port=6970-6971;mode=play",
		"RTP/AVP;unicast;client_port=6970-6971;mode=PLAY",
		[]Transport{{Profile: "RTP/AVP", Lower: "UDP", ClientPorts: pair(6970, 6971), Mode: "PLAY"}}},
}

func TestTransport(t *testing.T) {
	for _, c := range transportCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseTransports(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %+v\nwant %+v", got, c.want)
			}
			if s := got[0].String(); s != c.canon {
				t.Fatalf("String() = %q, want %q", s, c.canon)
			}
			again, err := ParseTransports(c.canon)
			if err != nil || !reflect.DeepEqual(again, c.want) {
				t.Fatalf("round trip: %+v %v", again, err)
			}
		})
	}
	alts, err := ParseTransports("RTP/AVP/TCP;unicast;interleaved=0-1, RTP/AVP;unicast;client_port=5000-5001")
	if err != nil || len(alts) != 2 || alts[0].Lower != "TCP" || alts[1].ClientPorts[0] != 5000 {
		t.Fatalf("alternatives: %+v %v", alts, err)
	}
	for _, bad := range []string{"", "RAW/RAW/UDP;unicast", "RTP/AVP;client_port=abc", "RTP/AVP;client_port=70000",
		"RTP/AVP/SCTP", "RTP/AVP;interleaved=300-301", "RTP/AVP;ttl=-1", "RTP/AVP;ssrc=xyz",
		strings.Repeat("RTP/AVP,", 17), "RTP/AVP;destination=" + strings.Repeat("a", MaxValueLen)} {
		if _, err := ParseTransports(bad); err == nil {
			t.Errorf("ParseTransports(%.40q) accepted", bad)
		}
	}
	if _, err := ParseTransports("RAW/RAW/UDP"); !errors.Is(err, ErrUnsupportedTransport) {
		t.Errorf("non-RTP: %v", err)
	}
}

var sessionCases = []struct {
	in, canon string
	want      Session
}{
	{"12345678;timeout=60", "12345678;timeout=60", Session{ID: "12345678", Timeout: 60}},
	{"1A2B3C4D ; Timeout = 30", "1A2B3C4D;timeout=30", Session{ID: "1A2B3C4D", Timeout: 30}},
	{"47112344", "47112344", Session{ID: "47112344"}},
	{"Fs8WdDaFKuKsTRAr;timeout=65;x-extra=1", "Fs8WdDaFKuKsTRAr;timeout=65", Session{ID: "Fs8WdDaFKuKsTRAr", Timeout: 65}},
}

func TestSession(t *testing.T) {
	for _, c := range sessionCases {
		got, err := ParseSession(c.in)
		if err != nil || got != c.want || got.String() != c.canon {
			t.Errorf("ParseSession(%q) = %+v %v, String %q", c.in, got, err, got.String())
		}
	}
	for _, bad := range []string{"", ";timeout=60", "abc;timeout=x", "abc;timeout=-1", "a b", "abc;timeout=99999999999"} {
		if _, err := ParseSession(bad); err == nil {
			t.Errorf("ParseSession(%q) accepted", bad)
		}
	}
}

func clock(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

var rangeCases = []struct {
	in, canon string
	want      Range
}{
	{"npt=0-", "npt=0.000-", Range{Unit: "npt", HasStart: true}},
	{"npt=0.000-", "npt=0.000-", Range{Unit: "npt", HasStart: true}},
	{"npt=10.5-20", "npt=10.500-20.000", Range{Unit: "npt", Start: 10500 * time.Millisecond, End: 20 * time.Second, HasStart: true, HasEnd: true}},
	{"npt=now-", "npt=now-", Range{Unit: "npt", Now: true}},
	{"npt=-20", "npt=-20.000", Range{Unit: "npt", End: 20 * time.Second, HasEnd: true}},
	{"npt=1:02:03.5-", "npt=3723.500-", Range{Unit: "npt", Start: time.Hour + 2*time.Minute + 3500*time.Millisecond, HasStart: true}},
	{"NPT = 0.123456789 - ", "npt=0.123456789-", Range{Unit: "npt", Start: 123456789, HasStart: true}},
	{"npt=0.000-;time=19970123T143720Z", "npt=0.000-", Range{Unit: "npt", HasStart: true}},
	{"clock=20250101T120000Z-", "clock=20250101T120000Z-", Range{Unit: "clock", HasStart: true, StartClock: clock("2025-01-01T12:00:00Z")}},
	{"clock=20250101T120000.25Z-20250101T130000Z", "clock=20250101T120000.25Z-20250101T130000Z",
		Range{Unit: "clock", HasStart: true, HasEnd: true, StartClock: clock("2025-01-01T12:00:00.25Z"), EndClock: clock("2025-01-01T13:00:00Z")}},
	{"smpte=10:07:00-10:07:33:05.01", "smpte=10:07:00-10:07:33:05.01",
		Range{Unit: "smpte", HasStart: true, HasEnd: true, Start: 10*time.Hour + 7*time.Minute, End: 10*time.Hour + 7*time.Minute + 33*time.Second + 167*time.Millisecond}},
	{"smpte-25=00:00:01:12-", "smpte-25=00:00:01:12-", Range{Unit: "smpte-25", HasStart: true, Start: 1480 * time.Millisecond}},
}

func TestRange(t *testing.T) {
	for _, c := range rangeCases {
		got, err := ParseRange(c.in)
		if err != nil {
			t.Errorf("ParseRange(%q): %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseRange(%q)\ngot  %+v\nwant %+v", c.in, got, c.want)
		}
		if s := got.String(); s != c.canon {
			t.Errorf("String() = %q, want %q", s, c.canon)
		}
		again, err := ParseRange(got.String())
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("round trip of %q: %+v %v", got.String(), again, err)
		}
	}
	for _, bad := range []string{"", "npt", "npt=", "npt=-", "npt=abc-", "npt=1:61:00-", "npt=99999999999-", "foo=1-2",
		"clock=2025-", "smpte=1:2-", "npt=1.2.3-", "npt=now-now"} {
		if _, err := ParseRange(bad); err == nil {
			t.Errorf("ParseRange(%q) accepted", bad)
		}
	}
}

var rtpInfoCases = []struct {
	in, canon string
	want      RTPInfo
}{
	{"url=rtsp://192.168.1.10:554/live/track1;seq=16264;rtptime=2915373440,url=rtsp://192.168.1.10:554/live/track2;seq=7;rtptime=12",
		"url=rtsp://192.168.1.10:554/live/track1;seq=16264;rtptime=2915373440,url=rtsp://192.168.1.10:554/live/track2;seq=7;rtptime=12",
		RTPInfo{{URL: "rtsp://192.168.1.10:554/live/track1", Seq: u16(16264), RTPTime: u32(2915373440)}, {URL: "rtsp://192.168.1.10:554/live/track2", Seq: u16(7), RTPTime: u32(12)}}},
	{"url=trackID=1;seq=33651;rtptime=1734524283", "url=trackID=1;seq=33651;rtptime=1734524283",
		RTPInfo{{URL: "trackID=1", Seq: u16(33651), RTPTime: u32(1734524283)}}},
	{"url=rtsp://127.0.0.1:8554/test/stream=0;seq=1;rtptime=3487921876, url=rtsp://127.0.0.1:8554/test/stream=1;seq=2",
		"url=rtsp://127.0.0.1:8554/test/stream=0;seq=1;rtptime=3487921876,url=rtsp://127.0.0.1:8554/test/stream=1;seq=2",
		RTPInfo{{URL: "rtsp://127.0.0.1:8554/test/stream=0", Seq: u16(1), RTPTime: u32(3487921876)}, {URL: "rtsp://127.0.0.1:8554/test/stream=1", Seq: u16(2)}}},
	{"URL=rtsp://h/a,b;x=1;seq=5", "url=rtsp://h/a,b;x=1;seq=5", RTPInfo{{URL: "rtsp://h/a,b;x=1", Seq: u16(5)}}},
	{`url="rtsp://h/q";rtptime=0`, "url=rtsp://h/q;rtptime=0", RTPInfo{{URL: "rtsp://h/q", RTPTime: u32(0)}}},
}

func TestRTPInfo(t *testing.T) {
	for _, c := range rtpInfoCases {
		got, err := ParseRTPInfo(c.in)
		if err != nil {
			t.Errorf("ParseRTPInfo(%q): %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseRTPInfo(%q) = %+v", c.in, got)
		}
		if got.String() != c.canon {
			t.Errorf("String() = %q, want %q", got.String(), c.canon)
		}
	}
	for _, bad := range []string{"", "seq=1", "url=a;seq=70000", "url=a;rtptime=-1", "url=;seq=1"} {
		if _, err := ParseRTPInfo(bad); err == nil {
			t.Errorf("ParseRTPInfo(%q) accepted", bad)
		}
	}
}

var authorizationCases = []struct {
	name, in string
	want     Authorization
}{
	{"Basic", "Basic YWRtaW46MTIzNDU=", Authorization{Scheme: "Basic", User: "admin", Password: "12345"}},
	{"Basic lower case, colon in password", "basic dXNlcjpwYTpzcw==", Authorization{Scheme: "Basic", User: "user", Password: "pa:ss"}},
	{"ffmpeg Digest", `Digest username="admin", realm="IP Camera(C1234)", nonce="0a4f113b", uri="rtsp://192.168.1.64:554/Streaming/Channels/101", response="8c8e3a1e0a5b0c5d9f3f6e2d1c0b9a88"`,
		Authorization{Scheme: "Digest", Params: map[string]string{"username": "admin", "realm": "IP Camera(C1234)", "nonce": "0a4f113b",
			"uri": "rtsp://192.168.1.64:554/Streaming/Channels/101", "response": "8c8e3a1e0a5b0c5d9f3f6e2d1c0b9a88"}}},
	{"RFC 2617 example", `Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"`,
		Authorization{Scheme: "Digest", Params: map[string]string{"username": "Mufasa", "realm": "testrealm@host.com", "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093",
			"uri": "/dir/index.html", "qop": "auth", "nc": "00000001", "cnonce": "0a4f113b", "response": "6629fae49393a05397450978507c4ef1", "opaque": "5ccc069c403ebaf9f0171e9517f40e41"}}},
	{"odd spacing and case, escaped quote", `DIGEST  USERNAME = "a\"b" ,Realm="r",nonce=n ,uri="/x",response="00", algorithm=MD5`,
		Authorization{Scheme: "Digest", Params: map[string]string{"username": `a"b`, "realm": "r", "nonce": "n", "uri": "/x", "response": "00", "algorithm": "MD5"}}},
}

func TestAuthorization(t *testing.T) {
	for _, c := range authorizationCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseAuthorization(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v", got)
			}
			again, err := ParseAuthorization(got.String())
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Fatalf("round trip of %q: %+v %v", got.String(), again, err)
			}
		})
	}
	for _, bad := range []string{"", "Basic !!!", "Basic YWRtaW4=", "Bearer abc", "Digest realm=\"r\"", "Digest username=\"u\", response"} {
		_, err := ParseAuthorization(bad)
		if err == nil {
			t.Errorf("ParseAuthorization(%q) accepted", bad)
		} else if strings.Contains(err.Error(), "YWRtaW4") {
			t.Errorf("error quotes credentials: %v", err)
		}
	}
}

func TestChallenges(t *testing.T) {
	got, err := ParseChallenges([]string{
		`Digest realm="IP Camera(C1234)", nonce="a3f0c1", stale="FALSE"`,
		`Basic realm="IP Camera(C1234)"`,
	})
	want := []Challenge{
		{Scheme: "Digest", Params: map[string]string{"realm": "IP Camera(C1234)", "nonce": "a3f0c1", "stale": "FALSE"}},
		{Scheme: "Basic", Params: map[string]string{"realm": "IP Camera(C1234)"}},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Hikvision: %+v %v", got, err)
	}
	// Two challenges in one value, odd case and spacing (Dahua, live555).
	got, err = ParseChallenges([]string{`digest realm="Login to 4K05DCCPAZ", nonce="17089a", algorithm = MD5, qop="auth", Basic realm="Login to 4K05DCCPAZ"`})
	if err != nil || len(got) != 2 || got[0].Scheme != "Digest" || got[0].Params["algorithm"] != "MD5" || got[0].Params["qop"] != "auth" || got[1].Scheme != "Basic" {
		t.Fatalf("Dahua: %+v %v", got, err)
	}
	s := Challenge{Scheme: "Digest", Params: map[string]string{"realm": "r", "nonce": "n", "opaque": "o", "algorithm": "MD5", "qop": "auth", "stale": "TRUE"}}.String()
	if s != `Digest realm="r", nonce="n", algorithm=MD5, opaque="o", stale=TRUE, qop="auth"` {
		t.Fatalf("String() = %s", s)
	}
	if _, err := ParseChallenges(nil); err == nil {
		t.Fatal("no challenge accepted")
	}
	if _, err := ParseChallenges([]string{`realm="r"`}); err == nil {
		t.Fatal("parameter without scheme accepted")
	}
}

func TestParseList(t *testing.T) {
	if got := ParseList(" play.basic ,, implicit-play, \"a,b\" "); !reflect.DeepEqual(got, []string{"play.basic", "implicit-play", `"a,b"`}) {
		t.Fatalf("got %q", got)
	}
}
