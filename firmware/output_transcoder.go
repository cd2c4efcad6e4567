package firmware

import (
	"context"
	"fmt"
	"image"
	"sync/atomic"
	"time"

	"rtspcam/firmware/source"
	"rtspcam/hwenc"
	"rtspcam/rtsp/payload"
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
	dec     hwenc.VideoDecoder // opened on the first access unit to decode
	sel     *hwenc.Selector
	src     hwenc.Codec
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
	t := &transcoder{
		inner: inner, track: track, params: p, enc: enc, sel: sel, src: src.Codec,
		intra:   src.Codec == hwenc.MJPEG,
		period:  time.Duration(float64(time.Second) / p.FPS),
		encName: encName, decName: "none (raw pictures)",
	}
	if _, raw := inner.(rawRunner); !raw {
		// A source that hands over only access units: decode them.
		if t.dec, t.decName, err = sel.VideoDecoder(src.Codec); err != nil {
			enc.Close()
			return nil, err
		}
	}
	vf, err := source.VideoFormat(p.Codec, enc.Header())
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
	if t.dec == nil {
		dec, name, err := t.sel.VideoDecoder(t.src)
		if err != nil {
			return fmt.Errorf("transcode: %w", err)
		}
		t.dec, t.decName = dec, name
	}
	pic, err := t.dec.Decode(au)
	if err != nil {
		t.bad.Add(1) // a damaged frame costs that frame, not the stream
		return nil
	}
	if pic == nil {
		return nil
	}
	return t.encode(track, pts, pic)
}

// rawRunner is a source that hands its pictures to a FrameWriter instead
// of encoding them (the test pattern, screens, raw cameras).
type rawRunner interface{ raw() }

func (patternRunner) raw() {}
func (screenRunner) raw()  {}

// WriteFrame receives a raw picture from a source that would otherwise
// encode it (testpattern.FrameWriter, screen.FrameWriter): it goes
// straight to the encoder, with no lossy JPEG step and no decoding.
func (t *transcoder) WriteFrame(track int, pts time.Duration, pic *image.YCbCr) error {
	if track != t.track {
		return fmt.Errorf("transcode: a picture for track %d", track)
	}
	if t.started && pts < t.next {
		return nil // above the asked frame rate
	}
	return t.encode(track, pts, pic)
}

// encode puts pic on the output clock and encodes it.
func (t *transcoder) encode(track int, pts time.Duration, pic *image.YCbCr) error {
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
	if t.dec != nil {
		t.dec.Close()
	}
}
