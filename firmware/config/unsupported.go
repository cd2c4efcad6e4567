package config

import "strings"

// Feature names for Unsupported, one per capability a build may lack.
const (
	FeatureRTSPS         = "rtsps"
	FeatureMulticast     = "multicast"
	FeatureMetadata      = "metadata"
	FeatureRTSPOverHTTP  = "rtsp_over_http"
	FeatureRTSPOverHTTPS = "rtsp_over_https"
	FeatureIPv6          = "ipv6"
	FeatureAuth          = "auth"
	FeatureHTTPNotify    = "http_notify"
	FeatureUDPBasePort   = "udp_base_port"
	FeatureOutput        = "output"
	FeatureProxy         = "proxy"
	FeaturePusher        = "pusher"
	FeatureBackchannel   = "backchannel"
	FeatureMaxSessions   = "max_sessions"
)

// feature ties a feature name to the elements that ask for it and to the
// test of whether the file turned it on.
type feature struct {
	name     string
	elements []string // logical keys, as the file's elements are recorded
	on       func(c *Config) bool
}

// features is the table feature name → element names, in the order
// Unsupported reports them.
var features = []feature{
	{FeatureRTSPS, []string{"rtsps_enable", "rtsps_port", "rtsps_cert", "rtsps_key"},
		func(c *Config) bool { return c.RTSPS.Enable }},
	{FeatureMulticast, []string{"multicast"}, func(c *Config) bool { return c.Multicast }},
	{FeatureMetadata, []string{"metadata"}, func(c *Config) bool { return c.Metadata }},
	{FeatureRTSPOverHTTP, []string{"rtsp_over_http", "http_port"}, func(c *Config) bool { return c.RTSPOverHTTP }},
	{FeatureRTSPOverHTTPS, []string{"rtsp_over_https", "https_port", "https_cert", "https_key"},
		func(c *Config) bool { return c.RTSPOverHTTPS }},
	{FeatureIPv6, []string{"ipv6_enable"}, func(c *Config) bool { return c.IPv6 }},
	{FeatureAuth, []string{"need_auth", "user"}, func(c *Config) bool { return c.NeedAuth }},
	{FeatureHTTPNotify, []string{"http_notify/enable", "http_notify/on_connect", "http_notify/on_play",
		"http_notify/on_publish", "http_notify/on_done", "http_notify/notify_method", "http_notify/timeout"},
		func(c *Config) bool { return c.HTTPNotify.Enable }},
	{FeatureUDPBasePort, []string{"udp_base_port"}, func(c *Config) bool { return c.UDPBasePort != 0 }},
	{FeatureOutput, []string{"output"}, func(c *Config) bool { return len(c.Outputs) > 0 }},
	{FeatureProxy, []string{"proxy"}, func(c *Config) bool { return len(c.Proxies) > 0 }},
	{FeaturePusher, []string{"pusher"}, func(c *Config) bool { return len(c.Pushers) > 0 }},
	{FeatureBackchannel, []string{"backchannel"}, func(c *Config) bool { return c.Backchannel }},
	{FeatureMaxSessions, []string{"max_sessions"}, func(c *Config) bool { return c.MaxSessions > 0 }},
}

// Features returns the table of feature names and the elements that ask for
// each, for documentation and for callers building their supported set.
func Features() map[string][]string {
	m := make(map[string][]string, len(features))
	for _, f := range features {
		tags := make([]string, len(f.elements))
		for i, e := range f.elements {
			tags[i] = elementTag(e)
		}
		m[f.name] = tags
	}
	return m
}

// Unsupported lists the settings present and enabled in the file whose
// feature is not in supported, one line per feature, e.g.
// "multicast: <multicast>" or "rtsps: <rtsps_enable>, <rtsps_port>". The
// vendor's <rtsp_enable>/<rtsp_cert>/<rtsp_key> RTSPS group is reported
// under the rtsps_* names. A Config not read from a file reports nothing.
func (c *Config) Unsupported(supported map[string]bool) []string {
	var out []string
	for _, f := range features {
		if supported[f.name] || !f.on(c) {
			continue
		}
		var tags []string
		for _, e := range f.elements {
			if c.present[e] {
				tags = append(tags, elementTag(e))
			}
		}
		if len(tags) == 0 {
			continue // on by default, not by the file
		}
		out = append(out, f.name+": "+strings.Join(tags, ", "))
	}
	return out
}
