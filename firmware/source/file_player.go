package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"rtspcam/firmware/source/file"
	"rtspcam/rtsp"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/stream"
)

// FilePlayer is one session's private playback of a media file: its own
// stream, its own position, so PAUSE and seeks touch nobody else. Samples
// are paced in real time from the file's timestamps, measured from one
// start instant so there is no drift; loops keep RTP timestamps and
// sequence numbers running on.
type FilePlayer struct {
	name   string
	loops  int // plays of the file: -1 forever, otherwise at least 1
	logger *slog.Logger
	dmx    file.Demuxer
	st     *stream.Stream
	dur    time.Duration

	mu      sync.Mutex
	reader  *stream.Reader
	cancel  context.CancelFunc
	done    chan struct{}
	pending *file.Sample  // read but not yet sent when paused
	pendBuf file.Sample   // storage for pending
	offset  time.Duration // timeline offset of the current loop
	played  int           // loops completed
	pos     time.Duration // media position of the last sample sent
}

// OpenFile opens path for one session. loops is loop_nums: how many times
// the file plays (-1 forever; 0 counts as once).
func OpenFile(name, path string, loops int, logger *slog.Logger) (*FilePlayer, error) {
	return OpenFileWith(name, path, loops, logger, nil)
}

// OpenFileWith is OpenFile with the demuxer passed through wrap first (a
// transcoder, say); wrap may be nil.
func OpenFileWith(name, path string, loops int, logger *slog.Logger, wrap func(file.Demuxer) (file.Demuxer, error)) (*FilePlayer, error) {
	dmx, err := file.Open(path)
	if err != nil {
		return nil, err
	}
	if wrap != nil {
		w, err := wrap(dmx)
		if err != nil {
			dmx.Close()
			return nil, err
		}
		dmx = w
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if loops == 0 {
		loops = 1
	}
	return &FilePlayer{
		name:   name,
		loops:  loops,
		logger: logger,
		dmx:    dmx,
		st:     stream.New(dmx.Tracks()),
		dur:    dmx.Duration(),
	}, nil
}

func (p *FilePlayer) Formats() []payload.Format { return p.dmx.Tracks() }
func (p *FilePlayer) Duration() time.Duration {
	if p.dur <= 0 {
		return time.Millisecond
	}
	return p.dur
}

// SSRC is the track's SSRC, for RTCP BYE.
func (p *FilePlayer) SSRC(track int) uint32 { return p.st.State(track, 0).SSRC }

// Play starts at from (the keyframe at or before it), or resumes.
func (p *FilePlayer) Play(r *stream.Reader, from *time.Duration) (time.Duration, []stream.TrackState, error) {
	p.stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reader != r {
		if p.reader != nil {
			p.st.RemoveReader(p.reader)
		}
		if err := p.st.AddReader(r); err != nil {
			return 0, nil, err
		}
		p.reader = r
	}
	start := p.pos
	if from != nil || p.pending == nil {
		t := time.Duration(0)
		if from != nil {
			t = *from
		}
		if t < 0 || (p.dur > 0 && t > p.dur) {
			return 0, nil, &rtsp.StatusError{Code: 457, Reason: "Invalid Range"}
		}
		got, err := p.dmx.Seek(t)
		if err != nil {
			return 0, nil, &rtsp.StatusError{Code: 500, Reason: "seek failed"}
		}
		p.pending = nil
		start = got
	} else {
		start = p.pending.PTS
	}
	formats := p.dmx.Tracks()
	states := make([]stream.TrackState, len(formats))
	for i := range formats {
		states[i] = p.st.State(i, p.offset+start)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.done = make(chan struct{})
	go p.run(ctx, p.done)
	return start, states, nil
}

// Pause stops sending and remembers where.
func (p *FilePlayer) Pause(r *stream.Reader) (time.Duration, error) {
	p.stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pending != nil {
		return p.pending.PTS, nil
	}
	return p.pos, nil
}

func (p *FilePlayer) stop() {
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.cancel = nil
	p.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// Close ends playback and closes the file.
func (p *FilePlayer) Close() {
	p.stop()
	p.st.Close()
	p.dmx.Close()
}

// run sends samples on time until the file (and its loops) end or ctx is
// cancelled.
func (p *FilePlayer) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var wallStart time.Time
	var mediaStart time.Duration
	started := false
	for {
		p.mu.Lock()
		var s file.Sample
		if p.pending != nil {
			s = *p.pending
			p.pending = nil
		} else {
			var err error
			s, err = p.dmx.ReadSample()
			if errors.Is(err, io.EOF) {
				p.played++
				if p.loops >= 0 && p.played >= p.loops {
					p.mu.Unlock()
					p.logger.Debug("file ended", "path", p.name)
					p.endReader()
					return
				}
				p.offset += p.Duration()
				if _, err := p.dmx.Seek(0); err != nil {
					p.mu.Unlock()
					p.logger.Warn("file loop failed", "path", p.name, "err", err)
					p.endReader()
					return
				}
				p.mu.Unlock()
				continue
			}
			if err != nil {
				p.mu.Unlock()
				p.logger.Warn("file read failed", "path", p.name, "err", err)
				p.endReader()
				return
			}
		}
		at := p.offset + s.DTS
		if !started {
			wallStart, mediaStart, started = time.Now(), at, true
		}
		p.mu.Unlock()

		if wait := time.Until(wallStart.Add(at - mediaStart)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				p.keepPending(s)
				return
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			p.keepPending(s)
			return
		}
		if err := p.st.WriteAU(s.Track, p.offset+s.PTS, s.AU, s.Key); err != nil && !errors.Is(err, stream.ErrClosed) {
			p.logger.Debug("sample dropped", "path", p.name, "err", err)
		}
		p.mu.Lock()
		p.pos = s.PTS
		p.mu.Unlock()
	}
}

// keepPending holds a sample read but not sent, for the next Play. Its
// slices stay valid: nothing reads the demuxer until then.
func (p *FilePlayer) keepPending(s file.Sample) {
	p.mu.Lock()
	p.pendBuf = s
	p.pending = &p.pendBuf
	p.mu.Unlock()
}

// endReader ends the session's reader at the end of the file: the session
// sends what is queued, then says RTCP BYE.
func (p *FilePlayer) endReader() {
	p.mu.Lock()
	r := p.reader
	p.reader = nil
	p.mu.Unlock()
	if r != nil {
		p.st.RemoveReader(r)
		r.End()
	}
}

// String is for logs.
func (p *FilePlayer) String() string { return fmt.Sprintf("file %s", p.name) }
