// Package rtsp is the RTSP 1.0 server (RFC 2326): connections, sessions,
// the state machine and the transports that carry RTP to each reader. It
// knows nothing of files or devices: the application resolves paths to
// Media through a Handler.
package rtsp

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"rtspcam/rtsp/payload"
	"rtspcam/rtsp/stream"
)

// Handler resolves request paths to media. It is called from many
// connections at once.
type Handler interface {
	// OpenMedia is called on DESCRIBE and on the first SETUP of a session.
	// The session owns what it returns and calls Close when it ends.
	OpenMedia(req *Request) (Media, error)
}

// Request tells the handler who asks for what.
type Request struct {
	Method     string
	Path       string     // URL path without the leading and trailing slash, decoded
	Query      url.Values // URL parameters
	RemoteAddr string
	User       string // authenticated user, "" when auth is off
}

// Media is one session's handle on a presentation: a live stream it shares
// with others or a private player of a file.
type Media interface {
	// Formats lists the tracks.
	Formats() []payload.Format
	// Duration is the length of on-demand media, 0 for live.
	Duration() time.Duration
	// Play starts or resumes delivery into r. from is the requested start
	// (nil resumes, or for live media means now). It returns the start
	// actually used and, per track, the RTP state for RTP-Info.
	Play(r *stream.Reader, from *time.Duration) (time.Duration, []stream.TrackState, error)
	// Pause stops delivery into r and returns the position reached.
	Pause(r *stream.Reader) (time.Duration, error)
	// Close releases the media; the reader is closed by the session.
	Close()
}

// Final is implemented by Media whose end is for good, such as a
// publication whose publisher left or stalled: when a reader of it ends,
// its session ends too (RTCP BYE, then the session is closed and its UDP
// ports released; a TCP connection stays open for other requests), rather
// than waiting for a PLAY that could not be served.
type Final interface {
	// Final reports whether the end of delivery ends the session.
	Final() bool
	// Ended reports whether the media has ended; the server polls it to
	// end sessions that hold no running reader (paused, or set up and
	// never played).
	Ended() bool
}

// StatusError carries an RTSP status code from a handler to the client.
type StatusError struct {
	Code   int
	Reason string
}

func (e *StatusError) Error() string { return fmt.Sprintf("rtsp %d: %s", e.Code, e.Reason) }

// Errors a Handler returns that map to statuses.
var (
	ErrNotFound = &StatusError{Code: 404, Reason: "Not Found"}
	// ErrServerClosed is returned by Serve after Shutdown or Close.
	ErrServerClosed = errors.New("rtsp: server closed")
)

// statusOf maps a handler error to an RTSP status.
func statusOf(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code
	}
	return 500
}
