package rtsp

import (
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	cases := []struct {
		in    string
		path  string
		track int
		query string // encoded
	}{
		{"rtsp://cam:554/live", "live", -1, ""},
		{"rtsp://cam/live/", "live", -1, ""},
		{"rtsp://cam", "", -1, ""},
		{"rtsp://cam/", "", -1, ""},
		{"rtsp://cam/live/trackID=1", "live", 1, ""},
		{"rtsp://cam/livetrackID=1", "live", 1, ""},
		{"rtsp://cam/live/trackID=1/", "live", 1, ""},
		{"rtsp://cam/live/TRACKID=2", "live", 2, ""},
		{"rtsp://cam/live/streamid=3", "live", 3, ""},
		{"rtsp://cam/live/track=4", "live", 4, ""},
		{"/live/trackID=0", "live", 0, ""},
		{"live/trackID=0", "live", 0, ""},
		{"rtsp://cam/cam/live/trackID=0", "cam/live", 0, ""},
		{"rtsp://cam/live?res=low/trackID=0", "live", 0, "res=low"},
		{"rtsp://cam/live?res=low&trackID=2", "live", 2, "res=low"},
		{"rtsp://cam/live?res=low", "live", -1, "res=low"},
		{"rtsp://cam/live?res=low/", "live", -1, "res=low"},
		{"rtsp://cam/a%20b/trackID=0", "a b", 0, ""},
		{"rtsp://cam/live/trackID=64", "live/trackID=64", -1, ""},
		{"rtsp://cam/live/trackID=x", "live/trackID=x", -1, ""},
		{"rtsp://cam/live/trackID=-1", "live/trackID=-1", -1, ""},
		{"rtsp://user:pw@cam:8554/media/clip.mp4", "media/clip.mp4", -1, ""},
		{"rtsp://[::1]:8554/live/trackID=1", "live", 1, ""},
	}
	for _, c := range cases {
		got, err := parseTarget(c.in)
		if err != nil {
			t.Errorf("parseTarget(%q): %v", c.in, err)
			continue
		}
		if got.Path != c.path || got.Track != c.track || got.Query.Encode() != c.query {
			t.Errorf("parseTarget(%q) = path %q track %d query %q, want %q %d %q", c.in, got.Path, got.Track, got.Query.Encode(), c.path, c.track, c.query)
		}
	}
	if _, err := parseTarget("rtsp://cam/%zz"); err == nil {
		t.Error("parseTarget accepted a bad escape")
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{
		"rtsp://cam:554/live", "rtsp://cam/live/trackID=1", "rtsp://cam/livetrackID=1/",
		"/live/streamid=0", "rtsp://cam/live?res=low/trackID=0", "rtsp://cam/live?a=1&trackID=2",
		"rtsp://cam/%zz", "*", "", "rtsp://", "trackID=", "trackID=99999999999999999999",
		"rtsp://cam/a/b/c/?x=%41&y=/track=3", "rtsp://[::1]/live",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		// PLAY URLs go through stripControl for RTP-Info.
		if base := stripControl(raw); !strings.HasPrefix(raw, base) {
			t.Fatalf("stripControl(%q) = %q, not a prefix", raw, base)
		}
		got, err := parseTarget(raw)
		if err != nil {
			return
		}
		if got.Track < -1 || got.Track > 63 {
			t.Fatalf("parseTarget(%q): track %d out of -1..63", raw, got.Track)
		}
		if strings.HasPrefix(got.Path, "/") || strings.HasSuffix(got.Path, "/") {
			t.Fatalf("parseTarget(%q): path %q keeps a slash at an end", raw, got.Path)
		}
		if got.Query == nil {
			t.Fatalf("parseTarget(%q): nil query", raw)
		}
		if len(got.Path) > len(raw) {
			t.Fatalf("parseTarget(%q): path %q longer than the input", raw, got.Path)
		}
	})
}
