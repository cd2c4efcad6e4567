// Package camera is the live source of a V4L2 camera: it captures in the
// format negotiated for the output and sends native H.264 or MJPEG as the
// camera codes it, or raw frames through an encoder (a V4L2 mem2mem H.264
// encoder when the output wants H.264 and the board has one, else the
// pure-Go MJPEG encoder). The kernel's capture timestamps give the
// presentation times.
package camera

import (
	"context"
	"errors"
	"fmt"
	"image"
	"time"

	"golang.org/x/sys/unix"

	"rtspcam/drivers/v4l2"
	"rtspcam/hwenc"
	"rtspcam/hwenc/soft"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/h264"
	"rtspcam/rtsp/payload/mjpeg"
)

// Writer receives the access units; *stream.Stream is one. The au slices
// are valid only during the call.
type Writer interface {
	WriteAU(track int, pts time.Duration, au [][]byte, key bool) error
}

// FrameWriter is a Writer that takes the converted picture itself (a
// transcoder to a codec the camera path does not make): a raw camera
// hands it the picture instead of JPEG that would only be decoded again.
// The picture is valid only during the call.
type FrameWriter interface {
	Writer
	WriteFrame(track int, pts time.Duration, pic *image.YCbCr) error
}

// captureTimeWriter is a Writer that maps RTP time to when a frame was
// captured for RTCP sender reports; *stream.Stream is one.
type captureTimeWriter interface {
	WriteAUAt(track int, pts time.Duration, captured time.Time, au [][]byte, key bool) error
}

// maxCaptureAge bounds how old a capture timestamp may look before it is
// taken for a clock other than CLOCK_MONOTONIC (drivers that copy or do
// not set timestamps) and ignored.
const maxCaptureAge = time.Second

// EncoderFactory opens an H.264 encoder for raw frames of format f (the
// mem2mem hardware, else FFmpeg, through hwenc.Selector), or returns an
// error when there is none that fits.
type EncoderFactory func(f v4l2.Format) (hwenc.VideoEncoder, error)

// rawLayouts are the capture formats encoders take as they come, without
// a conversion in Go.
var rawLayouts = map[v4l2.PixelFormat]hwenc.PixelFormat{v4l2.PixNV12: hwenc.NV12, v4l2.PixYUYV: hwenc.YUYV, v4l2.PixYU12: hwenc.I420}

// Mode is how frames reach the stream.
type Mode int

const (
	PassH264    Mode = iota // the camera's own H.264
	PassMJPEG               // the camera's own JPEG frames
	EncodeH264              // raw frames through the H.264 encoder
	EncodeMJPEG             // raw frames through the pure-Go MJPEG encoder
)

func (m Mode) String() string {
	return [...]string{"H.264 from the camera", "MJPEG from the camera", "H.264 by an encoder", "MJPEG by the pure-Go encoder"}[m]
}

// Options tune a Source.
type Options struct {
	Request v4l2.Request
	Quality int            // JPEG quality for the pure-Go encoder (0: 75)
	H264    EncoderFactory // nil: no H.264 encoder in this build or on this board
}

// Source captures one camera. Run may be called again after it returns,
// but not concurrently.
type Source struct {
	sys     v4l2.System
	dev     v4l2.DeviceInfo
	opts    Options
	format  v4l2.Format
	mode    Mode
	formats []payload.Format
	note    string

	keyReq chan struct{}
}

// New negotiates the capture format of dev for o.Request and picks the
// path to the stream. Note says when the output got less than it asked
// (an H.264 request served as MJPEG).
func New(sys v4l2.System, dev v4l2.DeviceInfo, o Options) (*Source, error) {
	f, err := v4l2.Negotiate(dev.Formats, o.Request)
	if err != nil {
		return nil, fmt.Errorf("camera: %s: %w", dev.Name, err)
	}
	s := &Source{sys: sys, dev: dev, opts: o, format: f, keyReq: make(chan struct{}, 1)}
	switch {
	case f.Pixel == v4l2.PixH264:
		s.mode = PassH264
	case f.Pixel == v4l2.PixMJPEG || f.Pixel == v4l2.PixJPEG:
		s.mode = PassMJPEG
	case o.Request.Codec == v4l2.CodecH264 && o.H264 != nil:
		s.mode = EncodeH264
	default:
		s.mode = EncodeMJPEG
		if o.Request.Codec == v4l2.CodecH264 {
			s.note = "no H.264 encoder on this board: sending MJPEG"
		}
	}
	if o.Request.Codec == v4l2.CodecH264 && s.mode == PassMJPEG {
		s.note = "the camera offers no H.264 nor raw format: sending its MJPEG"
	}
	if s.mode == PassH264 || s.mode == EncodeH264 {
		s.formats = []payload.Format{&h264.Format{}}
	} else {
		s.formats = []payload.Format{&mjpeg.Format{}}
	}
	return s, nil
}

// Formats is one video track.
func (s *Source) Formats() []payload.Format { return s.formats }

// Format is the negotiated capture format (before the driver adjusts it).
func (s *Source) Format() v4l2.Format { return s.format }

// Mode says how frames reach the stream.
func (s *Source) Mode() Mode { return s.mode }

// Note is a remark for the log, or "".
func (s *Source) Note() string { return s.note }

// Device is the camera.
func (s *Source) Device() v4l2.DeviceInfo { return s.dev }

// RequestKeyFrame asks the encoder for a keyframe soon (a reader joined
// and waits for one). Native H.264 cameras keep their own GOP.
func (s *Source) RequestKeyFrame() {
	select {
	case s.keyReq <- struct{}{}:
	default:
	}
}

// pipeline is one run's state: buffers sized at start and reused.
type pipeline struct {
	s     *Source
	w     Writer
	at    captureTimeWriter // w, when it takes capture times
	f     v4l2.Format
	enc   hwenc.VideoEncoder
	raw   hwenc.Raw
	jpeg  *soft.MJPEGEncoder
	pic   *image.YCbCr // full capture size
	crop  *image.YCbCr // whole 8x8 blocks of pic (RFC 2435)
	out   []byte
	nalus [][]byte
	au    [1][]byte
	t0    time.Duration
	first bool
}

// Run captures and sends frames until ctx ends (it returns ctx.Err()), the
// device goes away (an error wrapping v4l2.ErrGone) or capture or w fails.
func (s *Source) Run(ctx context.Context, w Writer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c, err := s.sys.Open(s.dev, s.format)
	if err != nil {
		return fmt.Errorf("camera: %s: %w", s.dev.Name, err)
	}
	defer c.Close()
	p, err := s.newPipeline(c.Format(), w)
	if err != nil {
		return err
	}
	defer p.close()
	for {
		fr, err := c.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("camera: %s: %w", s.dev.Name, err)
		}
		if err := p.frame(fr); err != nil {
			return err
		}
	}
}

func (s *Source) newPipeline(f v4l2.Format, w Writer) (*pipeline, error) {
	p := &pipeline{s: s, w: w, f: f, first: true, nalus: make([][]byte, 0, v4l2.MaxNALUs)}
	p.at, _ = w.(captureTimeWriter)
	switch s.mode {
	case EncodeH264:
		enc, err := s.opts.H264(f)
		if err != nil {
			return nil, fmt.Errorf("camera: %s: H.264 encoder: %w", s.dev.Name, err)
		}
		p.enc = enc
		if _, ok := rawLayouts[f.Pixel]; !ok {
			p.pic = image.NewYCbCr(image.Rect(0, 0, f.Width, f.Height), image.YCbCrSubsampleRatio420)
		}
	case EncodeMJPEG:
		cw, ch := f.Width&^7, f.Height&^7
		if cw == 0 || ch == 0 || f.Width%2 != 0 || f.Height%2 != 0 {
			return nil, fmt.Errorf("camera: %s: size %dx%d cannot be sent as MJPEG", s.dev.Name, f.Width, f.Height)
		}
		enc, err := soft.NewMJPEGEncoder(cw, ch, s.opts.Quality)
		if err != nil {
			return nil, fmt.Errorf("camera: %s: %w", s.dev.Name, err)
		}
		p.jpeg = enc
		p.pic = image.NewYCbCr(image.Rect(0, 0, f.Width, f.Height), image.YCbCrSubsampleRatio420)
		p.crop = p.pic.SubImage(image.Rect(0, 0, cw, ch)).(*image.YCbCr)
		p.out = make([]byte, 0, cw*ch/4)
	}
	return p, nil
}

func (p *pipeline) close() {
	if p.enc != nil {
		p.enc.Close()
	}
}

// frame sends one captured frame. It allocates nothing in steady state.
func (p *pipeline) frame(fr v4l2.Frame) error {
	if p.first {
		p.t0, p.first = fr.Time, false
	}
	pts := fr.Time - p.t0
	if pts < 0 { // a driver that restarted its clock: start over
		p.t0, pts = fr.Time, 0
	}
	var err error
	switch p.s.mode {
	case PassMJPEG:
		p.au[0] = fr.Data
		err = p.write(pts, fr.Time, p.au[:], true)
	case PassH264:
		p.nalus = v4l2.SplitAnnexB(p.nalus[:0], fr.Data)
		if len(p.nalus) == 0 {
			return nil
		}
		err = p.write(pts, fr.Time, p.nalus, fr.Key || v4l2.HasIDR(p.nalus))
	case EncodeMJPEG:
		if cerr := v4l2.ToYCbCr(p.pic, p.f, fr.Data); cerr != nil {
			if errors.Is(cerr, v4l2.ErrShortFrame) {
				return nil // a damaged frame: skip it
			}
			return fmt.Errorf("camera: %s: %w", p.s.dev.Name, cerr)
		}
		if fw, ok := p.w.(FrameWriter); ok {
			err = fw.WriteFrame(0, pts, p.crop)
			break
		}
		if p.out, err = p.jpeg.Encode(p.out[:0], p.crop); err != nil {
			return fmt.Errorf("camera: %s: %w", p.s.dev.Name, err)
		}
		p.au[0] = p.out
		err = p.write(pts, fr.Time, p.au[:], true)
	case EncodeH264:
		force := false
		select {
		case <-p.s.keyReq:
			force = true
		default:
		}
		var img image.Image
		if l, ok := rawLayouts[p.f.Pixel]; ok {
			p.raw = hwenc.Raw{Format: l, Width: p.f.Width, Height: p.f.Height, Stride: p.f.Stride, Data: fr.Data}
			if p.raw.Stride == 0 {
				p.raw.Stride = p.f.Width
				if l == hwenc.YUYV {
					p.raw.Stride = 2 * p.f.Width
				}
			}
			img = &p.raw
		} else {
			if cerr := v4l2.ToYCbCr(p.pic, p.f, fr.Data); cerr != nil {
				if errors.Is(cerr, v4l2.ErrShortFrame) {
					return nil
				}
				return fmt.Errorf("camera: %s: %w", p.s.dev.Name, cerr)
			}
			img = p.pic
		}
		nalus, key, eerr := p.enc.Encode(img, pts, force)
		p.raw.Data = nil
		if eerr != nil {
			return fmt.Errorf("camera: %s: encode: %w", p.s.dev.Name, eerr)
		}
		if len(nalus) == 0 {
			return nil // the encoder fills its delay
		}
		err = p.write(pts, fr.Time, nalus, key || v4l2.HasIDR(nalus))
	}
	p.au[0] = nil
	if err != nil {
		return fmt.Errorf("camera: %s: write: %w", p.s.dev.Name, err)
	}
	return nil
}

// write hands one access unit on, with the wall-clock time of its capture
// (from the kernel's monotonic timestamp) when the writer takes it, so
// RTCP maps RTP time to when the picture was taken.
func (p *pipeline) write(pts, captured time.Duration, au [][]byte, key bool) error {
	if p.at == nil {
		return p.w.WriteAU(0, pts, au, key)
	}
	var at time.Time
	if age := monotonicNow() - captured; captured > 0 && age >= 0 && age < maxCaptureAge {
		at = time.Now().Add(-age)
	}
	return p.at.WriteAUAt(0, pts, at, au, key)
}

// monotonicNow is CLOCK_MONOTONIC, the clock of V4L2 timestamps.
func monotonicNow() time.Duration {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
