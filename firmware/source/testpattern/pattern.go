// Package testpattern is the built-in default stream: a live source that
// needs no camera and no C library. Video is SMPTE-like colour bars
// scrolling left a few pixels per frame above a band showing the wall
// clock (HH:MM:SS.f) and the frame number, encoded as MJPEG by the pure-Go
// encoder; audio is a 1 kHz tone as G.711 µ-law, 8000 Hz mono, in 20 ms
// access units.
package testpattern

import (
	"context"
	"fmt"
	"image"
	"sync/atomic"
	"time"

	"rtspcam/hwenc/soft"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/payload/g711"
	"rtspcam/rtsp/payload/mjpeg"
)

// Track numbers of the pattern's media, as Formats orders them.
const (
	VideoTrack = 0
	AudioTrack = 1
)

// Writer receives the pattern's access units. The au slices are valid only
// during the call and must not be modified; WriteAU must not keep them.
type Writer interface {
	WriteAU(track int, pts time.Duration, au [][]byte, key bool) error
}

// FrameWriter is a Writer that takes the painted picture itself instead
// of its JPEG (a transcoder, which would only decode the JPEG again): Run
// hands the video to WriteFrame when its writer has it, and encodes JPEG
// only for writers that want the pattern's own MJPEG. The picture is
// valid only during the call.
type FrameWriter interface {
	Writer
	WriteFrame(track int, pts time.Duration, pic *image.YCbCr) error
}

// Options configures a Pattern. Zero numeric fields take the defaults
// (640x480, 25 fps, quality 75); Audio adds the tone track. DefaultOptions
// returns all defaults with audio on.
type Options struct {
	Width, Height, FPS, Quality int
	Audio                       bool
}

// DefaultOptions is 640x480 at 25 fps, JPEG quality 75, with audio.
func DefaultOptions() Options {
	return Options{Width: 640, Height: 480, FPS: 25, Quality: 75, Audio: true}
}

// lateLimit is how many frame periods the video may fall behind (a slow
// board, a stalled writer) before the pattern skips frames to catch up
// with the clock instead of sending a burst.
const lateLimit = 4

// Pattern generates the test stream. Run may be called again after it
// returns, but not concurrently.
type Pattern struct {
	width, height, fps int
	audio              bool
	paint              *painter
	enc                *soft.MJPEGEncoder
	jpeg               []byte    // reused encode buffer
	videoAU, audioAU   [1][]byte // the AU lists handed to the writer
	now                func() time.Time
	skipped            atomic.Uint64
}

// New validates o (even sizes up to 2040 for RFC 2435, fps 1–60, quality
// 1–100) and prepares the buffers.
func New(o Options) (*Pattern, error) {
	d := DefaultOptions()
	if o.Width == 0 {
		o.Width = d.Width
	}
	if o.Height == 0 {
		o.Height = d.Height
	}
	if o.FPS == 0 {
		o.FPS = d.FPS
	}
	if o.Quality == 0 {
		o.Quality = d.Quality
	}
	if o.Width < 0 || o.Height < 0 || o.Width%2 != 0 || o.Height%2 != 0 ||
		o.Width > soft.MaxJPEGSide || o.Height > soft.MaxJPEGSide {
		return nil, fmt.Errorf("testpattern: size %dx%d: want even sizes up to %d", o.Width, o.Height, soft.MaxJPEGSide)
	}
	if o.FPS < 1 || o.FPS > 60 {
		return nil, fmt.Errorf("testpattern: %d fps: want 1–60", o.FPS)
	}
	enc, err := soft.NewMJPEGEncoder(o.Width, o.Height, o.Quality)
	if err != nil {
		return nil, fmt.Errorf("testpattern: %w", err)
	}
	p := &Pattern{
		width: o.Width, height: o.Height, fps: o.FPS, audio: o.Audio,
		paint: newPainter(o.Width, o.Height),
		enc:   enc,
		jpeg:  make([]byte, 0, o.Width*o.Height/4),
		now:   time.Now,
	}
	if o.Audio {
		p.audioAU[0] = toneAU()
	}
	return p, nil
}

// Formats are the RTP formats of the tracks: MJPEG as track 0 and, with
// audio, PCMU 8000 Hz mono as track 1.
func (p *Pattern) Formats() []payload.Format {
	f := []payload.Format{&mjpeg.Format{}}
	if p.audio {
		f = append(f, &g711.Format{MuLaw: true})
	}
	return f
}

// Skipped is the number of video frames left out so far because the
// pattern fell more than a few frames behind the clock.
func (p *Pattern) Skipped() uint64 { return p.skipped.Load() }

// framePTS is the presentation time of frame n, computed from n so that
// rounding never accumulates.
func (p *Pattern) framePTS(n int64) time.Duration {
	return time.Duration(n) * time.Second / time.Duration(p.fps)
}

// Run sends the stream to w in real time until ctx is cancelled (it then
// returns ctx.Err()) or w fails (it returns that error). Each access unit
// is due at a fixed offset from the start on the monotonic clock, so the
// pace does not drift however long it runs; PTS count from the start of
// Run: frame n at n/FPS s, audio unit m at m*20 ms. Every video frame is
// a key frame. Run uses the calling goroutine only.
func (p *Pattern) Run(ctx context.Context, w Writer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	start := time.Now()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	period := p.framePTS(1)
	var frame, unit int64 // next video frame, next audio unit
	for {
		vdue := p.framePTS(frame)
		adue := time.Duration(unit) * ToneAUPeriod
		audioNext := p.audio && adue <= vdue
		due := vdue
		if audioNext {
			due = adue
		}
		if wait := due - time.Since(start); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-timer.C:
			}
		} else if err := ctx.Err(); err != nil {
			return err
		}

		if audioNext {
			if err := w.WriteAU(AudioTrack, adue, p.audioAU[:], true); err != nil {
				return fmt.Errorf("testpattern: audio: %w", err)
			}
			unit++
			continue
		}

		img := p.paint.paint(frame, p.now())
		var err error
		if fw, ok := w.(FrameWriter); ok {
			err = fw.WriteFrame(VideoTrack, vdue, img)
		} else {
			p.jpeg, err = p.enc.Encode(p.jpeg[:0], img)
			if err != nil {
				return fmt.Errorf("testpattern: %w", err)
			}
			p.videoAU[0] = p.jpeg
			err = w.WriteAU(VideoTrack, vdue, p.videoAU[:], true)
			p.videoAU[0] = nil
		}
		if err != nil {
			return fmt.Errorf("testpattern: video: %w", err)
		}
		frame++
		// Far behind: jump to the frame due now rather than bursting.
		if late := time.Since(start) - p.framePTS(frame); late > lateLimit*period {
			skip := int64(late / period)
			frame += skip
			p.skipped.Add(uint64(skip))
		}
	}
}
