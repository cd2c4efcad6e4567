package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// problems collects Validate's findings.
type problems struct {
	c    *Config
	errs []error
}

// add records a problem with a scalar setting, found by its logical key.
func (v *problems) add(key, format string, args ...any) {
	v.addAt(v.c.pos[key], v.writtenAs(key), format, args...)
}

func (v *problems) addAt(at Pos, element, format string, args ...any) {
	if len(v.errs) >= maxErrors {
		return
	}
	v.errs = append(v.errs, &Error{Path: v.c.Path, Pos: at, Element: element, Msg: fmt.Sprintf(format, args...)})
}

// Validate checks the settings against each other and their ranges. Parse
// and Load call it; call it again after changing a Config by hand.
func (c *Config) Validate() error {
	v := &problems{c: c}

	if c.ServerIP != "" && net.ParseIP(c.ServerIP) == nil {
		v.add("serverip", "%q is not an IP address", clip(c.ServerIP))
	}
	for _, p := range []struct {
		key  string
		port int
	}{
		{"rtsp_port", c.RTSPPort}, {"rtsps_port", c.RTSPS.Port},
		{"http_port", c.HTTPPort}, {"https_port", c.HTTPSPort},
	} {
		if p.port < 1 || p.port > 65535 {
			v.add(p.key, "%d is not %s", p.port, portWhat)
		}
	}
	if c.LoopNums == 0 || c.LoopNums < -1 {
		v.add("loop_nums", "%d is not a loop count (-1 for forever, or 1 and up)", c.LoopNums)
	}
	if c.LogLevel < LogTrace || c.LogLevel > LogFatal {
		v.add("log_level", "%d is not a log level (0 TRACE, 1 DEBUG, 2 INFO, 3 WARN, 4 ERROR, 5 FATAL)", c.LogLevel)
	}
	if c.SessionTimeout <= 0 {
		v.add("session_timeout", "%v is not a timeout", c.SessionTimeout)
	}
	if c.GOPCache < 0 || c.GOPCache > MaxGOPCache {
		v.add("gop_cache", "%d is not a GOP cache size (bytes, 0 for none, up to %d)", c.GOPCache, MaxGOPCache)
	}
	if c.PublishTimeout <= 0 {
		v.add("publish_timeout", "%v is not a publisher timeout", c.PublishTimeout)
	}
	if c.MaxSessions < 0 {
		v.add("max_sessions", "%d is not a session count (0 for no limit)", c.MaxSessions)
	}
	c.validateUDP(v)
	c.validateTLS(v)
	c.validateListeners(v)
	c.validateUsers(v)
	c.validateNotify(v)
	c.validateOutputs(v)
	c.validateSources(v)
	if c.BackchannelAudio.Codec != "" && !isCanonical(audioCodecs, c.BackchannelAudio.Codec) {
		v.add("backchannel", "%q is not an audio codec (%s)", clip(c.BackchannelAudio.Codec), audioNames)
	}
	return errors.Join(v.errs...)
}

func (c *Config) validateUDP(v *problems) {
	if c.UDPBasePort == 0 {
		return
	}
	if c.UDPBasePort < 0 || c.UDPBasePort > 65536-UDPPortsPerSession {
		v.add("udp_base_port", "%d is not a UDP base port (1-%d, %d ports per session)",
			c.UDPBasePort, 65536-UDPPortsPerSession, UDPPortsPerSession)
		return
	}
	if c.MaxSessions > 0 {
		if last := c.UDPBasePort + c.MaxSessions*UDPPortsPerSession - 1; last > 65535 {
			v.add("udp_base_port", "%d sessions of %d ports from %d end at port %d, past 65535",
				c.MaxSessions, UDPPortsPerSession, c.UDPBasePort, last)
		}
	}
}

func (c *Config) validateTLS(v *problems) {
	if c.RTSPS.Enable {
		if c.RTSPS.Cert == "" {
			v.add("rtsps_enable", "RTSPS is on but has no certificate (<rtsp_cert> or <rtsps_cert>); "+
				"note that an <rtsp_enable> after <rtsp_port> is the RTSPS switch")
		}
		if c.RTSPS.Key == "" {
			v.add("rtsps_enable", "RTSPS is on but has no key (<rtsp_key> or <rtsps_key>); "+
				"note that an <rtsp_enable> after <rtsp_port> is the RTSPS switch")
		}
	}
	if c.RTSPOverHTTPS {
		if c.HTTPSCert == "" {
			v.add("rtsp_over_https", "RTSP over HTTPS is on but <https_cert> is empty")
		}
		if c.HTTPSKey == "" {
			v.add("rtsp_over_https", "RTSP over HTTPS is on but <https_key> is empty")
		}
	}
}

// validateListeners refuses two enabled listeners on one port, and a
// configuration where nothing listens at all.
func (c *Config) validateListeners(v *problems) {
	type listener struct {
		proto   string
		port    int
		at      Pos
		element string
	}
	var ls []listener
	add := func(proto string, port int, at Pos, element string) {
		if port == 0 {
			return
		}
		for _, l := range ls {
			if l.proto == proto && l.port == port {
				v.addAt(at, element, "%s port %d is already used by %s", proto, port, elementTag(l.element))
				return
			}
		}
		ls = append(ls, listener{proto, port, at, element})
	}
	if c.RTSPEnable {
		add("TCP", c.RTSPPort, c.pos["rtsp_port"], v.writtenAs("rtsp_port"))
	}
	if c.RTSPS.Enable {
		add("TCP", c.RTSPS.Port, c.pos["rtsps_port"], v.writtenAs("rtsps_port"))
	}
	if c.RTSPOverHTTP {
		add("TCP", c.HTTPPort, c.pos["http_port"], "http_port")
	}
	if c.RTSPOverHTTPS {
		add("TCP", c.HTTPSPort, c.pos["https_port"], "https_port")
	}
	for _, p := range c.Pushers {
		proto := ""
		switch p.Transfer.Mode {
		case PushTCP:
			proto = "TCP"
		case PushUDP:
			proto = "UDP"
		default:
			continue
		}
		add(proto, p.Transfer.VPort, p.at, "pusher/transfer/vport")
		add(proto, p.Transfer.APort, p.at, "pusher/transfer/aport")
	}
	if !c.RTSPEnable && !c.RTSPS.Enable && !c.RTSPOverHTTP && !c.RTSPOverHTTPS {
		v.add("rtsp_enable", "every listener is off; enable RTSP, RTSPS, RTSP over HTTP or RTSP over HTTPS")
	}
}

func (c *Config) validateUsers(v *problems) {
	first := make(map[string]Pos, len(c.Users))
	for _, u := range c.Users {
		switch {
		case u.Username == "":
			v.addAt(u.at, "user/username", "user without a name")
		case strings.ContainsAny(u.Username, ":") || hasControl(u.Username):
			v.addAt(u.at, "user/username", "%q: a user name may not hold ':' or control characters", clip(u.Username))
		default:
			if at, dup := first[u.Username]; dup {
				v.addAt(u.at, "user/username", "user %q is given twice (first on line %d)", clip(u.Username), at.Line)
			} else {
				first[u.Username] = u.at
			}
		}
	}
	if c.NeedAuth && len(c.Users) == 0 {
		v.add("need_auth", "authentication is on but there is no <user>, so nobody could play")
	}
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

func (c *Config) validateNotify(v *problems) {
	h := c.HTTPNotify
	if h.Method != "GET" && h.Method != "POST" {
		v.add("http_notify/notify_method", "%q is not an HTTP method (GET, POST)", clip(h.Method))
	}
	if h.Timeout <= 0 || h.Timeout > 5*time.Minute {
		v.add("http_notify/timeout", "%v is not a timeout (1-300 seconds)", h.Timeout)
	}
	for _, hook := range []struct{ key, url string }{
		{"http_notify/on_connect", h.OnConnect}, {"http_notify/on_play", h.OnPlay},
		{"http_notify/on_publish", h.OnPublish}, {"http_notify/on_done", h.OnDone},
	} {
		if hook.url == "" {
			continue
		}
		u, err := url.Parse(hook.url)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add(hook.key, "%q is not an http:// or https:// URL", clip(hook.url))
		}
	}
}

func (c *Config) validateOutputs(v *problems) {
	for _, o := range c.Outputs {
		checkVideo(v, o.at, "output/video", o.Video)
		checkAudio(v, o.at, "output/audio", o.Audio)
	}
}

func checkVideo(v *problems, at Pos, element string, x Video) {
	if !isCanonical(videoCodecs, x.Codec) {
		v.addAt(at, element+"/codec", "%q is not a video codec (%s)", clip(x.Codec), videoNames)
	}
	if x.Width < 0 || x.Width > 16384 || x.Height < 0 || x.Height > 16384 {
		v.addAt(at, element, "%dx%d is not a picture size (0-16384)", x.Width, x.Height)
	}
	if !(x.FrameRate >= 0 && x.FrameRate <= 1000) {
		v.addAt(at, element+"/framerate", "%v is not a frame rate (0-1000)", x.FrameRate)
	}
	if x.Bitrate < 0 {
		v.addAt(at, element+"/bitrate", "%d is not a bitrate", x.Bitrate)
	}
}

func checkAudio(v *problems, at Pos, element string, x Audio) {
	if !isCanonical(audioCodecs, x.Codec) {
		v.addAt(at, element+"/codec", "%q is not an audio codec (%s)", clip(x.Codec), audioNames)
	}
	if x.SampleRate < 0 || x.SampleRate > 384000 {
		v.addAt(at, element+"/samplerate", "%d is not a sample rate (0-384000)", x.SampleRate)
	}
	if x.Channels < 0 || x.Channels > 8 {
		v.addAt(at, element+"/channels", "%d is not a channel count (0-8)", x.Channels)
	}
	if x.Bitrate < 0 {
		v.addAt(at, element+"/bitrate", "%d is not a bitrate", x.Bitrate)
	}
}

// proxySchemes are the upstream URL schemes a proxy may name.
var proxySchemes = map[string]bool{
	"rtsp": true, "rtsps": true, "rtmp": true, "rtmps": true, "srt": true, "http": true, "https": true,
}

// validateSources checks proxies and pushers; a suffix names one source, so
// no two of them may share it.
func (c *Config) validateSources(v *problems) {
	suffixes := make(map[string]Pos)
	claim := func(at Pos, element, suffix string) {
		if suffix == "" {
			return
		}
		if bad := suffixProblem(suffix); bad != "" {
			v.addAt(at, element, "%q %s", clip(suffix), bad)
			return
		}
		key := strings.ToLower(suffix)
		if first, dup := suffixes[key]; dup {
			v.addAt(at, element, "suffix %q is already used (line %d)", clip(suffix), first.Line)
			return
		}
		suffixes[key] = at
	}
	for _, p := range c.Proxies {
		if p.Suffix == "" {
			v.addAt(p.at, "proxy/suffix", "proxy without a suffix")
		}
		claim(p.at, "proxy/suffix", p.Suffix)
		if p.URL == "" {
			v.addAt(p.at, "proxy/url", "proxy without a URL")
		} else if u, err := url.Parse(p.URL); err != nil || !proxySchemes[strings.ToLower(u.Scheme)] || u.Host == "" {
			v.addAt(p.at, "proxy/url", "%q is not a stream URL (rtsp, rtsps, rtmp, rtmps, srt, http, https)", clip(p.URL))
		}
		if !isCanonical(proxyTransfers, p.Transfer) || p.Transfer == "" {
			v.addAt(p.at, "proxy/transfer", "%q is not a transfer (%s)", clip(p.Transfer), transferNames)
		}
	}
	for _, p := range c.Pushers {
		if p.Suffix == "" {
			v.addAt(p.at, "pusher/suffix", "pusher without a suffix")
		}
		claim(p.at, "pusher/suffix", p.Suffix)
		checkVideo(v, p.at, "pusher/video", p.Video)
		checkAudio(v, p.at, "pusher/audio", p.Audio)
		t := p.Transfer
		if t.IP != "" && net.ParseIP(t.IP) == nil {
			v.addAt(p.at, "pusher/transfer/ip", "%q is not an IP address", clip(t.IP))
		}
		for _, port := range []struct {
			name string
			n    int
		}{{"vport", t.VPort}, {"aport", t.APort}} {
			if port.n < 0 || port.n > 65535 {
				v.addAt(p.at, "pusher/transfer/"+port.name, "%d is not %s", port.n, portWhat)
			}
		}
		switch t.Mode {
		case PushRTSP:
			// Ports are not used: the pusher publishes with RTSP.
		case PushTCP, PushUDP:
			if p.Video.Codec == "" && p.Audio.Codec == "" {
				v.addAt(p.at, "pusher", "mode %s needs a <video> or <audio> codec to describe the stream", t.Mode)
			}
			if p.Video.Codec != "" && t.VPort == 0 {
				v.addAt(p.at, "pusher/transfer/vport", "mode %s with video needs a <vport>", t.Mode)
			}
			if p.Audio.Codec != "" && t.APort == 0 {
				v.addAt(p.at, "pusher/transfer/aport", "mode %s with audio needs an <aport>", t.Mode)
			}
		default:
			v.addAt(p.at, "pusher/transfer/mode", "%q is not a push mode (%s)", clip(t.Mode), pushNames)
		}
	}
}

// suffixProblem says why a suffix cannot be a URL path, or "".
func suffixProblem(s string) string {
	if strings.ContainsAny(s, "?#\\") || strings.IndexFunc(s, unicode.IsSpace) >= 0 || hasControl(s) {
		return "is not a URL path (no spaces, '?', '#' or '\\')"
	}
	for _, seg := range strings.Split(s, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "is not a URL path (empty, '.' or '..' segment)"
		}
	}
	return ""
}

// writtenAs is the element a logical key was read from, or the key itself.
func (v *problems) writtenAs(key string) string {
	if w := v.c.written[key]; w != "" {
		return w
	}
	return key
}
