package firmware

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"rtspcam/firmware/config"
	"rtspcam/hwenc"
)

// outputSpec is the video encoding a reader asks for: the matching
// <output> node, overridden field by field by the URL parameters the
// vendor documents (ve, w, h, fps, vb) or their aliases (vc and codec,
// width, height, framerate, bitrate). Zero fields keep the source's.
type outputSpec struct {
	Codec         hwenc.Codec
	Width, Height int
	FPS           float64
	Bitrate       int // kbit/s
}

// sourceVideo describes what a live source produces before transcoding.
type sourceVideo struct {
	Codec         hwenc.Codec
	Width, Height int
	FPS           float64
}

// hwencCodec maps the configuration's codec names to hwenc's.
var hwencCodec = map[string]hwenc.Codec{
	config.VideoH264:  hwenc.H264,
	config.VideoH265:  hwenc.H265,
	config.VideoMPEG4: hwenc.MPEG4,
	config.VideoJPEG:  hwenc.MJPEG,
}

// maxOutputSide bounds w= and h= (and the node's sizes).
const maxOutputSide = 4096

// param is the first of the names q has a value for: the vendor's name
// first, then the aliases cameras accepted (vc, codec, width, height,
// framerate, bitrate).
func param(q url.Values, names ...string) string {
	for _, n := range names {
		if v := q.Get(n); v != "" {
			return v
		}
	}
	return ""
}

// outputSpecFor merges the <output> node matching path with the URL
// parameters; a malformed parameter is an error naming it. It is the one
// reading of the output parameters for every source: test pattern,
// screens and windows, files and cameras.
func outputSpecFor(cfg *config.Config, path string, q url.Values) (outputSpec, error) {
	var s outputSpec
	if o := cfg.MatchOutput(path); o != nil {
		s.Codec = hwencCodec[o.Video.Codec]
		s.Width, s.Height = o.Video.Width, o.Video.Height
		s.FPS = o.Video.FrameRate
		s.Bitrate = o.Video.Bitrate
	}
	if v := param(q, "ve", "vc", "codec"); v != "" {
		name, ok := config.VideoCodec(v)
		if !ok {
			return s, fmt.Errorf("ve=%s: want H264, H265, JPEG or MP4", v)
		}
		s.Codec = hwencCodec[name]
	}
	for _, p := range []struct {
		keys []string
		dst  *int
		max  int
	}{
		{[]string{"w", "width"}, &s.Width, maxOutputSide},
		{[]string{"h", "height"}, &s.Height, maxOutputSide},
		{[]string{"vb", "bitrate"}, &s.Bitrate, 100000},
	} {
		v := param(q, p.keys...)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n <= 0 || n > p.max {
			return s, fmt.Errorf("%s=%s: want a whole number from 1 to %d", p.keys[0], v, p.max)
		}
		*p.dst = n
	}
	if v := param(q, "fps", "framerate"); v != "" {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || !(f > 0 && f <= 120) {
			return s, fmt.Errorf("fps=%s: want a number above 0, up to 120", v)
		}
		s.FPS = f
	}
	return s, nil
}

// target is the encoding that serves s from src: the source's own values
// where s leaves them open. Sizes are rounded down to even numbers (4:2:0);
// one side alone keeps the source's aspect ratio.
func (s outputSpec) target(src sourceVideo) hwenc.VideoParams {
	p := hwenc.VideoParams{Codec: s.Codec, Width: s.Width, Height: s.Height, FPS: s.FPS, Bitrate: s.Bitrate}
	if p.Codec == "" {
		p.Codec = src.Codec
	}
	switch {
	case p.Width == 0 && p.Height == 0:
		p.Width, p.Height = src.Width, src.Height
	case p.Width == 0:
		p.Width = src.Width * p.Height / src.Height
	case p.Height == 0:
		p.Height = src.Height * p.Width / src.Width
	}
	p.Width, p.Height = max(2, p.Width&^1), max(2, p.Height&^1)
	if p.FPS == 0 || p.FPS > src.FPS {
		p.FPS = src.FPS // frames are dropped, never made up
	}
	return p
}

// passThrough tells whether the source already is what s asks for. A
// bitrate can only be met by encoding, so asking for one transcodes.
func (s outputSpec) passThrough(src sourceVideo) bool {
	t := s.target(src)
	return t.Codec == src.Codec && t.Width == src.Width && t.Height == src.Height &&
		t.FPS == src.FPS && s.Bitrate == 0
}

// key names the transcoded stream, so readers asking for the same share it.
func transcodeKey(source string, p hwenc.VideoParams) string {
	return fmt.Sprintf("%s|%s|%dx%d|%g|%d", strings.ToLower(source), p.Codec, p.Width, p.Height, p.FPS, p.Bitrate)
}
