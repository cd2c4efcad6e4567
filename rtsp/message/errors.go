package message

import (
	"errors"
	"strconv"
)

// Limits a Reader enforces on one message.
const (
	// MaxHeaderBytes bounds the start line plus all header lines.
	MaxHeaderBytes = 16 << 10
	// MaxBodyBytes bounds Content-Length.
	MaxBodyBytes = 1 << 20
)

// Errors for messages over the limits. The Reader returns them inside a
// *ParseError, so errors.Is and errors.As both work.
var (
	ErrHeaderTooLarge = errors.New("message: header too large")
	ErrBodyTooLarge   = errors.New("message: body too large")
)

// ParseError tells what is malformed in a message; a server answers it
// with 400 Bad Request (or 413 when Err is ErrBodyTooLarge).
type ParseError struct {
	// Msg says what is wrong, quoting (a bounded prefix of) the input.
	Msg string
	// Err is a sentinel such as ErrHeaderTooLarge, or nil.
	Err error
}

func (e *ParseError) Error() string {
	if e.Msg == "" && e.Err != nil {
		return e.Err.Error()
	}
	return "message: " + e.Msg
}

// Unwrap returns the sentinel error, if any.
func (e *ParseError) Unwrap() error { return e.Err }

// quote returns b quoted for an error message, cut to a readable length.
func quote(b []byte) string {
	const max = 64
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "…"
	}
	return strconv.Quote(string(b))
}
