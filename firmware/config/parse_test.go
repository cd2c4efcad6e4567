package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func parseBody(t *testing.T, body string) *Config {
	t.Helper()
	c, err := Parse([]byte("<config>\n"+body+"\n</config>\n"), "rtspserver.cfg")
	if err != nil {
		t.Fatalf("Parse(%q): %v", body, err)
	}
	return c
}

// TestElements sets each element and checks the field it lands in.
func TestElements(t *testing.T) {
	cases := []struct {
		body string
		got  func(c *Config) any
		want any
	}{
		{`<serverip>192.168.1.10</serverip>`, func(c *Config) any { return c.ServerIP }, "192.168.1.10"},
		{`<serverip>::1</serverip>`, func(c *Config) any { return c.ServerIP }, "::1"},
		{`<serverip></serverip>`, func(c *Config) any { return c.ServerIP }, ""},
		{`<rtsp_port>8554</rtsp_port>`, func(c *Config) any { return c.RTSPPort }, 8554},
		{`<rtsp_port></rtsp_port>`, func(c *Config) any { return c.RTSPPort }, 554},
		{`<serverport>10554</serverport>`, func(c *Config) any { return c.RTSPPort }, 10554},
		{`<rtsp_port> 8554 </rtsp_port>`, func(c *Config) any { return c.RTSPPort }, 8554},
		{`<rtsp_enable>0</rtsp_enable><rtsp_port>554</rtsp_port><rtsp_over_http>1</rtsp_over_http>`,
			func(c *Config) any { return []any{c.RTSPEnable, c.RTSPS.Enable, c.RTSPPort} }, []any{false, false, 554}},
		{`<rtsps_enable>1</rtsps_enable><rtsps_port>3322</rtsps_port><rtsps_cert>/c.pem</rtsps_cert><rtsps_key>/k.pem</rtsps_key>`,
			func(c *Config) any { return c.RTSPS }, RTSPS{Enable: true, Port: 3322, Cert: "/c.pem", Key: "/k.pem"}},
		{`<rtsps_enable>1</rtsps_enable><rtsps_cert>c.pem</rtsps_cert><rtsps_key>k.pem</rtsps_key>`,
			func(c *Config) any { return c.RTSPS }, RTSPS{Enable: true, Port: 322, Cert: "c.pem", Key: "k.pem"}},
		{"<rtsp_port>554</rtsp_port>\n<rtsp_enable>1</rtsp_enable>\n<rtsp_port>322</rtsp_port>\n<rtsp_cert>/c</rtsp_cert>\n<rtsp_key>/k</rtsp_key>",
			func(c *Config) any { return []any{c.RTSPEnable, c.RTSPPort, c.RTSPS} },
			[]any{true, 554, RTSPS{Enable: true, Port: 322, Cert: "/c", Key: "/k"}}},
		{"<rtsp_port>554</rtsp_port>\n<rtsp_enable>0</rtsp_enable>\n<rtsp_port>322</rtsp_port>",
			func(c *Config) any { return []any{c.RTSPEnable, c.RTSPPort, c.RTSPS} },
			[]any{true, 554, RTSPS{Port: 322}}},
		{`<loop_nums>-1</loop_nums>`, func(c *Config) any { return c.LoopNums }, -1},
		{`<loop_nums>3</loop_nums>`, func(c *Config) any { return c.LoopNums }, 3},
		{`<loop_nums></loop_nums>`, func(c *Config) any { return c.LoopNums }, 1},
		{`<multicast>1</multicast>`, func(c *Config) any { return c.Multicast }, true},
		{`<udp_base_port>22000</udp_base_port>`, func(c *Config) any { return c.UDPBasePort }, 22000},
		{`<metadata>yes</metadata>`, func(c *Config) any { return c.Metadata }, true},
		{`<rtsp_over_http>true</rtsp_over_http><http_port>8080</http_port>`,
			func(c *Config) any { return []any{c.RTSPOverHTTP, c.HTTPPort} }, []any{true, 8080}},
		{`<rtsp_over_https>1</rtsp_over_https><https_port>8443</https_port><https_cert>/a</https_cert><https_key>/b</https_key>`,
			func(c *Config) any { return []any{c.RTSPOverHTTPS, c.HTTPSPort, c.HTTPSCert, c.HTTPSKey} },
			[]any{true, 8443, "/a", "/b"}},
		{`<https_cert>ssl.ca</https_cert>`, func(c *Config) any { return c.HTTPSCert }, "ssl.ca"},
		{`<ipv6_enable>on</ipv6_enable>`, func(c *Config) any { return c.IPv6 }, true},
		{`<need_auth>1</need_auth><user><username>u</username><password>p</password></user>`,
			func(c *Config) any { return []any{c.NeedAuth, c.Users[0].Username, c.Users[0].Password} }, []any{true, "u", "p"}},
		{`<log_enable>0</log_enable>`, func(c *Config) any { return c.LogEnable }, false},
		{`<log_enable>No</log_enable>`, func(c *Config) any { return c.LogEnable }, false},
		{`<log_level>0</log_level>`, func(c *Config) any { return c.LogLevel }, LogTrace},
		{`<log_level>5</log_level>`, func(c *Config) any { return c.LogLevel }, LogFatal},
		{`<log_level>warn</log_level>`, func(c *Config) any { return c.LogLevel }, LogWarn},
		{`<http_notify><on_connect>http://h/c</on_connect><on_play>http://h/p</on_play><on_publish>https://h/u</on_publish><on_done>http://h/d</on_done><notify_method>get</notify_method><timeout>3</timeout></http_notify>`,
			func(c *Config) any { return c.HTTPNotify },
			Notify{Enable: true, OnConnect: "http://h/c", OnPlay: "http://h/p", OnPublish: "https://h/u", OnDone: "http://h/d", Method: "GET", Timeout: 3 * time.Second}},
		{`<http_notify><enable>0</enable><on_play>http://h/p</on_play></http_notify>`,
			func(c *Config) any { return []any{c.HTTPNotify.Enable, c.HTTPNotify.OnPlay} }, []any{false, "http://h/p"}},
		{`<http_notify><enable>1</enable></http_notify>`, func(c *Config) any { return c.HTTPNotify.Enable }, true},
		{`<http_notify><on_play></on_play></http_notify>`, func(c *Config) any { return c.HTTPNotify.Enable }, false},
		{`<on_connect>http://h/c</on_connect><notify_method>POST</notify_method>`,
			func(c *Config) any { return []any{c.HTTPNotify.Enable, c.HTTPNotify.OnConnect, c.HTTPNotify.Method} }, []any{true, "http://h/c", "POST"}},
		{`<http_notify>0</http_notify><on_connect>http://h/c</on_connect>`,
			func(c *Config) any { return []any{c.HTTPNotify.Enable, c.HTTPNotify.OnConnect} }, []any{false, "http://h/c"}},
		{`<http_notify><timeout>1m</timeout></http_notify>`, func(c *Config) any { return c.HTTPNotify.Timeout }, time.Minute},
		{`<user><username>a</username><password>1</password></user><user><username>b</username><password></password></user>`,
			func(c *Config) any { return c.UserMap() }, map[string]string{"a": "1", "b": ""}},
		{`<user><username></username><password></password></user>`, func(c *Config) any { return len(c.Users) }, 0},
		{`<output><url>*.mp4</url><video><codec>hevc</codec><width>640</width><height>480</height><framerate>29.97</framerate><bitrate>800</bitrate></video><audio><codec>opus</codec><samplerate>48000</samplerate><channels>2</channels><bitrate>64</bitrate></audio></output>`,
			func(c *Config) any { return public(c).Outputs },
			[]Output{{URL: "*.mp4", Video: Video{Codec: VideoH265, Width: 640, Height: 480, FrameRate: 29.97, Bitrate: 800},
				Audio: Audio{Codec: AudioOpus, SampleRate: 48000, Channels: 2, Bitrate: 64}}}},
		{`<output><video><codec>MJPEG</codec></video><audio><codec>PCMA</codec></audio></output>`,
			func(c *Config) any { return []any{c.Outputs[0].Video.Codec, c.Outputs[0].Audio.Codec} }, []any{VideoJPEG, AudioG711A}},
		{`<output><video><codec>mpeg4</codec></video><audio><codec>g722</codec></audio></output>`,
			func(c *Config) any { return []any{c.Outputs[0].Video.Codec, c.Outputs[0].Audio.Codec} }, []any{VideoMPEG4, AudioG722}},
		{`<output><audio><codec>G726</codec></audio></output><output><audio><codec>g711u</codec></audio></output>`,
			func(c *Config) any { return []any{c.Outputs[0].Audio.Codec, c.Outputs[1].Audio.Codec} }, []any{AudioG726, AudioG711U}},
		{`<proxy><suffix>/cam1/</suffix><url>rtsp://10.0.0.2/live</url><user>u</user><pass>p</pass><transfer>multicast</transfer><ondemand>0</ondemand></proxy>`,
			func(c *Config) any { return public(c).Proxies },
			[]Proxy{{Suffix: "cam1", URL: "rtsp://10.0.0.2/live", User: "u", Pass: "p", Transfer: TransferMulticast}}},
		{`<proxy><suffix>p</suffix><url>rtmp://h/app/s</url></proxy>`,
			func(c *Config) any { return public(c).Proxies },
			[]Proxy{{Suffix: "p", URL: "rtmp://h/app/s", Transfer: TransferTCP, OnDemand: true}}},
		{`<pusher><suffix>push</suffix><video><codec>h264</codec><width>1920</width><height>1080</height><framerate>30</framerate></video><audio><codec>aac</codec><samplerate>16000</samplerate><channels>1</channels></audio><transfer><mode>udp</mode><ip>0.0.0.0</ip><vport>50001</vport><aport>50002</aport></transfer></pusher>`,
			func(c *Config) any { return public(c).Pushers },
			[]Pusher{{Suffix: "push", Video: Video{Codec: VideoH264, Width: 1920, Height: 1080, FrameRate: 30},
				Audio:    Audio{Codec: AudioAAC, SampleRate: 16000, Channels: 1},
				Transfer: PusherTransfer{Mode: PushUDP, IP: "0.0.0.0", VPort: 50001, APort: 50002}}}},
		{`<pusher><suffix>push</suffix></pusher>`,
			func(c *Config) any { return c.Pushers[0].Transfer }, PusherTransfer{Mode: PushRTSP}},
		{`<pusher><suffix>push</suffix><video><codec>H264</codec></video><transfer><mode>RTP over TCP</mode><vport>6000</vport></transfer></pusher>`,
			func(c *Config) any { return c.Pushers[0].Transfer.Mode }, PushTCP},
		{`<backchannel>1</backchannel>`, func(c *Config) any { return c.Backchannel }, true},
		{`<backchannel><enable>0</enable><codec>G711A</codec></backchannel>`,
			func(c *Config) any { return []any{c.Backchannel, c.BackchannelAudio.Codec} }, []any{false, AudioG711A}},
		{`<backchannel><codec>pcmu</codec><samplerate>8000</samplerate><channels>1</channels></backchannel>`,
			func(c *Config) any { return []any{c.Backchannel, c.BackchannelAudio} },
			[]any{true, Audio{Codec: AudioG711U, SampleRate: 8000, Channels: 1}}},
		{`<media_dir>/srv/media</media_dir>`, func(c *Config) any { return c.MediaDir }, "/srv/media"},
		{`<media_dir>videos</media_dir>`, func(c *Config) any { return c.MediaDir }, "videos"},
		{`<media_dir></media_dir>`, func(c *Config) any { return c.MediaDir }, "."},
		{`<session_timeout>90</session_timeout>`, func(c *Config) any { return c.SessionTimeout }, 90 * time.Second},
		{`<session_timeout>2m</session_timeout>`, func(c *Config) any { return c.SessionTimeout }, 2 * time.Minute},
		{`<max_sessions>32</max_sessions>`, func(c *Config) any { return c.MaxSessions }, 32},
		{`<gop_cache>8388608</gop_cache>`, func(c *Config) any { return c.GOPCache }, 8 << 20},
		{`<gop_cache>0</gop_cache>`, func(c *Config) any { return c.GOPCache }, 0},
		{`<gop_cache></gop_cache>`, func(c *Config) any { return c.GOPCache }, DefaultGOPCache},
		{`<publish_timeout>3</publish_timeout>`, func(c *Config) any { return c.PublishTimeout }, 3 * time.Second},
		{`<publish_timeout>1500ms</publish_timeout>`, func(c *Config) any { return c.PublishTimeout }, 1500 * time.Millisecond},
		{`<publish_timeout></publish_timeout>`, func(c *Config) any { return c.PublishTimeout }, 10 * time.Second},
	}
	for _, tc := range cases {
		c := parseBody(t, tc.body)
		if got := tc.got(c); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s\n got  %#v\n want %#v", tc.body, got, tc.want)
		}
	}
}

// TestTolerate feeds the forms real files come in.
func TestTolerate(t *testing.T) {
	cases := []struct{ name, text string }{
		{"bom+decl", "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<config><rtsp_port>8554</rtsp_port></config>"},
		{"crlf", "<?xml version=\"1.0\"?>\r\n<config>\r\n\t<rtsp_port>8554</rtsp_port>\r\n</config>\r\n"},
		{"comments", "<!-- top --><config><!-- in --><rtsp_port><!-- value -->8554</rtsp_port></config><!-- end -->"},
		{"attributes", `<config version="2"><rtsp_port unit="tcp">8554</rtsp_port></config>`},
		{"whitespace", "\n\n  <config>\n\n   <rtsp_port>\n 8554\n </rtsp_port>  </config>\n\n"},
		{"doctype", "<!DOCTYPE config><config><rtsp_port>8554</rtsp_port></config>"},
		{"cdata", "<config><rtsp_port><![CDATA[8554]]></rtsp_port></config>"},
		{"ascii decl", "<?xml version=\"1.0\" encoding=\"US-ASCII\"?><config><rtsp_port>8554</rtsp_port></config>"},
	}
	for _, tc := range cases {
		c, err := Parse([]byte(tc.text), "rtspserver.cfg")
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if c.RTSPPort != 8554 {
			t.Errorf("%s: RTSPPort = %d, want 8554", tc.name, c.RTSPPort)
		}
	}
}

func TestBooleans(t *testing.T) {
	for text, want := range map[string]bool{
		"1": true, "true": true, "TRUE": true, "yes": true, "Yes": true, "on": true,
		"0": false, "false": false, "False": false, "no": false, "NO": false, "off": false,
	} {
		c := parseBody(t, "<multicast>"+text+"</multicast>")
		if c.Multicast != want {
			t.Errorf("<multicast>%s</multicast> = %v, want %v", text, c.Multicast, want)
		}
	}
}

func TestUnknownElements(t *testing.T) {
	c := parseBody(t, "<rtsp_port>554</rtsp_port>\n<fancy_feature>1</fancy_feature>\n"+
		"<proxy><suffix>p</suffix><url>rtsp://h/s</url><rtsp_timeout>5</rtsp_timeout></proxy>\n"+
		"<vendor_block><a><b>1</b></a></vendor_block>")
	want := []Unknown{
		{Element: "fancy_feature", Pos: Pos{Line: 3, Col: 16}},
		{Element: "proxy/rtsp_timeout", Pos: Pos{Line: 4, Col: 61}},
		{Element: "vendor_block", Pos: Pos{Line: 5, Col: 15}},
	}
	if !reflect.DeepEqual(c.Unknown, want) {
		t.Fatalf("Unknown = %+v, want %+v", c.Unknown, want)
	}

	var b strings.Builder
	for range MaxUnknown + 10 {
		b.WriteString("<x/>")
	}
	if c := parseBody(t, b.String()); len(c.Unknown) != MaxUnknown {
		t.Fatalf("len(Unknown) = %d, want the cap %d", len(c.Unknown), MaxUnknown)
	}
}

// TestRelativePaths checks that paths in a file are taken from its folder.
func TestRelativePaths(t *testing.T) {
	c, err := Parse([]byte(`<config><media_dir>media</media_dir><rtsps_cert>tls/c.pem</rtsps_cert><https_key>/abs/k.pem</https_key></config>`),
		"/etc/rtspcam/rtspserver.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if c.MediaDir != "/etc/rtspcam/media" || c.RTSPS.Cert != "/etc/rtspcam/tls/c.pem" || c.HTTPSKey != "/abs/k.pem" {
		t.Fatalf("MediaDir, RTSPS.Cert, HTTPSKey = %q, %q, %q", c.MediaDir, c.RTSPS.Cert, c.HTTPSKey)
	}
	c, err = Parse([]byte(`<config/>`), "/etc/rtspcam/rtspserver.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if c.MediaDir != "/etc/rtspcam" {
		t.Fatalf("MediaDir = %q, want the file's folder", c.MediaDir)
	}
	c, err = Parse([]byte(`<config><media_dir>media</media_dir></config>`), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.MediaDir != "media" || c.Path != "" {
		t.Fatalf("no file: MediaDir, Path = %q, %q", c.MediaDir, c.Path)
	}
}
