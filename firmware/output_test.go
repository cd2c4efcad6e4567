package firmware

import (
	"net/url"
	"testing"

	"rtspcam/firmware/config"
	"rtspcam/hwenc"
)

func TestOutputSpec(t *testing.T) {
	cfg := config.Default()
	cfg.Outputs = []config.Output{
		{URL: "screenlive", Video: config.Video{Codec: config.VideoH265, Width: 1280, Height: 720, FrameRate: 15, Bitrate: 1500}},
		{URL: "", Video: config.Video{Codec: config.VideoH264}},
	}
	src := sourceVideo{Codec: hwenc.MJPEG, Width: 640, Height: 480, FPS: 25}
	for _, c := range []struct {
		path, query string
		want        hwenc.VideoParams
		pass        bool
	}{
		// The default node asks for H.264 at the source's size and rate.
		{"testpattern", "", hwenc.VideoParams{Codec: hwenc.H264, Width: 640, Height: 480, FPS: 25}, false},
		// URL parameters win over the node, one by one.
		{"testpattern", "ve=jpeg", hwenc.VideoParams{Codec: hwenc.MJPEG, Width: 640, Height: 480, FPS: 25}, true},
		{"testpattern", "ve=MJPEG&fps=50", hwenc.VideoParams{Codec: hwenc.MJPEG, Width: 640, Height: 480, FPS: 25}, true},
		{"testpattern", "ve=h265&w=320", hwenc.VideoParams{Codec: hwenc.H265, Width: 320, Height: 240, FPS: 25}, false},
		{"testpattern", "ve=mp4&h=241&fps=10&vb=300", hwenc.VideoParams{Codec: hwenc.MPEG4, Width: 320, Height: 240, FPS: 10, Bitrate: 300}, false},
		{"testpattern", "ve=jpeg&vb=500", hwenc.VideoParams{Codec: hwenc.MJPEG, Width: 640, Height: 480, FPS: 25, Bitrate: 500}, false},
		{"screenlive1", "", hwenc.VideoParams{Codec: hwenc.H265, Width: 1280, Height: 720, FPS: 15, Bitrate: 1500}, false},
		{"screenlive1", "w=800&h=600&vb=900", hwenc.VideoParams{Codec: hwenc.H265, Width: 800, Height: 600, FPS: 15, Bitrate: 900}, false},
	} {
		q, _ := url.ParseQuery(c.query)
		s, err := outputSpecFor(cfg, c.path, q)
		if err != nil {
			t.Fatalf("%s?%s: %v", c.path, c.query, err)
		}
		if got := s.target(src); got != c.want {
			t.Errorf("%s?%s: %+v, want %+v", c.path, c.query, got, c.want)
		}
		if got := s.passThrough(src); got != c.pass {
			t.Errorf("%s?%s: pass through %v, want %v", c.path, c.query, got, c.pass)
		}
	}
	for _, bad := range []string{"ve=vp8", "w=0", "w=-4", "h=99999", "fps=0", "fps=abc", "vb=1.5", "fps=NaN"} {
		q, _ := url.ParseQuery(bad)
		if _, err := outputSpecFor(cfg, "testpattern", q); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	// No node and no parameters: the source as it is.
	s, err := outputSpecFor(config.Default(), "testpattern", url.Values{})
	if err != nil || !s.passThrough(src) {
		t.Fatalf("no node: %+v %v, want pass through", s, err)
	}
}
