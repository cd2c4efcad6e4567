package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// maxErrors bounds how many problems one Parse reports.
const maxErrors = 20

// Parse reads a configuration from data. path names the file in errors and
// anchors relative paths; it may be "" for text that has no file. The
// result has defaults filled in and has passed Validate.
func Parse(data []byte, path string) (*Config, error) {
	root, err := readTree(data, path)
	if err != nil {
		return nil, err
	}
	c := Default()
	c.Path = path
	if path != "" {
		c.MediaDir = "" // the file's folder unless <media_dir> says otherwise
	}
	c.pos = make(map[string]Pos)
	c.written = make(map[string]string)
	c.present = make(map[string]bool)
	p := &parser{c: c, file: path, seen: make(map[string]Pos)}
	p.config(root)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	p.finish()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// parser fills a Config from the element tree, collecting errors.
type parser struct {
	c    *Config
	file string
	errs []error
	// seen maps each logical setting to where it was first given.
	seen map[string]Pos
	// vendorTLS is set when the file has the vendor's second
	// rtsp_enable/rtsp_port/rtsp_cert/rtsp_key group (RTSPS).
	vendorTLS bool
	// notifyEnable is set when the file says whether hooks are on.
	notifyEnable bool
}

func (p *parser) fail(n *node, format string, args ...any) {
	if len(p.errs) == maxErrors {
		p.errs = append(p.errs, &Error{Path: p.file, Msg: "too many errors; stopped"})
	}
	if len(p.errs) > maxErrors {
		return
	}
	p.errs = append(p.errs, &Error{Path: p.file, Pos: n.at, Element: n.path, Msg: fmt.Sprintf(format, args...)})
}

// once records a setting under its logical key and refuses a second one.
func (p *parser) once(n *node, key string) bool {
	if first, dup := p.seen[key]; dup {
		p.fail(n, "given twice (first on line %d)", first.Line)
		return false
	}
	p.seen[key] = n.at
	p.c.pos[key] = n.at
	p.c.written[key] = n.path
	if strings.TrimSpace(n.text) != "" || len(n.children) > 0 {
		p.c.present[key] = true
	}
	return true
}

func (p *parser) unknown(n *node) {
	if len(p.c.Unknown) < MaxUnknown {
		p.c.Unknown = append(p.c.Unknown, Unknown{Element: n.path, Pos: n.at})
	}
}

// leaf returns an element's trimmed text; ok is false (and an error is
// recorded) when the element holds elements instead.
func (p *parser) leaf(n *node) (string, bool) {
	if len(n.children) > 0 {
		p.fail(n, "expected a value, found <%s> inside", n.children[0].name)
		return "", false
	}
	return strings.TrimSpace(n.text), true
}

// container checks an element that holds elements has no stray text.
func (p *parser) container(n *node) bool {
	if s := strings.TrimSpace(n.text); s != "" {
		p.fail(n, "expected elements inside, found text %q", clip(s))
		return false
	}
	return true
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func (p *parser) setString(n *node, dst *string) {
	if v, ok := p.leaf(n); ok && v != "" {
		*dst = v
	}
}

func (p *parser) setBool(n *node, dst *bool) {
	v, ok := p.leaf(n)
	if !ok || v == "" {
		return
	}
	b, ok := parseBool(v)
	if !ok {
		p.fail(n, "%q is not a boolean (0/1, true/false, yes/no)", clip(v))
		return
	}
	*dst = b
}

func (p *parser) setInt(n *node, dst *int, lo, hi int, what string) {
	v, ok := p.leaf(n)
	if !ok || v == "" {
		return
	}
	i, err := strconv.Atoi(v)
	if err != nil || i < lo || i > hi {
		p.fail(n, "%q is not %s", clip(v), what)
		return
	}
	*dst = i
}

const portWhat = "a port number (1-65535)"

func (p *parser) setPort(n *node, dst *int) { p.setInt(n, dst, 1, 65535, portWhat) }

func (p *parser) setFloat(n *node, dst *float64, lo, hi float64, what string) {
	v, ok := p.leaf(n)
	if !ok || v == "" {
		return
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f >= lo && f <= hi) {
		p.fail(n, "%q is not %s", clip(v), what)
		return
	}
	*dst = f
}

func (p *parser) setSeconds(n *node, dst *time.Duration, lo, hi time.Duration, what string) {
	v, ok := p.leaf(n)
	if !ok || v == "" {
		return
	}
	d, ok := parseSeconds(v)
	if !ok || d < lo || d > hi {
		p.fail(n, "%q is not %s", clip(v), what)
		return
	}
	*dst = d
}

func (p *parser) setName(n *node, dst *string, table map[string]string, what, list string) {
	v, ok := p.leaf(n)
	if !ok || v == "" {
		return
	}
	name, ok := canonical(table, v)
	if !ok {
		p.fail(n, "%q is not %s (%s)", clip(v), what, list)
		return
	}
	*dst = name
}

// config reads the children of <config>.
func (p *parser) config(root *node) {
	c := p.c
	if !p.container(root) {
		return
	}
	// The vendor's template repeats rtsp_enable/rtsp_port and adds
	// rtsp_cert/rtsp_key for RTSPS after the plain rtsp_port; find out
	// whether this file does so before reading it.
	plainSeen := false
	for _, n := range root.children {
		switch n.name {
		case "rtsp_port", "serverport":
			plainSeen = true
		case "rtsp_enable":
			if plainSeen {
				p.vendorTLS = true
			}
		case "rtsp_cert", "rtsp_key":
			p.vendorTLS = true
		}
	}

	for _, n := range root.children {
		switch n.name {
		case "serverip":
			if p.once(n, "serverip") {
				p.setString(n, &c.ServerIP)
			}
		case "rtsp_port", "serverport":
			_, plain := p.seen["rtsp_port"]
			switch {
			case !plain:
				if p.once(n, "rtsp_port") {
					p.setPort(n, &c.RTSPPort)
				}
			case n.name == "rtsp_port" && p.vendorTLS:
				if p.once(n, "rtsps_port") {
					p.setPort(n, &c.RTSPS.Port)
				}
			default:
				p.once(n, "rtsp_port") // reports the duplicate
			}
		case "rtsp_enable":
			if _, plain := p.seen["rtsp_port"]; plain {
				if p.once(n, "rtsps_enable") {
					p.setBool(n, &c.RTSPS.Enable)
				}
			} else if p.once(n, "rtsp_enable") {
				p.setBool(n, &c.RTSPEnable)
			}
		case "rtsps_enable":
			if p.once(n, "rtsps_enable") {
				p.setBool(n, &c.RTSPS.Enable)
			}
		case "rtsps_port":
			if p.once(n, "rtsps_port") {
				p.setPort(n, &c.RTSPS.Port)
			}
		case "rtsp_cert", "rtsps_cert":
			if p.once(n, "rtsps_cert") {
				p.setString(n, &c.RTSPS.Cert)
			}
		case "rtsp_key", "rtsps_key":
			if p.once(n, "rtsps_key") {
				p.setString(n, &c.RTSPS.Key)
			}
		case "loop_nums":
			if p.once(n, "loop_nums") {
				p.setInt(n, &c.LoopNums, -1, 1<<31-1, "a loop count (-1 for forever, or 1 and up)")
				if c.LoopNums == 0 {
					p.fail(n, `"0" is not a loop count (-1 for forever, or 1 and up)`)
				}
			}
		case "multicast":
			if p.once(n, "multicast") {
				p.setBool(n, &c.Multicast)
			}
		case "udp_base_port":
			if p.once(n, "udp_base_port") {
				p.setInt(n, &c.UDPBasePort, 1, 65536-UDPPortsPerSession,
					fmt.Sprintf("a UDP base port (1-%d, %d ports per session)", 65536-UDPPortsPerSession, UDPPortsPerSession))
			}
		case "metadata":
			if p.once(n, "metadata") {
				p.setBool(n, &c.Metadata)
			}
		case "rtsp_over_http":
			if p.once(n, "rtsp_over_http") {
				p.setBool(n, &c.RTSPOverHTTP)
			}
		case "http_port":
			if p.once(n, "http_port") {
				p.setPort(n, &c.HTTPPort)
			}
		case "rtsp_over_https":
			if p.once(n, "rtsp_over_https") {
				p.setBool(n, &c.RTSPOverHTTPS)
			}
		case "https_port":
			if p.once(n, "https_port") {
				p.setPort(n, &c.HTTPSPort)
			}
		case "https_cert":
			if p.once(n, "https_cert") {
				p.setString(n, &c.HTTPSCert)
			}
		case "https_key":
			if p.once(n, "https_key") {
				p.setString(n, &c.HTTPSKey)
			}
		case "ipv6_enable":
			if p.once(n, "ipv6_enable") {
				p.setBool(n, &c.IPv6)
			}
		case "need_auth":
			if p.once(n, "need_auth") {
				p.setBool(n, &c.NeedAuth)
			}
		case "log_enable":
			if p.once(n, "log_enable") {
				p.setBool(n, &c.LogEnable)
			}
		case "log_level":
			if p.once(n, "log_level") {
				p.logLevel(n)
			}
		case "http_notify":
			p.httpNotify(n)
		case "on_connect", "on_play", "on_publish", "on_done", "notify_method":
			// The vendor's how-to also shows the hooks straight under <config>.
			p.notifyField(n)
		case "user":
			p.user(n)
		case "output":
			p.output(n)
		case "proxy":
			p.proxy(n)
		case "pusher":
			p.pusher(n)
		case "backchannel":
			p.backchannel(n)
		case "media_dir":
			if p.once(n, "media_dir") {
				p.setString(n, &c.MediaDir)
			}
		case "session_timeout":
			if p.once(n, "session_timeout") {
				p.setSeconds(n, &c.SessionTimeout, time.Second, 24*time.Hour, "a timeout (seconds, 1-86400)")
			}
		case "max_sessions":
			if p.once(n, "max_sessions") {
				p.setInt(n, &c.MaxSessions, 0, 100000, "a session count (0 for no limit, up to 100000)")
			}
		case "gop_cache":
			if p.once(n, "gop_cache") {
				p.setInt(n, &c.GOPCache, 0, MaxGOPCache, "a GOP cache size (bytes, 0 for none, up to 268435456)")
			}
		case "publish_timeout":
			if p.once(n, "publish_timeout") {
				p.setSeconds(n, &c.PublishTimeout, time.Second, time.Hour, "a publisher timeout (seconds, 1-3600)")
			}
		default:
			p.unknown(n)
		}
	}
}

func (p *parser) logLevel(n *node) {
	v, ok := p.leaf(n)
	if !ok || v == "" {
		return
	}
	level, ok := parseLogLevel(v)
	if !ok {
		p.fail(n, "%q is not a log level (0 TRACE, 1 DEBUG, 2 INFO, 3 WARN, 4 ERROR, 5 FATAL)", clip(v))
		return
	}
	p.c.LogLevel = level
}

// httpNotify reads <http_notify>: either a switch (<http_notify>1</…>) next
// to top-level hooks, or a block holding the hooks.
func (p *parser) httpNotify(n *node) {
	if len(n.children) == 0 {
		if p.once(n, "http_notify/enable") {
			p.setBool(n, &p.c.HTTPNotify.Enable)
			p.notifyEnable = p.notifyEnable || strings.TrimSpace(n.text) != ""
		}
		return
	}
	if !p.container(n) {
		return
	}
	for _, ch := range n.children {
		p.notifyField(ch)
	}
}

func (p *parser) notifyField(n *node) {
	h := &p.c.HTTPNotify
	name := n.name
	if name == "method" {
		name = "notify_method"
	}
	key := "http_notify/" + name
	switch name {
	case "enable":
		if p.once(n, key) {
			p.setBool(n, &h.Enable)
			p.notifyEnable = p.notifyEnable || strings.TrimSpace(n.text) != ""
		}
	case "on_connect":
		if p.once(n, key) {
			p.setString(n, &h.OnConnect)
		}
	case "on_play":
		if p.once(n, key) {
			p.setString(n, &h.OnPlay)
		}
	case "on_publish":
		if p.once(n, key) {
			p.setString(n, &h.OnPublish)
		}
	case "on_done":
		if p.once(n, key) {
			p.setString(n, &h.OnDone)
		}
	case "notify_method":
		if p.once(n, key) {
			p.setName(n, &h.Method, notifyMethods, "an HTTP method", "GET, POST")
		}
	case "timeout":
		if p.once(n, key) {
			p.setSeconds(n, &h.Timeout, time.Second, 5*time.Minute, "a timeout (seconds, 1-300)")
		}
	default:
		p.unknown(n)
	}
}

var notifyMethods = map[string]string{"GET": "GET", "POST": "POST"}

// item tracks the children of one list node so each is given once.
type item struct {
	p    *parser
	seen map[string]Pos
}

func (p *parser) newItem() *item { return &item{p: p, seen: make(map[string]Pos)} }

func (it *item) once(n *node) bool {
	if first, dup := it.seen[n.path]; dup {
		it.p.fail(n, "given twice (first on line %d)", first.Line)
		return false
	}
	it.seen[n.path] = n.at
	return true
}

func (p *parser) tooMany(n *node, count int) bool {
	if count >= MaxItems {
		p.fail(n, "more than %d <%s> nodes", MaxItems, n.name)
		return true
	}
	return false
}

func (p *parser) user(n *node) {
	if p.tooMany(n, len(p.c.Users)) || !p.container(n) {
		return
	}
	u := User{at: n.at}
	it := p.newItem()
	for _, ch := range n.children {
		switch ch.name {
		case "username":
			if it.once(ch) {
				p.setString(ch, &u.Username)
			}
		case "password":
			if it.once(ch) {
				p.setString(ch, &u.Password)
			}
		default:
			p.unknown(ch)
		}
	}
	if u.Username == "" && u.Password == "" {
		return // an empty template node
	}
	p.c.Users = append(p.c.Users, u)
	p.c.present["user"] = true
}

func (p *parser) output(n *node) {
	if p.tooMany(n, len(p.c.Outputs)) || !p.container(n) {
		return
	}
	o := Output{at: n.at}
	it := p.newItem()
	for _, ch := range n.children {
		switch ch.name {
		case "url":
			if it.once(ch) {
				p.setString(ch, &o.URL)
			}
		case "video":
			if it.once(ch) {
				p.video(ch, &o.Video, true)
			}
		case "audio":
			if it.once(ch) {
				p.audio(ch, &o.Audio)
			}
		default:
			p.unknown(ch)
		}
	}
	p.c.Outputs = append(p.c.Outputs, o)
	p.c.present["output"] = true
}

func (p *parser) video(n *node, v *Video, bitrate bool) {
	if !p.container(n) {
		return
	}
	it := p.newItem()
	for _, ch := range n.children {
		switch ch.name {
		case "codec":
			if it.once(ch) {
				p.setName(ch, &v.Codec, videoCodecs, "a video codec", videoNames)
			}
		case "width":
			if it.once(ch) {
				p.setInt(ch, &v.Width, 0, 16384, "a width in pixels (0-16384)")
			}
		case "height":
			if it.once(ch) {
				p.setInt(ch, &v.Height, 0, 16384, "a height in pixels (0-16384)")
			}
		case "framerate":
			if it.once(ch) {
				p.setFloat(ch, &v.FrameRate, 0, 1000, "a frame rate (0-1000)")
			}
		case "bitrate":
			if !bitrate {
				p.unknown(ch)
			} else if it.once(ch) {
				p.setInt(ch, &v.Bitrate, 0, 1000000, "a bitrate in kbit/s (0-1000000)")
			}
		default:
			p.unknown(ch)
		}
	}
}

func (p *parser) audio(n *node, a *Audio) {
	if !p.container(n) {
		return
	}
	it := p.newItem()
	for _, ch := range n.children {
		p.audioField(it, ch, a)
	}
}

func (p *parser) audioField(it *item, n *node, a *Audio) {
	switch n.name {
	case "codec":
		if it.once(n) {
			p.setName(n, &a.Codec, audioCodecs, "an audio codec", audioNames)
		}
	case "samplerate":
		if it.once(n) {
			p.setInt(n, &a.SampleRate, 0, 384000, "a sample rate in Hz (0-384000)")
		}
	case "channels":
		if it.once(n) {
			p.setInt(n, &a.Channels, 0, 8, "a channel count (0-8)")
		}
	case "bitrate":
		if it.once(n) {
			p.setInt(n, &a.Bitrate, 0, 100000, "a bitrate in kbit/s (0-100000)")
		}
	default:
		p.unknown(n)
	}
}

// cleanSuffix drops the slashes users put around a path.
func cleanSuffix(s string) string { return strings.Trim(s, "/") }

func (p *parser) proxy(n *node) {
	if p.tooMany(n, len(p.c.Proxies)) || !p.container(n) {
		return
	}
	x := Proxy{at: n.at, Transfer: TransferTCP, OnDemand: true}
	it := p.newItem()
	for _, ch := range n.children {
		switch ch.name {
		case "suffix":
			if it.once(ch) {
				p.setString(ch, &x.Suffix)
				x.Suffix = cleanSuffix(x.Suffix)
			}
		case "url":
			if it.once(ch) {
				p.setString(ch, &x.URL)
			}
		case "user":
			if it.once(ch) {
				p.setString(ch, &x.User)
			}
		case "pass":
			if it.once(ch) {
				p.setString(ch, &x.Pass)
			}
		case "transfer":
			if it.once(ch) {
				p.setName(ch, &x.Transfer, proxyTransfers, "a transfer", transferNames)
			}
		case "ondemand":
			if it.once(ch) {
				p.setBool(ch, &x.OnDemand)
			}
		default:
			p.unknown(ch)
		}
	}
	p.c.Proxies = append(p.c.Proxies, x)
	p.c.present["proxy"] = true
}

func (p *parser) pusher(n *node) {
	if p.tooMany(n, len(p.c.Pushers)) || !p.container(n) {
		return
	}
	x := Pusher{at: n.at, Transfer: PusherTransfer{Mode: PushRTSP}}
	it := p.newItem()
	for _, ch := range n.children {
		switch ch.name {
		case "suffix":
			if it.once(ch) {
				p.setString(ch, &x.Suffix)
				x.Suffix = cleanSuffix(x.Suffix)
			}
		case "video":
			if it.once(ch) {
				p.video(ch, &x.Video, true)
			}
		case "audio":
			if it.once(ch) {
				p.audio(ch, &x.Audio)
			}
		case "transfer":
			if it.once(ch) {
				p.pusherTransfer(ch, &x.Transfer)
			}
		default:
			p.unknown(ch)
		}
	}
	p.c.Pushers = append(p.c.Pushers, x)
	p.c.present["pusher"] = true
}

func (p *parser) pusherTransfer(n *node, t *PusherTransfer) {
	if !p.container(n) {
		return
	}
	it := p.newItem()
	for _, ch := range n.children {
		switch ch.name {
		case "mode":
			if it.once(ch) {
				p.setName(ch, &t.Mode, pushModes, "a push mode", pushNames)
			}
		case "ip":
			if it.once(ch) {
				p.setString(ch, &t.IP)
			}
		case "vport":
			if it.once(ch) {
				p.setPort(ch, &t.VPort)
			}
		case "aport":
			if it.once(ch) {
				p.setPort(ch, &t.APort)
			}
		default:
			p.unknown(ch)
		}
	}
}

// backchannel reads <backchannel>: a switch, or a block with <enable> and
// the audio the back channel carries.
func (p *parser) backchannel(n *node) {
	if !p.once(n, "backchannel") {
		return
	}
	if len(n.children) == 0 {
		p.setBool(n, &p.c.Backchannel)
		return
	}
	if !p.container(n) {
		return
	}
	it := p.newItem()
	enableSeen := false
	for _, ch := range n.children {
		if ch.name == "enable" {
			if it.once(ch) {
				enableSeen = true
				p.setBool(ch, &p.c.Backchannel)
			}
			continue
		}
		p.audioField(it, ch, &p.c.BackchannelAudio)
	}
	if !enableSeen {
		// A block that describes the audio but has no switch means "on".
		p.c.Backchannel = true
	}
}

// finish fills the defaults that depend on other settings.
func (p *parser) finish() {
	c := p.c
	h := &c.HTTPNotify
	if !p.notifyEnable {
		h.Enable = h.OnConnect != "" || h.OnPlay != "" || h.OnPublish != "" || h.OnDone != ""
	}
	if c.Path == "" {
		return
	}
	dir := filepath.Dir(c.Path)
	for _, s := range []*string{&c.MediaDir, &c.RTSPS.Cert, &c.RTSPS.Key, &c.HTTPSCert, &c.HTTPSKey} {
		if *s != "" && !filepath.IsAbs(*s) {
			*s = filepath.Join(dir, *s)
		}
	}
	if c.MediaDir == "" {
		c.MediaDir = dir
	}
}
