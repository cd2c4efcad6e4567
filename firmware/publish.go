package firmware

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"rtspcam/firmware/config"
	"rtspcam/rtsp"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/stream"
)

// DefaultPublishTimeout ends a publication whose publisher sent nothing
// for this long: its readers get RTCP BYE.
const DefaultPublishTimeout = rtsp.DefaultRecordTimeout

// ErrPathPublished refuses a second publisher on a path while the first
// is live.
var ErrPathPublished = &rtsp.StatusError{Code: 403, Reason: "Forbidden (path is already being published)"}

// PublishOptions tune live relay. Zero values take the defaults.
type PublishOptions struct {
	// GOPCacheBytes bounds the GOP kept for readers that join
	// (stream.DefaultGOPBytes when 0; negative turns the cache off).
	GOPCacheBytes int
	// ReadTimeout is the publisher silence that ends a publication
	// (DefaultPublishTimeout when 0).
	ReadTimeout time.Duration
}

// SetPublishOptions sets the relay options for publications that start
// from now on; call it before Start to set them for all. New and Reload
// set them from the configuration's <gop_cache> and <publish_timeout>.
func (a *App) SetPublishOptions(o PublishOptions) {
	a.pubsMu.Lock()
	a.pubOpts = o
	a.pubsMu.Unlock()
}

// publishOptions are the relay options cfg asks for.
func publishOptions(cfg *config.Config) PublishOptions {
	o := PublishOptions{GOPCacheBytes: cfg.GOPCache, ReadTimeout: cfg.PublishTimeout}
	if o.GOPCacheBytes == 0 {
		o.GOPCacheBytes = -1 // <gop_cache>0</gop_cache>: none
	}
	return o
}

// publication is a stream published into a path: an RTSP publisher's, or
// one fed by a pusher. It is the rtsp.Publication its source writes.
type publication struct {
	a       *App
	path    string
	remote  string
	formats []payload.Format
	st      *stream.Stream
	timeout time.Duration
	started time.Time

	last    atomic.Int64 // unix nanos of the last packet
	packets atomic.Uint64
	dropped atomic.Uint64
	timer   *time.Timer
	once    sync.Once
	ended   atomic.Bool
}

// Publish starts a publication on path (the URL path, without slashes at
// either end) with the given tracks, for the publisher at remote. Readers
// of path are served from it until it is closed or its publisher stays
// silent beyond the read timeout. A path that is being published is
// refused with ErrPathPublished. rtsp.Server calls it on ANNOUNCE; the
// <pusher> listeners call it directly.
func (a *App) Publish(path string, formats []payload.Format, remote string) (rtsp.Publication, error) {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil, &rtsp.StatusError{Code: 400, Reason: "Bad Request (empty path)"}
	}
	if len(formats) == 0 {
		return nil, &rtsp.StatusError{Code: 415, Reason: "Unsupported Media Type (no playable track)"}
	}
	a.pubsMu.Lock()
	defer a.pubsMu.Unlock()
	if old, ok := a.pubs[path]; ok {
		a.log.Warn("second publisher refused, path is live", "path", path, "publisher", remote, "live_publisher", old.remote)
		return nil, ErrPathPublished
	}
	gop := a.pubOpts.GOPCacheBytes
	if gop == 0 {
		gop = stream.DefaultGOPBytes
	}
	timeout := a.pubOpts.ReadTimeout
	if timeout <= 0 {
		timeout = DefaultPublishTimeout
	}
	p := &publication{
		a:       a,
		path:    path,
		remote:  remote,
		formats: formats,
		st:      stream.NewRelay(formats, gop),
		timeout: timeout,
		started: time.Now(),
	}
	p.last.Store(time.Now().UnixNano())
	if a.pubs == nil {
		a.pubs = map[string]*publication{}
	}
	a.pubs[path] = p
	p.timer = time.AfterFunc(timeout, p.watch)
	var codecs []string
	for _, f := range formats {
		codecs = append(codecs, f.MediaType()+" "+f.RTPMap())
	}
	a.log.Info("path published", "path", path, "publisher", remote, "codecs", strings.Join(codecs, ", "))
	return p, nil
}

// Announce accepts an RTSP publisher (rtsp.Publisher).
func (a *App) Announce(req *rtsp.Request, formats []payload.Format) (rtsp.Publication, error) {
	return a.Publish(req.Path, formats, req.RemoteAddr)
}

// watch ends a publication whose publisher went silent.
func (p *publication) watch() {
	idle := time.Since(time.Unix(0, p.last.Load()))
	if idle < p.timeout {
		p.timer.Reset(p.timeout - idle)
		return
	}
	p.a.log.Warn("publisher silent, ending the publication", "path", p.path, "publisher", p.remote, "silent_for", idle.Round(time.Millisecond))
	p.end("timeout")
}

func (p *publication) WriteRTP(track int, pkt []byte) error {
	p.last.Store(time.Now().UnixNano())
	p.packets.Add(1)
	err := p.st.WriteRTP(track, pkt)
	if err != nil && !errors.Is(err, stream.ErrClosed) {
		p.dropped.Add(1)
	}
	return err
}

// ReadTimeout is the publisher silence that ends the publication; the RTSP
// publishing session ends with it (rtsp.TimedPublication).
func (p *publication) ReadTimeout() time.Duration { return p.timeout }

func (p *publication) WriteRTCP(track int, pkt []byte) error {
	return p.st.WriteRTCP(track, pkt)
}

// Close ends the publication: readers get RTCP BYE, the path is free.
func (p *publication) Close() { p.end("publisher left") }

func (p *publication) end(why string) {
	p.once.Do(func() {
		p.ended.Store(true)
		p.timer.Stop()
		p.a.pubsMu.Lock()
		if p.a.pubs[p.path] == p {
			delete(p.a.pubs, p.path)
		}
		p.a.pubsMu.Unlock()
		readers := p.st.Readers()
		p.st.Close()
		s := p.st.Stats()
		p.a.log.Info("publication ended", "path", p.path, "publisher", p.remote, "why", why,
			"duration", time.Since(p.started).Round(time.Millisecond), "packets", p.packets.Load(),
			"dropped", p.dropped.Load(), "malformed", s.Malformed, "oversized", s.Oversized, "readers", readers)
	})
}

// published returns the live publication of path, or nil.
func (a *App) published(path string) *publication {
	a.pubsMu.Lock()
	defer a.pubsMu.Unlock()
	return a.pubs[path]
}

// closePublications ends every publication (shutdown).
func (a *App) closePublications() {
	a.pubsMu.Lock()
	ps := make([]*publication, 0, len(a.pubs))
	for _, p := range a.pubs {
		ps = append(ps, p)
	}
	a.pubsMu.Unlock()
	for _, p := range ps {
		p.end("server stopping")
	}
}

// Publications lists the paths being published, for status pages and tests.
func (a *App) Publications() []string {
	a.pubsMu.Lock()
	defer a.pubsMu.Unlock()
	out := make([]string, 0, len(a.pubs))
	for path := range a.pubs {
		out = append(out, path)
	}
	return out
}

// publishedMedia is one reader session's handle on a publication.
type publishedMedia struct {
	p       *publication
	playing *stream.Reader
	ssrc    []uint32
}

func (m *publishedMedia) Formats() []payload.Format { return m.p.st.Formats() }
func (m *publishedMedia) Duration() time.Duration   { return 0 }

func (m *publishedMedia) Play(r *stream.Reader, _ *time.Duration) (time.Duration, []stream.TrackState, error) {
	if m.playing != nil {
		m.p.st.RemoveReader(m.playing)
		m.playing = nil
	}
	if err := m.p.st.AddReader(r); err != nil {
		return 0, nil, &rtsp.StatusError{Code: 404, Reason: "Not Found (publication ended)"}
	}
	m.playing = r
	states := make([]stream.TrackState, len(m.p.formats))
	m.ssrc = m.ssrc[:0]
	for i := range states {
		states[i] = m.p.st.LiveState(i)
		m.ssrc = append(m.ssrc, states[i].SSRC)
	}
	return 0, states, nil
}

func (m *publishedMedia) Pause(*stream.Reader) (time.Duration, error) {
	if m.playing != nil {
		m.p.st.RemoveReader(m.playing)
		m.playing = nil
	}
	return 0, nil
}

func (m *publishedMedia) Close() { _, _ = m.Pause(nil) }

// Final: a publication that ended never comes back on this session (a
// returning publisher is a new publication), so its readers' sessions end.
func (m *publishedMedia) Final() bool { return true }

// Ended reports whether the publication ended, for sessions that were
// not playing when it did.
func (m *publishedMedia) Ended() bool { return m.p.ended.Load() }

// SSRC is the track's SSRC, for RTCP BYE.
func (m *publishedMedia) SSRC(track int) uint32 {
	if track < len(m.ssrc) {
		return m.ssrc[track]
	}
	return 0
}

func (p *publication) String() string { return fmt.Sprintf("publication %s from %s", p.path, p.remote) }

// Sessions is the number of live RTSP sessions, readers' and publishers',
// for status pages and tests.
func (a *App) Sessions() int { return a.server.Sessions() }
