package config

import (
	"errors"
	"strings"
	"testing"
)

// TestErrors feeds one bad thing at a time and checks the whole message: a
// user reads it to find the line and fix it.
func TestErrors(t *testing.T) {
	const pusherOK = `<video><codec>H264</codec></video><transfer><mode>TCP</mode><vport>50001</vport></transfer>`
	cases := []struct {
		name, text, want string
	}{
		// malformed files
		{"empty", "", `rtspserver.cfg: file is empty; expected <config>…</config>`},
		{"blank", " \r\n\t", `rtspserver.cfg: file is empty; expected <config>…</config>`},
		{"unclosed", "<config>\n<rtsp_port>554</rtsp_port>\n", `rtspserver.cfg:3:1: malformed XML: unexpected EOF`},
		{"mismatched", "<config>\n<rtsp_port>554</rtsp_prt>\n</config>",
			`rtspserver.cfg:2:26: malformed XML: element <rtsp_port> closed by </rtsp_prt>`},
		{"bad entity", "<config>\n<serverip>&nbsp;</serverip>\n</config>",
			`rtspserver.cfg:2:17: malformed XML: invalid character entity &nbsp;`},
		{"wrong root", "<settings><rtsp_port>554</rtsp_port></settings>",
			`rtspserver.cfg:1:11: top-level element is <settings>, want <config>`},
		{"two roots", "<config></config>\n<config></config>",
			`rtspserver.cfg:2:9: second top-level element <config> after </config>`},
		{"text outside", "<config></config>\nhello", `rtspserver.cfg:2:6: text outside <config>`},
		{"no element", "<!-- only a comment -->", `rtspserver.cfg: no <config> element`},
		{"not utf8", "<config><serverip>\xff</serverip></config>", `rtspserver.cfg: file is not UTF-8 text; save it as UTF-8`},
		{"gb2312", `<?xml version="1.0" encoding="gb2312"?><config/>`,
			`rtspserver.cfg:1:40: encoding "gb2312" is not supported; save the file as UTF-8`},
		{"too deep", "<config>" + strings.Repeat("<a>", MaxDepth) + strings.Repeat("</a>", MaxDepth) + "</config>",
			`rtspserver.cfg:1:33: elements nested deeper than 8`},
		{"long value", "<config><serverip>" + strings.Repeat("x", MaxValueLen+1) + "</serverip></config>",
			`rtspserver.cfg:1:4116: <serverip>: value longer than 4096 bytes`},

		// values
		{"port word", "<config>\n<rtsp_port>abc</rtsp_port>\n</config>",
			`rtspserver.cfg:2:12: <rtsp_port>: "abc" is not a port number (1-65535)`},
		{"port zero", "<config><http_port>0</http_port></config>",
			`rtspserver.cfg:1:20: <http_port>: "0" is not a port number (1-65535)`},
		{"port big", "<config><https_port>65536</https_port></config>",
			`rtspserver.cfg:1:21: <https_port>: "65536" is not a port number (1-65535)`},
		{"rtsps port", "<config><rtsps_port>-1</rtsps_port></config>",
			`rtspserver.cfg:1:21: <rtsps_port>: "-1" is not a port number (1-65535)`},
		{"vendor rtsps port", "<config><rtsp_port>554</rtsp_port><rtsp_enable>1</rtsp_enable><rtsp_port>x</rtsp_port></config>",
			`rtspserver.cfg:1:74: <rtsp_port>: "x" is not a port number (1-65535)`},
		{"log level high", "<config><log_level>6</log_level></config>",
			`rtspserver.cfg:1:20: <log_level>: "6" is not a log level (0 TRACE, 1 DEBUG, 2 INFO, 3 WARN, 4 ERROR, 5 FATAL)`},
		{"log level negative", "<config><log_level>-1</log_level></config>",
			`rtspserver.cfg:1:20: <log_level>: "-1" is not a log level (0 TRACE, 1 DEBUG, 2 INFO, 3 WARN, 4 ERROR, 5 FATAL)`},
		{"bool", "<config><multicast>maybe</multicast></config>",
			`rtspserver.cfg:1:20: <multicast>: "maybe" is not a boolean (0/1, true/false, yes/no)`},
		{"loop zero", "<config><loop_nums>0</loop_nums></config>",
			`rtspserver.cfg:1:20: <loop_nums>: "0" is not a loop count (-1 for forever, or 1 and up)`},
		{"loop -2", "<config><loop_nums>-2</loop_nums></config>",
			`rtspserver.cfg:1:20: <loop_nums>: "-2" is not a loop count (-1 for forever, or 1 and up)`},
		{"udp base", "<config><udp_base_port>65530</udp_base_port></config>",
			`rtspserver.cfg:1:24: <udp_base_port>: "65530" is not a UDP base port (1-65528, 8 ports per session)`},
		{"udp range", "<config><udp_base_port>65000</udp_base_port><max_sessions>100</max_sessions></config>",
			`rtspserver.cfg:1:24: <udp_base_port>: 100 sessions of 8 ports from 65000 end at port 65799, past 65535`},
		{"serverip", "<config><serverip>camera.local</serverip></config>",
			`rtspserver.cfg:1:19: <serverip>: "camera.local" is not an IP address`},
		{"session timeout", "<config><session_timeout>0</session_timeout></config>",
			`rtspserver.cfg:1:26: <session_timeout>: "0" is not a timeout (seconds, 1-86400)`},
		{"gop cache negative", "<config><gop_cache>-1</gop_cache></config>",
			`rtspserver.cfg:1:20: <gop_cache>: "-1" is not a GOP cache size (bytes, 0 for none, up to 268435456)`},
		{"gop cache huge", "<config>\n  <gop_cache>1G</gop_cache></config>",
			`rtspserver.cfg:2:14: <gop_cache>: "1G" is not a GOP cache size (bytes, 0 for none, up to 268435456)`},
		{"publish timeout zero", "<config><publish_timeout>0</publish_timeout></config>",
			`rtspserver.cfg:1:26: <publish_timeout>: "0" is not a publisher timeout (seconds, 1-3600)`},
		{"publish timeout long", "<config><publish_timeout>7200</publish_timeout></config>",
			`rtspserver.cfg:1:26: <publish_timeout>: "7200" is not a publisher timeout (seconds, 1-3600)`},
		{"max sessions", "<config><max_sessions>-3</max_sessions></config>",
			`rtspserver.cfg:1:23: <max_sessions>: "-3" is not a session count (0 for no limit, up to 100000)`},
		{"value with child", "<config><rtsp_port><x/></rtsp_port></config>",
			`rtspserver.cfg:1:20: <rtsp_port>: expected a value, found <x> inside`},
		{"block with text", "<config><user>admin</user></config>",
			`rtspserver.cfg:1:15: <user>: expected elements inside, found text "admin"`},

		// duplicates
		{"dup scalar", "<config>\n<http_port>80</http_port>\n<http_port>81</http_port>\n</config>",
			`rtspserver.cfg:3:12: <http_port>: given twice (first on line 2)`},
		{"two plain ports", "<config>\n<rtsp_port>554</rtsp_port>\n<rtsp_port>8554</rtsp_port>\n</config>",
			`rtspserver.cfg:3:12: <rtsp_port>: given twice (first on line 2)`},
		{"serverport and rtsp_port", "<config>\n<serverport>554</serverport>\n<rtsp_port>8554</rtsp_port>\n</config>",
			`rtspserver.cfg:3:12: <rtsp_port>: given twice (first on line 2)`},
		{"vendor and clear rtsps", "<config>\n<rtsp_port>554</rtsp_port><rtsp_enable>1</rtsp_enable>\n<rtsps_enable>1</rtsps_enable>\n</config>",
			`rtspserver.cfg:3:15: <rtsps_enable>: given twice (first on line 2)`},
		{"dup child", "<config><proxy><suffix>a</suffix><suffix>b</suffix><url>rtsp://h/</url></proxy></config>",
			`rtspserver.cfg:1:42: <proxy><suffix>: given twice (first on line 1)`},
		{"dup user", "<config>\n<user><username>admin</username></user>\n<user><username>admin</username></user>\n</config>",
			`rtspserver.cfg:3:7: <user><username>: user "admin" is given twice (first on line 2)`},

		// users and auth
		{"user without name", "<config><user><password>x</password></user></config>",
			`rtspserver.cfg:1:15: <user><username>: user without a name`},
		{"user colon", "<config><user><username>a:b</username></user></config>",
			`rtspserver.cfg:1:15: <user><username>: "a:b": a user name may not hold ':' or control characters`},
		{"auth without users", "<config><need_auth>1</need_auth></config>",
			`rtspserver.cfg:1:20: <need_auth>: authentication is on but there is no <user>, so nobody could play`},

		// TLS and listeners
		{"rtsps without cert", "<config><rtsps_enable>1</rtsps_enable><rtsps_key>k</rtsps_key></config>",
			`rtspserver.cfg:1:23: <rtsps_enable>: RTSPS is on but has no certificate (<rtsp_cert> or <rtsps_cert>); note that an <rtsp_enable> after <rtsp_port> is the RTSPS switch`},
		{"vendor rtsps switch alone", "<config>\n<rtsp_port>554</rtsp_port>\n<rtsp_enable>1</rtsp_enable>\n<rtsp_cert>c</rtsp_cert>\n</config>",
			`rtspserver.cfg:3:14: <rtsp_enable>: RTSPS is on but has no key (<rtsp_key> or <rtsps_key>); note that an <rtsp_enable> after <rtsp_port> is the RTSPS switch`},
		{"https without key", "<config><rtsp_over_https>1</rtsp_over_https><https_cert>c</https_cert></config>",
			`rtspserver.cfg:1:26: <rtsp_over_https>: RTSP over HTTPS is on but <https_key> is empty`},
		{"port clash", "<config>\n<rtsp_port>8080</rtsp_port>\n<rtsp_over_http>1</rtsp_over_http>\n<http_port>8080</http_port>\n</config>",
			`rtspserver.cfg:4:12: <http_port>: TCP port 8080 is already used by <rtsp_port>`},
		{"pusher clash", "<config><rtsp_port>50001</rtsp_port><pusher><suffix>p</suffix>" + pusherOK + "</pusher></config>",
			`rtspserver.cfg:1:45: <pusher><transfer><vport>: TCP port 50001 is already used by <rtsp_port>`},
		{"nothing listens", "<config><rtsp_enable>0</rtsp_enable></config>",
			`rtspserver.cfg:1:22: <rtsp_enable>: every listener is off; enable RTSP, RTSPS, RTSP over HTTP or RTSP over HTTPS`},

		// http_notify
		{"notify url", "<config><http_notify><on_play>ftp://x/y</on_play></http_notify></config>",
			`rtspserver.cfg:1:31: <http_notify><on_play>: "ftp://x/y" is not an http:// or https:// URL`},
		{"notify method", "<config><http_notify><notify_method>PUT</notify_method></http_notify></config>",
			`rtspserver.cfg:1:37: <http_notify><notify_method>: "PUT" is not an HTTP method (GET, POST)`},
		{"notify timeout", "<config><http_notify><timeout>soon</timeout></http_notify></config>",
			`rtspserver.cfg:1:31: <http_notify><timeout>: "soon" is not a timeout (seconds, 1-300)`},

		// output
		{"video codec", "<config><output><video><codec>VP9</codec></video></output></config>",
			`rtspserver.cfg:1:31: <output><video><codec>: "VP9" is not a video codec (H264, H265, MP4, JPEG)`},
		{"audio codec", "<config><output><audio><codec>MP3</codec></audio></output></config>",
			`rtspserver.cfg:1:31: <output><audio><codec>: "MP3" is not an audio codec (G711A, G711U, G722, G726, AAC, OPUS)`},
		{"width", "<config><output><video><width>big</width></video></output></config>",
			`rtspserver.cfg:1:31: <output><video><width>: "big" is not a width in pixels (0-16384)`},
		{"framerate", "<config><output><video><framerate>-5</framerate></video></output></config>",
			`rtspserver.cfg:1:35: <output><video><framerate>: "-5" is not a frame rate (0-1000)`},
		{"channels", "<config><output><audio><channels>9</channels></audio></output></config>",
			`rtspserver.cfg:1:34: <output><audio><channels>: "9" is not a channel count (0-8)`},

		// proxy
		{"proxy no suffix", "<config><proxy><url>rtsp://h/s</url></proxy></config>",
			`rtspserver.cfg:1:16: <proxy><suffix>: proxy without a suffix`},
		{"proxy no url", "<config><proxy><suffix>p</suffix></proxy></config>",
			`rtspserver.cfg:1:16: <proxy><url>: proxy without a URL`},
		{"proxy bad url", "<config><proxy><suffix>p</suffix><url>file:///etc/passwd</url></proxy></config>",
			`rtspserver.cfg:1:16: <proxy><url>: "file:///etc/passwd" is not a stream URL (rtsp, rtsps, rtmp, rtmps, srt, http, https)`},
		{"proxy transfer", "<config><proxy><suffix>p</suffix><url>rtsp://h/</url><transfer>QUIC</transfer></proxy></config>",
			`rtspserver.cfg:1:64: <proxy><transfer>: "QUIC" is not a transfer (TCP, UDP, MULTICAST, HTTP, HTTPS)`},
		{"proxy suffix space", "<config><proxy><suffix>my cam</suffix><url>rtsp://h/</url></proxy></config>",
			`rtspserver.cfg:1:16: <proxy><suffix>: "my cam" is not a URL path (no spaces, '?', '#' or '\')`},
		{"two proxies", "<config>\n<proxy><suffix>cam</suffix><url>rtsp://a/</url></proxy>\n<proxy><suffix>CAM</suffix><url>rtsp://b/</url></proxy>\n</config>",
			`rtspserver.cfg:3:8: <proxy><suffix>: suffix "CAM" is already used (line 2)`},

		// pusher
		{"pusher no suffix", "<config>\n<pusher>" + pusherOK + "</pusher>\n</config>",
			`rtspserver.cfg:2:9: <pusher><suffix>: pusher without a suffix`},
		{"two pushers", "<config>\n<pusher><suffix>p</suffix></pusher>\n<pusher><suffix>p</suffix></pusher>\n</config>",
			`rtspserver.cfg:3:9: <pusher><suffix>: suffix "p" is already used (line 2)`},
		{"pusher and proxy", "<config>\n<proxy><suffix>p</suffix><url>rtsp://a/</url></proxy>\n<pusher><suffix>p</suffix></pusher>\n</config>",
			`rtspserver.cfg:3:9: <pusher><suffix>: suffix "p" is already used (line 2)`},
		{"pusher mode", "<config><pusher><suffix>p</suffix><transfer><mode>SCTP</mode></transfer></pusher></config>",
			`rtspserver.cfg:1:51: <pusher><transfer><mode>: "SCTP" is not a push mode (RTSP, TCP, UDP)`},
		{"pusher vport", "<config><pusher><suffix>p</suffix><transfer><vport>70000</vport></transfer></pusher></config>",
			`rtspserver.cfg:1:52: <pusher><transfer><vport>: "70000" is not a port number (1-65535)`},
		{"pusher tcp no codec", "<config><pusher><suffix>p</suffix><transfer><mode>TCP</mode><vport>5000</vport></transfer></pusher></config>",
			`rtspserver.cfg:1:17: <pusher>: mode TCP needs a <video> or <audio> codec to describe the stream`},
		{"pusher udp no aport", "<config><pusher><suffix>p</suffix><audio><codec>G711A</codec></audio><transfer><mode>UDP</mode></transfer></pusher></config>",
			`rtspserver.cfg:1:17: <pusher><transfer><aport>: mode UDP with audio needs an <aport>`},
		{"pusher same ports", "<config><pusher><suffix>p</suffix><video><codec>H264</codec></video><audio><codec>AAC</codec></audio><transfer><mode>UDP</mode><vport>6000</vport><aport>6000</aport></transfer></pusher></config>",
			`rtspserver.cfg:1:17: <pusher><transfer><aport>: UDP port 6000 is already used by <pusher><transfer><vport>`},
		{"pusher ip", "<config><pusher><suffix>p</suffix><transfer><ip>any</ip></transfer></pusher></config>",
			`rtspserver.cfg:1:17: <pusher><transfer><ip>: "any" is not an IP address`},

		// backchannel
		{"backchannel codec", "<config><backchannel><codec>speex</codec></backchannel></config>",
			`rtspserver.cfg:1:29: <backchannel><codec>: "speex" is not an audio codec (G711A, G711U, G722, G726, AAC, OPUS)`},
	}
	for _, tc := range cases {
		c, err := Parse([]byte(tc.text), "rtspserver.cfg")
		if err == nil {
			t.Errorf("%s: Parse succeeded (%+v), want error %s", tc.name, c, tc.want)
			continue
		}
		if c != nil {
			t.Errorf("%s: Parse returned a Config with its error", tc.name)
		}
		if got := err.Error(); got != tc.want {
			t.Errorf("%s:\n got  %s\n want %s", tc.name, got, tc.want)
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: error %T is not a *config.Error", tc.name, err)
		}
	}
}

func TestSeveralErrors(t *testing.T) {
	_, err := Parse([]byte("<config>\n<rtsp_port>x</rtsp_port>\n<log_level>9</log_level>\n</config>"), "a.cfg")
	want := "a.cfg:2:12: <rtsp_port>: \"x\" is not a port number (1-65535)\n" +
		"a.cfg:3:12: <log_level>: \"9\" is not a log level (0 TRACE, 1 DEBUG, 2 INFO, 3 WARN, 4 ERROR, 5 FATAL)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

// TestValidateByHand checks a Config built in code, without file positions.
func TestValidateByHand(t *testing.T) {
	c := Default()
	c.RTSPPort = 0
	c.LogLevel = 7
	c.Pushers = []Pusher{{Video: Video{Codec: "h264"}}}
	c.Users = []User{{Username: "a"}, {Username: "a"}}
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate() = nil")
	}
	for _, part := range []string{
		`config: <rtsp_port>: 0 is not a port number (1-65535)`,
		`config: <log_level>: 7 is not a log level`,
		`config: <user><username>: user "a" is given twice`,
		`config: <pusher><suffix>: pusher without a suffix`,
		`config: <pusher><video><codec>: "h264" is not a video codec`,
		`config: <pusher><transfer><mode>: "" is not a push mode (RTSP, TCP, UDP)`,
	} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("Validate() = %v\nmissing %q", err, part)
		}
	}
}
