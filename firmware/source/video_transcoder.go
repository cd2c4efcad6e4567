package source

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"slices"
	"time"

	mch264 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	mch265 "github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"rtspcam/firmware/source/file"
	"rtspcam/hwenc"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/h264"
	"rtspcam/rtsp/payload/h265"
	"rtspcam/rtsp/payload/mjpeg"
	"rtspcam/rtsp/payload/mpeg4v"
)

// VideoInfo is what a video track carries: codec, size and frame rate
// (0 when the track does not say).
type VideoInfo struct {
	Codec         hwenc.Codec
	Width, Height int
	FPS           float64
}

// maxPending bounds the presentation times waiting for a decoded picture
// (the decoder's reordering delay; more means the decoder lost frames).
const maxPending = 32

// VideoTranscoder is a file.Demuxer whose first video track comes out
// re-encoded: decoded, scaled by the encoder to its size and put on the
// encoder's frame clock (frames dropped or repeated), encoded. The other
// tracks pass through. A seek opens a new decoder and starts the encoder
// on a key frame.
type VideoTranscoder struct {
	file.Demuxer
	track   int
	in      VideoInfo
	inFmt   payload.Format
	sel     *hwenc.Selector
	enc     hwenc.VideoEncoder
	dec     hwenc.VideoDecoder
	tracks  []payload.Format
	period  time.Duration
	EncName string // the backends chosen, for the log
	DecName string

	pending  []time.Duration // PTS of frames given to the decoder, not yet out
	pic      *image.YCbCr    // the picture being put on the output clock
	until    time.Duration   // … until this output time
	next     time.Duration   // output clock: PTS of the next frame out
	started  bool
	forceKey bool
	encPTS   time.Duration // rises across seeks, for the encoder
	au       [][]byte      // parameter sets + the sample's NAL units
	bad      int           // access units the decoder refused
}

// ProbeVideo reads the codec and size of d's first video track from its
// parameter sets (H.264, H.265) or its first picture (MJPEG; MPEG-4 is
// decoded through sel), and its frame rate from the spacing of the
// first samples. d is rewound. ok is false when d has no video.
func ProbeVideo(d file.Demuxer, sel *hwenc.Selector) (info VideoInfo, track int, ok bool, err error) {
	track = -1
	for i, f := range d.Tracks() {
		if f.MediaType() == payload.Video {
			track = i
			break
		}
	}
	if track < 0 {
		return info, -1, false, nil
	}
	f := d.Tracks()[track]
	switch f := f.(type) {
	case *h264.Format:
		info.Codec = hwenc.H264
		var sps mch264.SPS
		if err := sps.Unmarshal(f.SPS); err == nil {
			info.Width, info.Height, info.FPS = sps.Width(), sps.Height(), sps.FPS()
		}
	case *h265.Format:
		info.Codec = hwenc.H265
		var sps mch265.SPS
		if err := sps.Unmarshal(f.SPS); err == nil {
			info.Width, info.Height, info.FPS = sps.Width(), sps.Height(), sps.FPS()
		}
	case *mjpeg.Format:
		info.Codec = hwenc.MJPEG
	case *mpeg4v.Format:
		info.Codec = hwenc.MPEG4
	default:
		return info, track, true, fmt.Errorf("source: %w: video %s", hwenc.ErrUnsupported, f.RTPMap())
	}
	defer func() {
		if _, serr := d.Seek(0); serr != nil && err == nil {
			err = serr
		}
	}()
	var pts []time.Duration
	for len(pts) < 16 {
		s, err := d.ReadSample()
		if err != nil {
			break
		}
		if s.Track != track {
			continue
		}
		pts = append(pts, s.PTS)
		if info.Width != 0 {
			continue
		}
		switch info.Codec {
		case hwenc.MJPEG:
			if len(s.AU) == 1 {
				if c, err := jpeg.DecodeConfig(bytes.NewReader(s.AU[0])); err == nil {
					info.Width, info.Height = c.Width, c.Height
				}
			}
		default:
			if sel == nil {
				continue
			}
			dec, _, err := sel.VideoDecoder(info.Codec)
			if err != nil {
				return info, track, true, err
			}
			au := withParameterSets(nil, f, s.AU, s.Key)
			if pic, err := dec.Decode(au); err == nil && pic != nil {
				info.Width, info.Height = pic.Rect.Dx(), pic.Rect.Dy()
			}
			dec.Close()
		}
	}
	if info.FPS <= 0 && len(pts) > 2 {
		slices.Sort(pts)
		d := make([]time.Duration, 0, len(pts)-1)
		for i := 1; i < len(pts); i++ {
			if dt := pts[i] - pts[i-1]; dt > 0 {
				d = append(d, dt)
			}
		}
		if len(d) > 0 {
			slices.Sort(d)
			info.FPS = float64(time.Second) / float64(d[len(d)/2])
			info.FPS = float64(int(info.FPS*1000+0.5)) / 1000
		}
	}
	if info.Width == 0 || info.Height == 0 {
		return info, track, true, fmt.Errorf("source: cannot tell the size of the %s video", info.Codec)
	}
	return info, track, true, nil
}

// TranscodeVideo wraps d so its video track (track, described by in)
// comes out as p, through a decoder and an encoder from sel.
func TranscodeVideo(d file.Demuxer, track int, in VideoInfo, sel *hwenc.Selector, p hwenc.VideoParams) (*VideoTranscoder, error) {
	tracks := d.Tracks()
	if track < 0 || track >= len(tracks) {
		return nil, fmt.Errorf("source: transcode: no track %d", track)
	}
	enc, encName, err := sel.VideoEncoder(p)
	if err != nil {
		return nil, err
	}
	dec, decName, err := sel.VideoDecoder(in.Codec)
	if err != nil {
		enc.Close()
		return nil, err
	}
	vf, err := VideoFormat(p.Codec, enc.Header())
	if err != nil {
		enc.Close()
		dec.Close()
		return nil, err
	}
	t := &VideoTranscoder{
		Demuxer: d, track: track, in: in, inFmt: tracks[track], sel: sel, enc: enc, dec: dec,
		period:  time.Duration(float64(time.Second) / p.FPS),
		EncName: encName, DecName: decName, forceKey: true,
	}
	t.tracks = append([]payload.Format(nil), tracks...)
	t.tracks[track] = vf
	return t, nil
}

// VideoFormat is the RTP format of an encoder's output, its parameter
// sets (header) out of band.
func VideoFormat(c hwenc.Codec, header [][]byte) (payload.Format, error) {
	switch c {
	case hwenc.H264:
		f := &h264.Format{}
		for _, n := range header {
			switch {
			case len(n) > 0 && n[0]&0x1f == 7:
				f.SPS = n
			case len(n) > 0 && n[0]&0x1f == 8:
				f.PPS = n
			}
		}
		return f, nil
	case hwenc.H265:
		f := &h265.Format{}
		for _, n := range header {
			if len(n) < 2 {
				continue
			}
			switch n[0] >> 1 & 0x3f {
			case 32:
				f.VPS = n
			case 33:
				f.SPS = n
			case 34:
				f.PPS = n
			}
		}
		return f, nil
	case hwenc.MPEG4:
		f := &mpeg4v.Format{ProfileLevelID: 1}
		if len(header) > 0 {
			f.Config = header[0]
			// visual_object_sequence_start_code, then the profile and level.
			if h := header[0]; len(h) > 4 && h[0] == 0 && h[1] == 0 && h[2] == 1 && h[3] == 0xb0 {
				f.ProfileLevelID = int(h[4])
			}
		}
		return f, nil
	case hwenc.MJPEG:
		return &mjpeg.Format{}, nil
	}
	return nil, fmt.Errorf("source: no RTP format for %s", c)
}

// withParameterSets is au with the format's out-of-band parameter sets in
// front when it is a key frame that lacks them (MP4 keeps them in the
// sample entry), so a decoder can start on it.
func withParameterSets(dst [][]byte, f payload.Format, au [][]byte, key bool) [][]byte {
	dst = dst[:0]
	if key {
		switch f := f.(type) {
		case *h264.Format:
			has := false
			for _, n := range au {
				has = has || (len(n) > 0 && n[0]&0x1f == 7)
			}
			if !has && len(f.SPS) > 0 && len(f.PPS) > 0 {
				dst = append(dst, f.SPS, f.PPS)
			}
		case *h265.Format:
			has := false
			for _, n := range au {
				has = has || (len(n) > 1 && n[0]>>1&0x3f == 33)
			}
			if !has && len(f.SPS) > 0 && len(f.PPS) > 0 {
				if len(f.VPS) > 0 {
					dst = append(dst, f.VPS)
				}
				dst = append(dst, f.SPS, f.PPS)
			}
		case *mpeg4v.Format:
			if len(f.Config) > 0 && len(au) > 0 && !bytes.HasPrefix(au[0], f.Config) {
				dst = append(dst, f.Config)
			}
		}
	}
	return append(dst, au...)
}

// Tracks has the video track's new format.
func (t *VideoTranscoder) Tracks() []payload.Format { return t.tracks }

// Params is what the encoder makes.
func (t *VideoTranscoder) Params() hwenc.VideoParams { return t.enc.Params() }

// ReadSample returns the next sample, the video track's re-encoded. A
// picture is encoded once per output frame time it covers: none when the
// output rate is lower (dropped), several when higher (repeated).
func (t *VideoTranscoder) ReadSample() (file.Sample, error) {
	for {
		if t.pic != nil {
			if t.next < t.until {
				at := t.next
				t.next += t.period
				out, key, err := t.enc.Encode(t.pic, t.encPTS, t.forceKey)
				if err != nil {
					return file.Sample{}, fmt.Errorf("source: transcode: %w", err)
				}
				t.encPTS += t.period
				if len(out) == 0 {
					continue
				}
				t.forceKey = false
				return file.Sample{Track: t.track, PTS: at, DTS: at, Key: key, AU: out}, nil
			}
			t.pic = nil
		}
		s, err := t.Demuxer.ReadSample()
		if err != nil || s.Track != t.track {
			return s, err
		}
		t.au = withParameterSets(t.au, t.inFmt, s.AU, s.Key)
		if len(t.pending) == maxPending {
			t.pending = t.pending[:copy(t.pending, t.pending[1:])] // frames the decoder swallowed
		}
		i, _ := slices.BinarySearch(t.pending, s.PTS)
		t.pending = slices.Insert(t.pending, i, s.PTS)
		pic, err := t.dec.Decode(t.au)
		if err != nil {
			t.bad++ // a damaged frame costs that frame, not the stream
			continue
		}
		if pic == nil {
			continue
		}
		pts := t.pending[0]
		t.pending = t.pending[:copy(t.pending, t.pending[1:])]
		if !t.started || t.next < pts-4*t.period {
			t.started, t.next = true, pts // the first picture, or a gap in the file: no repeats to fill it
		}
		// The picture is shown from pts until the next one: every output
		// frame time in that span gets it (none: dropped; several:
		// repeated).
		t.pic, t.until = pic, pts+t.srcPeriod()
	}
}

// srcPeriod is the file's frame period (one output period when unknown).
func (t *VideoTranscoder) srcPeriod() time.Duration {
	if t.in.FPS > 0 {
		return time.Duration(float64(time.Second) / t.in.FPS)
	}
	return t.period
}

// Seek restarts decoding at the new position with a fresh decoder (no
// picture of before the seek may leak out) and has the encoder start on a
// key frame.
func (t *VideoTranscoder) Seek(at time.Duration) (time.Duration, error) {
	pos, err := t.Demuxer.Seek(at)
	if err != nil {
		return pos, err
	}
	dec, _, derr := t.sel.VideoDecoder(t.in.Codec)
	if derr != nil {
		return pos, derr
	}
	t.dec.Close()
	t.dec = dec
	t.pending = t.pending[:0]
	t.pic, t.started, t.forceKey = nil, false, true
	return pos, nil
}

// Close frees the codecs and the file.
func (t *VideoTranscoder) Close() error {
	t.enc.Close()
	t.dec.Close()
	return t.Demuxer.Close()
}

// Bad is the number of access units the decoder refused.
func (t *VideoTranscoder) Bad() int { return t.bad }
