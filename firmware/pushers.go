package firmware

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"rtspcam/firmware/config"
	"rtspcam/firmware/pusher"
	"rtspcam/rtsp"
	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/stream"
)

// pusherRetry is how long a pusher whose path is taken (an RTSP publisher
// is on it) waits before trying to publish again.
const pusherRetry = time.Second

// pusherRelay publishes a raw-RTP pusher's path while packets come: the
// first packet starts a publication, a publication that ended (the pusher
// fell silent beyond the read timeout) is started again by the next one.
type pusherRelay struct {
	a       *App
	path    string
	formats []payload.Format
	remote  string

	mu      sync.Mutex
	pub     rtsp.Publication
	retryAt time.Time
}

// errPathTaken drops packets while another publisher holds the path.
var errPathTaken = errors.New("pusher: path is published by another publisher")

func (r *pusherRelay) WriteRTP(track int, pkt []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for range 2 {
		if r.pub == nil {
			now := time.Now()
			if now.Before(r.retryAt) {
				return errPathTaken
			}
			p, err := r.a.Publish(r.path, r.formats, r.remote)
			if err != nil {
				r.retryAt = now.Add(pusherRetry)
				return fmt.Errorf("%w: %w", errPathTaken, err)
			}
			r.pub = p
		}
		err := r.pub.WriteRTP(track, pkt)
		if !errors.Is(err, stream.ErrClosed) {
			return err
		}
		r.pub = nil // ended by silence: publish afresh
	}
	return stream.ErrClosed
}

func (r *pusherRelay) close() {
	r.mu.Lock()
	p := r.pub
	r.pub = nil
	r.retryAt = time.Now().Add(time.Hour)
	r.mu.Unlock()
	if p != nil {
		p.Close()
	}
}

// runningPusher is a started <pusher> node.
type runningPusher struct {
	l     *pusher.Listener
	relay *pusherRelay
}

// startPushers binds the TCP and UDP <pusher> nodes; RTSP ones need
// nothing: any path takes RTSP publishing. A node that cannot start (its
// port is taken) is logged and left out, as other optional listeners are:
// the camera stays on RTSP.
func (a *App) startPushers(cfg *config.Config) {
	for _, p := range cfg.Pushers {
		if err := a.startPusher(cfg, p); err != nil {
			a.log.Error("pusher disabled", "path", p.Suffix, "err", err)
		}
	}
}

// startPusher starts one TCP or UDP node.
func (a *App) startPusher(cfg *config.Config, p config.Pusher) error {
	if p.Transfer.Mode != config.PushUDP && p.Transfer.Mode != config.PushTCP {
		return nil
	}
	tracks, err := pusher.TracksOf(p)
	if err != nil {
		return err
	}
	relay := &pusherRelay{a: a, path: p.Suffix, formats: tracks.Formats,
		remote: fmt.Sprintf("%s pusher :%d/:%d", p.Transfer.Mode, p.Transfer.VPort, p.Transfer.APort)}
	opts := pusher.OptionsOf(p, tracks)
	if opts.IP == "" {
		opts.IP = cfg.ServerIP
	}
	l, err := pusher.Listen(opts, relay)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.pushers = append(a.pushers, runningPusher{l: l, relay: relay})
	a.mu.Unlock()
	var addrs []any
	if v := l.VideoAddr(); v != nil {
		addrs = append(addrs, "video", v.String())
	}
	if au := l.AudioAddr(); au != nil {
		addrs = append(addrs, "audio", au.String())
	}
	a.log.Info("pusher listening", append([]any{"path", p.Suffix, "mode", p.Transfer.Mode}, addrs...)...)
	return nil
}

// closePushers stops the pusher listeners and their publications.
func (a *App) closePushers() {
	a.mu.Lock()
	ps := a.pushers
	a.pushers = nil
	a.mu.Unlock()
	for _, p := range ps {
		p.l.Close()
		p.relay.close()
		s := p.l.Stats()
		a.log.Info("pusher stopped", "path", p.relay.path, "packets", s.Packets, "bytes", s.Bytes,
			"framing_errors", s.Drops.Framing, "short", s.Drops.Short, "oversized", s.Drops.Oversized,
			"malformed", s.Drops.Malformed, "refused", s.Drops.Refused)
	}
}

// PusherStats returns the counters of the pusher serving path.
func (a *App) PusherStats(path string) (pusher.Stats, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range a.pushers {
		if p.relay.path == path {
			return p.l.Stats(), true
		}
	}
	return pusher.Stats{}, false
}
