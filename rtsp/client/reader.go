// Package client is a minimal RTSP 1.0 client that plays a URL over TCP
// interleaved transport and counts what arrives: packets, bytes and RTP
// sequence gaps per track. It exists for load tests and benchmarks, so its
// read loop allocates nothing per packet.
package client

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	psdp "github.com/pion/sdp/v3"

	"rtspcam/rtsp/headers"
	"rtspcam/rtsp/message"
)

// ReadBufferSize is the per-connection read buffer: large enough to hold
// the biggest interleaved frame (4+65535 bytes) so a frame is counted in
// place, without copying it out.
const ReadBufferSize = 128 << 10

// DefaultTimeout bounds each request/response exchange and each read.
const DefaultTimeout = 10 * time.Second

// Reader is one RTSP session playing a URL over TCP interleaved transport.
// It is not safe for concurrent use, except that ctx cancellation of Run
// may come from anywhere.
type Reader struct {
	// Timeout bounds each exchange and each read; DefaultTimeout when 0.
	Timeout time.Duration

	url     string
	conn    net.Conn
	br      *bufio.Reader
	msgs    *message.Reader
	cseq    int
	session string
	// keepalive is how often Run sends OPTIONS to keep the session alive.
	keepalive time.Duration
	stats     Stats
	// channels maps an RTP channel number to its track index + 1.
	channels [256]uint8
	wbuf     []byte
}

// Dial connects to the server of rawURL; Play then sets up and starts
// every track.
func Dial(ctx context.Context, rawURL string) (*Reader, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	if u.Scheme != "rtsp" {
		return nil, fmt.Errorf("client: scheme %q is not rtsp", u.Scheme)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "554")
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	br := bufio.NewReaderSize(conn, ReadBufferSize)
	return &Reader{
		url:       rawURL,
		conn:      conn,
		br:        br,
		msgs:      message.NewReader(br), // shares br: it is already large enough
		keepalive: 30 * time.Second,
		wbuf:      make([]byte, 0, 1024),
	}, nil
}

func (r *Reader) timeout() time.Duration {
	if r.Timeout > 0 {
		return r.Timeout
	}
	return DefaultTimeout
}

// Close closes the connection.
func (r *Reader) Close() error { return r.conn.Close() }

// Stats returns what has been counted so far. The slice is the Reader's.
func (r *Reader) Stats() *Stats { return &r.stats }

// do sends one request and reads its response, skipping interleaved frames
// that arrive in between.
func (r *Reader) do(method, u string, h message.Header) (*message.Response, error) {
	if h == nil {
		h = message.Header{}
	}
	r.cseq++
	h.Set("CSeq", strconv.Itoa(r.cseq))
	h.Set("User-Agent", "rtspcam-load")
	if r.session != "" {
		h.Set("Session", r.session)
	}
	if err := r.send(&message.Request{Method: method, URL: u, Header: h}); err != nil {
		return nil, fmt.Errorf("client: %s: %w", method, err)
	}
	_ = r.conn.SetReadDeadline(time.Now().Add(r.timeout()))
	for {
		m, err := r.msgs.ReadMessage()
		if err != nil {
			return nil, fmt.Errorf("client: %s: %w", method, err)
		}
		res, ok := m.(*message.Response)
		if !ok {
			continue
		}
		if res.Header.Get("CSeq") != strconv.Itoa(r.cseq) {
			continue
		}
		if res.StatusCode != 200 {
			return nil, fmt.Errorf("client: %s %s: %d %s", method, u, res.StatusCode, res.Reason)
		}
		return res, nil
	}
}

func (r *Reader) send(req *message.Request) error {
	n := req.MarshalSize()
	if cap(r.wbuf) < n {
		r.wbuf = make([]byte, n)
	}
	n, err := req.MarshalTo(r.wbuf[:n])
	if err != nil {
		return err
	}
	_ = r.conn.SetWriteDeadline(time.Now().Add(r.timeout()))
	_, err = r.conn.Write(r.wbuf[:n])
	return err
}

// Play runs OPTIONS, DESCRIBE, a SETUP per media section (up to MaxTracks)
// and PLAY.
func (r *Reader) Play() error {
	if _, err := r.do("OPTIONS", r.url, nil); err != nil {
		return err
	}
	res, err := r.do("DESCRIBE", r.url, message.Header{"Accept": {"application/sdp"}})
	if err != nil {
		return err
	}
	base := r.url
	if cb := res.Header.Get("Content-Base"); cb != "" {
		base = cb
	}
	controls, err := trackControls(res.Body, base)
	if err != nil {
		return err
	}
	for i, c := range controls {
		tr := "RTP/AVP/TCP;unicast;interleaved=" + strconv.Itoa(2*i) + "-" + strconv.Itoa(2*i+1)
		res, err := r.do("SETUP", c, message.Header{"Transport": {tr}})
		if err != nil {
			return err
		}
		if r.session == "" {
			s, err := headers.ParseSession(res.Header.Get("Session"))
			if err != nil {
				return fmt.Errorf("client: SETUP: %w", err)
			}
			r.session = s.ID
			if s.Timeout > 2 {
				r.keepalive = time.Duration(s.Timeout) * time.Second / 2
			}
		}
		ch := 2 * i
		if ts, err := headers.ParseTransports(res.Header.Get("Transport")); err == nil && len(ts) > 0 && ts[0].Interleaved != nil {
			ch = ts[0].Interleaved[0]
		}
		if ch < 0 || ch > 255 {
			return fmt.Errorf("client: SETUP: interleaved channel %d", ch)
		}
		r.channels[ch] = uint8(i + 1)
		r.stats.Tracks = append(r.stats.Tracks, TrackStats{Control: c})
	}
	playURL := base
	if _, err := r.do("PLAY", strings.TrimSuffix(playURL, "/"), nil); err != nil {
		return err
	}
	return nil
}

// trackControls returns the absolute control URL of each media section.
func trackControls(body []byte, base string) ([]string, error) {
	var sd psdp.SessionDescription
	if err := sd.Unmarshal(body); err != nil {
		return nil, fmt.Errorf("client: DESCRIBE: %w", err)
	}
	if len(sd.MediaDescriptions) == 0 {
		return nil, errors.New("client: DESCRIBE: no media")
	}
	var out []string
	for i, md := range sd.MediaDescriptions {
		if i == MaxTracks {
			break
		}
		c, _ := md.Attribute("control")
		out = append(out, resolveControl(base, strings.TrimSpace(c)))
	}
	return out, nil
}

func resolveControl(base, c string) string {
	switch {
	case c == "" || c == "*":
		return base
	case strings.HasPrefix(strings.ToLower(c), "rtsp://"):
		return c
	case strings.HasSuffix(base, "/"):
		return base + c
	default:
		return base + "/" + c
	}
}

// Run counts interleaved frames until ctx is done (a nil error) or the
// connection fails. It sends OPTIONS to keep the session alive, and
// TEARDOWN when ctx ends. Once the buffers have grown, it allocates
// nothing per packet.
func (r *Reader) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { _ = r.conn.SetReadDeadline(time.Now()) })
	defer stop()
	err := r.loop(ctx)
	if ctx.Err() != nil {
		// The deadline we set ended the loop: leave politely.
		if r.session != "" {
			r.cseq++
			_ = r.send(&message.Request{Method: "TEARDOWN", URL: r.url, Header: message.Header{
				"CSeq": {strconv.Itoa(r.cseq)}, "Session": {r.session},
			}})
		}
		return nil
	}
	return err
}

func (r *Reader) loop(ctx context.Context) error {
	next := time.Now().Add(r.keepalive)
	deadline := time.Now().Add(r.timeout())
	_ = r.conn.SetReadDeadline(deadline)
	var frames uint
	for {
		frames++
		if frames&127 == 0 {
			// Checking the clock every 128 frames keeps the read
			// deadline and the keep-alive cheap.
			now := time.Now()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			_ = r.conn.SetReadDeadline(now.Add(r.timeout()))
			if now.After(next) {
				next = now.Add(r.keepalive)
				r.cseq++
				if err := r.send(&message.Request{Method: "OPTIONS", URL: r.url, Header: message.Header{
					"CSeq": {strconv.Itoa(r.cseq)}, "Session": {r.session},
				}}); err != nil {
					return fmt.Errorf("client: keep-alive: %w", err)
				}
			}
		}
		h, err := r.br.Peek(4)
		if err != nil {
			return fmt.Errorf("client: read: %w", err)
		}
		if h[0] != '$' {
			// A response (to a keep-alive) or a server request.
			if _, err := r.msgs.ReadMessage(); err != nil {
				return fmt.Errorf("client: read: %w", err)
			}
			continue
		}
		ch := h[1]
		n := int(binary.BigEndian.Uint16(h[2:]))
		p, err := r.br.Peek(4 + n)
		if err != nil {
			return fmt.Errorf("client: read: %w", err)
		}
		r.frame(ch, p[4:])
		if _, err := r.br.Discard(4 + n); err != nil {
			return fmt.Errorf("client: read: %w", err)
		}
	}
}

// frame counts one interleaved frame.
func (r *Reader) frame(ch byte, p []byte) {
	t := r.channels[ch]
	if t == 0 {
		if ch&1 == 1 && r.channels[ch-1] != 0 {
			r.stats.RTCP++
		} else {
			r.stats.Unknown++
		}
		return
	}
	if len(p) < 12 || p[0]>>6 != 2 {
		r.stats.Unknown++
		return
	}
	r.stats.Tracks[t-1].count(binary.BigEndian.Uint16(p[2:]), binary.BigEndian.Uint32(p[4:]), binary.BigEndian.Uint32(p[8:]), len(p))
}
