package config

import (
	"os"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, file := range []string{"testdata/vendor.cfg", "../../rootfs/overlay/etc/rtspserver.cfg"} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"<config/>",
		"<config><rtsp_port>abc</rtsp_port></config>",
		"<config><rtsp_port>554</rtsp_port><rtsp_enable>1</rtsp_enable><rtsp_port>322</rtsp_port><rtsp_cert>c</rtsp_cert><rtsp_key>k</rtsp_key></config>",
		"<config><http_notify>1</http_notify><on_play>http://h/p</on_play></config>",
		"<config><user><username>a</username></user><user><username>a</username></user></config>",
		"<config><pusher><suffix>p</suffix><video><codec>H264</codec></video><transfer><mode>TCP</mode><vport>1</vport></transfer></pusher></config>",
		"<config><proxy><suffix>p</suffix><url>rtsp://h/</url></proxy><proxy><suffix>p</suffix><url>rtsp://h/</url></proxy></config>",
		"<config><output><url>*.mp4</url><video><codec>h265</codec><framerate>29.97</framerate></video></output></config>",
		"<config><backchannel><codec>G711</codec></backchannel><session_timeout>1m</session_timeout></config>",
		"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"gb2312\"?><config/>",
		"<config><a><b><c><d><e><f><g><h>x</h></g></f></e></d></c></b></a></config>",
		"<config>\r\n<log_level>warn</log_level>\r\n</config>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.cfg")
		if err != nil {
			if c != nil {
				t.Fatal("Parse returned a Config with an error")
			}
			msg := err.Error()
			if msg == "" {
				t.Fatal("empty error message")
			}
			for _, line := range strings.Split(msg, "\n") {
				if !strings.HasPrefix(line, "fuzz.cfg") || len(line) <= len("fuzz.cfg: ") {
					t.Fatalf("error line %q does not name the file and a problem", line)
				}
			}
			return
		}
		if c == nil {
			t.Fatal("Parse returned neither a Config nor an error")
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted a Config that Validate refuses: %v", err)
		}
		if len(c.Users) > MaxItems || len(c.Outputs) > MaxItems || len(c.Proxies) > MaxItems ||
			len(c.Pushers) > MaxItems || len(c.Unknown) > MaxUnknown {
			t.Fatalf("lists over their limits: %d users, %d outputs, %d proxies, %d pushers, %d unknown",
				len(c.Users), len(c.Outputs), len(c.Proxies), len(c.Pushers), len(c.Unknown))
		}
		for _, s := range []string{c.ServerIP, c.HTTPNotify.OnConnect, c.HTTPNotify.OnPlay, c.HTTPNotify.OnPublish, c.HTTPNotify.OnDone} {
			if len(s) > MaxValueLen {
				t.Fatalf("value of %d bytes, over MaxValueLen", len(s))
			}
		}
		_ = c.Unsupported(nil)
		for _, o := range c.Outputs {
			_ = c.MatchOutput(o.URL)
		}
	})
}

func BenchmarkParseVendor(b *testing.B) {
	data, err := os.ReadFile("testdata/vendor.cfg")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data, "vendor.cfg"); err != nil {
			b.Fatal(err)
		}
	}
}
