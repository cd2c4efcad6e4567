package firmware

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"rtspcam/firmware/source"
	"rtspcam/hwenc"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/h264"
	"rtspcam/rtsp/payload/h265"
	"rtspcam/rtsp/payload/mjpeg"
	"rtspcam/rtsp/payload/mpeg4v"
)

// transcoder is a source.Runner that re-encodes the video track of
// another runner: decode, drop frames down to the asked frame rate,
// encode through the encoder stack (which scales). Other tracks pass
// untouched. Its codecs live as long as it does, across Runs; close
// frees them.
type transcoder struct {
	inner   source.Runner
	track   int
	intra   bool // every source frame is a key frame: drop before decoding
	params  hwenc.VideoParams
	enc     hwenc.VideoEncoder
	dec     hwenc.VideoDecoder
	formats []payload.Format
	period  time.Duration

	// State of the current Run.
	w        source.Writer
	next     time.Duration // source PTS of the next frame to keep
	started  bool
	forceKey bool
	base     time.Duration // encoder PTS = base + source PTS, rising across Runs
	last     time.Duration
	bad      atomic.Uint64 // access units the decoder refused
	encName  string
	decName  string
}

// newTranscoder opens the decoder for src and the encoder for p, and
// describes the result for the SDP.
func newTranscoder(inner source.Runner, track int, sel *hwenc.Selector, src sourceVideo, p hwenc.VideoParams) (*transcoder, error) {
	enc, encName, err := sel.VideoEncoder(p)
	if err != nil {
		return nil, err
	}
	dec, decName, err := sel.VideoDecoder(src.Codec)
	if err != nil {
		enc.Close()
		return nil, err
	}
	t := &transcoder{
		inner: inner, track: track, params: p, enc: enc, dec: dec,
		intra:   src.Codec == hwenc.MJPEG,
		period:  time.Duration(float64(time.Second) / p.FPS),
		encName: encName, decName: decName,
	}
	vf, err := videoFormat(p.Codec, enc.Header())
	if err != nil {
		t.close()
		return nil, err
	}
	t.formats = append([]payload.Format(nil), inner.Formats()...)
	if track >= len(t.formats) {
		t.close()
		return nil, fmt.Errorf("transcode: source has no track %d", track)
	}
	t.formats[track] = vf
	return t, nil
}

// videoFormat is the RTP format of an encoder's output.
func videoFormat(c hwenc.Codec, header [][]byte) (payload.Format, error) {
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
	return nil, fmt.Errorf("transcode: no RTP format for %s", c)
}

// Formats are the inner runner's with the video track replaced.
func (t *transcoder) Formats() []payload.Format { return t.formats }

// Run runs the inner source with t in between; it starts on a key frame.
func (t *transcoder) Run(ctx context.Context, w source.Writer) error {
	t.w = w
	t.started = false
	t.forceKey = true
	if t.last > 0 {
		t.base = t.last + t.period
	}
	defer func() { t.w = nil }()
	return t.inner.Run(ctx, t)
}

// WriteAU receives the inner source's access units (source.Writer).
func (t *transcoder) WriteAU(track int, pts time.Duration, au [][]byte, key bool) error {
	if track != t.track {
		return t.w.WriteAU(track, pts, au, key)
	}
	if t.intra && t.started && pts < t.next {
		return nil // above the asked frame rate, and no later frame needs it
	}
	pic, err := t.dec.Decode(au)
	if err != nil {
		t.bad.Add(1) // a damaged frame costs that frame, not the stream
		return nil
	}
	if pic == nil {
		return nil
	}
	if !t.started {
		t.started, t.next = true, pts
	}
	if pts < t.next {
		return nil // decoded for the frames that refer to it, not sent
	}
	t.next += t.period
	if t.next <= pts {
		t.next = pts + t.period // far behind: do not burst
	}
	out, k, err := t.enc.Encode(pic, t.base+pts, t.forceKey)
	if err != nil {
		return fmt.Errorf("transcode: %w", err)
	}
	t.last = t.base + pts
	if len(out) == 0 {
		return nil
	}
	t.forceKey = false
	return t.w.WriteAU(track, pts, out, k)
}

// close frees the codecs; the Live running t must be closed first.
func (t *transcoder) close() {
	t.enc.Close()
	t.dec.Close()
}
