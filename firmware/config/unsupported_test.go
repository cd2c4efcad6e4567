package config

import (
	"reflect"
	"testing"
)

func TestUnsupported(t *testing.T) {
	c := parseBody(t, `
<rtsp_port>554</rtsp_port>
<rtsp_enable>1</rtsp_enable><rtsp_port>322</rtsp_port><rtsp_cert>/c</rtsp_cert><rtsp_key>/k</rtsp_key>
<multicast>1</multicast>
<metadata>0</metadata>
<rtsp_over_http>1</rtsp_over_http>
<rtsp_over_https>0</rtsp_over_https><https_port>443</https_port>
<ipv6_enable>0</ipv6_enable>
<need_auth>1</need_auth><user><username>a</username><password>b</password></user>
<http_notify><on_play>http://h/p</on_play><on_done></on_done></http_notify>
<udp_base_port>20000</udp_base_port>
<output><url></url></output>
<proxy><suffix>x</suffix><url>rtsp://h/</url></proxy>
<pusher><suffix>y</suffix></pusher>
<backchannel>0</backchannel>
<max_sessions>4</max_sessions>`)

	all := []string{
		"rtsps: <rtsps_enable>, <rtsps_port>, <rtsps_cert>, <rtsps_key>",
		"multicast: <multicast>",
		"rtsp_over_http: <rtsp_over_http>",
		"auth: <need_auth>, <user>",
		"http_notify: <http_notify><on_play>",
		"udp_base_port: <udp_base_port>",
		"output: <output>",
		"proxy: <proxy>",
		"pusher: <pusher>",
		"max_sessions: <max_sessions>",
	}
	if got := c.Unsupported(nil); !reflect.DeepEqual(got, all) {
		t.Errorf("Unsupported(nil) =\n%q\nwant\n%q", got, all)
	}
	supported := map[string]bool{
		FeatureRTSPS: true, FeatureAuth: true, FeatureOutput: true, FeatureProxy: true,
		FeaturePusher: true, FeatureHTTPNotify: true, FeatureMaxSessions: true,
	}
	want := []string{"multicast: <multicast>", "rtsp_over_http: <rtsp_over_http>", "udp_base_port: <udp_base_port>"}
	if got := c.Unsupported(supported); !reflect.DeepEqual(got, want) {
		t.Errorf("Unsupported(some) = %q, want %q", got, want)
	}
	everything := map[string]bool{}
	for name := range Features() {
		everything[name] = true
	}
	if got := c.Unsupported(everything); len(got) != 0 {
		t.Errorf("Unsupported(all features) = %q, want none", got)
	}
}

func TestFeatures(t *testing.T) {
	f := Features()
	if got := f[FeatureRTSPS]; !reflect.DeepEqual(got, []string{"<rtsps_enable>", "<rtsps_port>", "<rtsps_cert>", "<rtsps_key>"}) {
		t.Errorf("Features()[rtsps] = %q", got)
	}
	if len(f) != len(features) {
		t.Errorf("Features() has %d entries, table has %d: two features share a name", len(f), len(features))
	}
}
