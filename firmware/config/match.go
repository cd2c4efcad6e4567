package config

import (
	"path"
	"strings"
)

// MatchOutput picks the <output> node for a URL path (as in
// rtsp://host/<path>?<params>; a leading '/' and the query are ignored).
// Nodes are tried top to bottom and the first whose url matches wins:
//   - the same name, ignoring case ("test.mp4", "screenlive");
//   - "videodevice" or "audiodevice" also match the numbered forms
//     ("videodevice1") and combinations ("videodevice+audiodevice1");
//   - "screenlive" also matches "screenlive1" and "screenlive+audiodevice";
//   - "window" matches "window=<title>";
//   - a pattern with '*', '?' or '[' is a glob ("*.mp4") matched against
//     the whole path and against its last element.
//
// When none matches, the last node with an empty url is the default; nil
// when there is none.
func (c *Config) MatchOutput(urlPath string) *Output {
	p := urlPath
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	p = strings.ToLower(strings.Trim(p, "/"))
	var fallback *Output
	for i := range c.Outputs {
		o := &c.Outputs[i]
		pattern := strings.ToLower(strings.TrimSpace(o.URL))
		if pattern == "" {
			fallback = o
			continue
		}
		if outputMatches(pattern, p) {
			return o
		}
	}
	return fallback
}

func outputMatches(pattern, p string) bool {
	if pattern == p {
		return true
	}
	switch pattern {
	case "videodevice", "audiodevice", "screenlive":
		// "videodevice+audiodevice1": any '+'-joined part names the source.
		for _, part := range strings.Split(p, "+") {
			if numbered(part, pattern) {
				return true
			}
		}
		return false
	case "window":
		return strings.HasPrefix(p, "window=")
	}
	if strings.ContainsAny(pattern, "*?[") {
		if ok, err := path.Match(pattern, p); err == nil && ok {
			return true
		}
		if ok, err := path.Match(pattern, path.Base(p)); err == nil && ok {
			return true
		}
	}
	return false
}

// numbered reports whether s is word optionally followed by digits.
func numbered(s, word string) bool {
	rest, ok := strings.CutPrefix(s, word)
	if !ok {
		return false
	}
	for _, r := range rest {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
