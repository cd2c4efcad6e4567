package firmware

import (
	"net/url"
	"testing"

	"rtspcam/firmware/config"
	"rtspcam/hwenc"
)

// FuzzOutputSpec feeds URL queries to the output parameters: no panic,
// and whatever is accepted gives an encoding a backend could be asked for.
func FuzzOutputSpec(f *testing.F) {
	for _, s := range []string{
		"", "ve=h264&w=1920&h=1080&fps=30&vb=4000", "ve=h265&w=1280&h=720&fps=15&vb=1000&ae=opus",
		"ve=JPEG", "ve=mp4&h=241", "w=1", "fps=0.5", "fps=1e2", "vb=99999", "ve=%00", "w=4096&h=3",
		"t=unicast&p=udp&srtp=1", "fps=Inf", "w=+7",
	} {
		f.Add(s)
	}
	cfg := config.Default()
	cfg.Outputs = []config.Output{{URL: "*", Video: config.Video{Codec: config.VideoH264, FrameRate: 10}}}
	src := sourceVideo{Codec: hwenc.MJPEG, Width: 640, Height: 480, FPS: 25}
	f.Fuzz(func(t *testing.T, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		s, err := outputSpecFor(cfg, "testpattern", q)
		if err != nil {
			return
		}
		p := s.target(src)
		if err := p.Validate(); err != nil {
			t.Fatalf("%q accepted but gives %+v: %v", query, p, err)
		}
		if s.passThrough(src) && (p.Codec != src.Codec || p.Width != src.Width) {
			t.Fatalf("%q passes through but asks for %+v", query, p)
		}
	})
}
