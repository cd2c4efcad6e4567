package message

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// readBufferSize is the bufio size: large enough for a typical request in
// one read, small enough for thousands of idle connections.
const readBufferSize = 4096

// bodyChunk bounds how much body memory is reserved before the bytes have
// actually arrived, so a false Content-Length cannot reserve a megabyte.
const bodyChunk = 64 << 10

// Reader reads messages from one connection. It is not safe for concurrent
// use.
type Reader struct {
	br    *bufio.Reader
	line  []byte
	frame Interleaved
	buf   []byte
}

// NewReader returns a Reader buffering r.
func NewReader(r io.Reader) *Reader {
	return newReaderSize(r, readBufferSize)
}

func newReaderSize(r io.Reader, size int) *Reader {
	size = max(16, min(size, readBufferSize))
	return &Reader{br: bufio.NewReaderSize(r, size)}
}

// ReadMessage reads the next message and returns a *Request, *Response or
// *Interleaved. Blank lines between messages are skipped.
//
// The *Interleaved and its Payload are owned by the Reader and valid only
// until the next call; reading interleaved frames allocates nothing once
// the payload buffer has grown to the largest frame.
//
// For messages whose protocol is HTTP (an RTSP-over-HTTP tunnel) the body
// is not read, whatever Content-Length says: a tunnel's body is a stream
// that the caller goes on reading with Read.
//
// io.EOF means the peer closed between messages. Malformed input returns a
// *ParseError; a message over the limits returns one wrapping
// ErrHeaderTooLarge or ErrBodyTooLarge.
func (r *Reader) ReadMessage() (any, error) {
	used := 0
	for {
		c, err := r.br.Peek(1)
		if err != nil {
			return nil, err
		}
		if c[0] != '\r' && c[0] != '\n' {
			if c[0] == '$' {
				return r.readInterleaved()
			}
			break
		}
		_, _ = r.br.Discard(1)
		used++
		if used > MaxHeaderBytes {
			return nil, &ParseError{Msg: "too many blank lines", Err: ErrHeaderTooLarge}
		}
	}

	line, err := r.readLine(&used)
	if err != nil {
		return nil, err
	}
	first := fields(line)
	if len(first) > 0 && isProto(first[0]) {
		return r.readResponse(line, &used)
	}
	return r.readRequest(line, &used)
}

// Read reads the bytes after the last message, buffered ones first: the
// body stream of an HTTP tunnel.
func (r *Reader) Read(p []byte) (int, error) {
	return r.br.Read(p)
}

// Buffered returns how many bytes are already read from the connection
// but not yet consumed.
func (r *Reader) Buffered() int {
	return r.br.Buffered()
}

func (r *Reader) readInterleaved() (*Interleaved, error) {
	h, err := r.br.Peek(interleavedHeaderSize)
	if err != nil {
		return nil, unexpected(err)
	}
	ch := h[1]
	n := int(binary.BigEndian.Uint16(h[2:]))
	_, _ = r.br.Discard(interleavedHeaderSize)
	if cap(r.buf) < n {
		r.buf = make([]byte, n, max(n, 2048))
	}
	r.buf = r.buf[:n]
	if _, err := io.ReadFull(r.br, r.buf); err != nil {
		return nil, unexpected(err)
	}
	r.frame.Channel = ch
	r.frame.Payload = r.buf
	return &r.frame, nil
}

func (r *Reader) readRequest(line []byte, used *int) (*Request, error) {
	f := fields(line)
	if len(f) != 3 || !isProto(f[2]) || !validToken(string(f[0])) {
		return nil, &ParseError{Msg: "bad request line " + quote(line)}
	}
	req := &Request{
		Method: string(f[0]),
		URL:    string(f[1]),
		Proto:  strings.ToUpper(string(f[2])),
	}
	h, err := r.readHeader(used)
	if err != nil {
		return nil, err
	}
	req.Header = h
	if !strings.HasPrefix(req.Proto, "HTTP/") {
		if req.Body, err = r.readBody(h); err != nil {
			return nil, err
		}
	}
	return req, nil
}

func (r *Reader) readResponse(line []byte, used *int) (*Response, error) {
	f := fields(line)
	if len(f) < 2 || len(f[1]) != 3 {
		return nil, &ParseError{Msg: "bad status line " + quote(line)}
	}
	code := 0
	for _, c := range f[1] {
		if c < '0' || c > '9' {
			return nil, &ParseError{Msg: "bad status line " + quote(line)}
		}
		code = code*10 + int(c-'0')
	}
	if code < 100 {
		return nil, &ParseError{Msg: "bad status line " + quote(line)}
	}
	res := &Response{
		StatusCode: code,
		Proto:      strings.ToUpper(string(f[0])),
	}
	if len(f) == 3 {
		// fields keeps the spaces inside the reason phrase.
		res.Reason = string(f[2])
	}
	h, err := r.readHeader(used)
	if err != nil {
		return nil, err
	}
	res.Header = h
	if !strings.HasPrefix(res.Proto, "HTTP/") {
		if res.Body, err = r.readBody(h); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// readHeader reads header lines up to the blank line.
func (r *Reader) readHeader(used *int) (Header, error) {
	h := Header{}
	last := ""
	for {
		line, err := r.readLine(used)
		if err != nil {
			return nil, unexpected(err)
		}
		if len(line) == 0 {
			return h, nil
		}
		if line[0] == ' ' || line[0] == '\t' {
			// Folded continuation of the previous header (RFC 2616 §2.2).
			v := bytes.TrimSpace(line)
			if last == "" {
				return nil, &ParseError{Msg: "continuation line before any header " + quote(line)}
			}
			if len(v) > 0 {
				vals := h[last]
				if vals[len(vals)-1] == "" {
					vals[len(vals)-1] = string(v)
				} else {
					vals[len(vals)-1] += " " + string(v)
				}
			}
			continue
		}
		i := bytes.IndexByte(line, ':')
		if i < 0 {
			return nil, &ParseError{Msg: "bad header line " + quote(line)}
		}
		name := bytes.TrimSpace(line[:i])
		if !validToken(string(name)) {
			return nil, &ParseError{Msg: "bad header name " + quote(name)}
		}
		last = CanonicalKey(string(name))
		h[last] = append(h[last], string(bytes.TrimSpace(line[i+1:])))
	}
}

func (r *Reader) readBody(h Header) ([]byte, error) {
	vals := h["Content-Length"]
	if len(vals) == 0 {
		return nil, nil
	}
	for _, v := range vals[1:] {
		if v != vals[0] {
			return nil, &ParseError{Msg: "conflicting Content-Length values"}
		}
	}
	v := vals[0]
	if v == "" || len(v) > 12 {
		if len(v) > 12 && strings.Trim(v, "0123456789") == "" {
			return nil, &ParseError{Msg: "Content-Length " + quote([]byte(v)), Err: ErrBodyTooLarge}
		}
		return nil, &ParseError{Msg: "bad Content-Length " + quote([]byte(v))}
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return nil, &ParseError{Msg: "bad Content-Length " + quote([]byte(v))}
	}
	if n > MaxBodyBytes {
		return nil, &ParseError{Msg: fmt.Sprintf("Content-Length %d over %d", n, MaxBodyBytes), Err: ErrBodyTooLarge}
	}
	if n == 0 {
		return nil, nil
	}
	body := make([]byte, 0, min(int(n), bodyChunk))
	for len(body) < int(n) {
		want := min(int(n)-len(body), bodyChunk)
		body = slices.Grow(body, want)
		k, err := io.ReadFull(r.br, body[len(body):len(body)+want])
		body = body[:len(body)+k]
		if err != nil {
			return nil, unexpected(err)
		}
	}
	return body, nil
}

// readLine returns the next line without its "\r\n" or "\n", counting its
// bytes against MaxHeaderBytes. The slice is valid until the next call.
func (r *Reader) readLine(used *int) ([]byte, error) {
	r.line = r.line[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		*used += len(chunk)
		if *used > MaxHeaderBytes {
			return nil, &ParseError{Msg: fmt.Sprintf("header over %d bytes", MaxHeaderBytes), Err: ErrHeaderTooLarge}
		}
		r.line = append(r.line, chunk...)
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return nil, unexpected(err)
	}
	l := r.line[:len(r.line)-1]
	if n := len(l); n > 0 && l[n-1] == '\r' {
		l = l[:n-1]
	}
	return l, nil
}

// fields splits a start line on runs of spaces and tabs, into at most 3
// fields (the last one keeps its inner spaces).
func fields(line []byte) [][]byte {
	var out [][]byte
	line = bytes.TrimSpace(line)
	for len(line) > 0 && len(out) < 2 {
		i := bytes.IndexAny(line, " \t")
		if i < 0 {
			break
		}
		out = append(out, line[:i])
		line = bytes.TrimLeft(line[i:], " \t")
	}
	if len(line) > 0 {
		out = append(out, line)
	}
	return out
}

// isProto reports whether w is "RTSP/x.y" or "HTTP/x.y" (any case).
func isProto(w []byte) bool {
	if len(w) < 6 || w[4] != '/' {
		return false
	}
	p := w[:4]
	if !bytes.EqualFold(p, []byte("RTSP")) && !bytes.EqualFold(p, []byte("HTTP")) {
		return false
	}
	for _, c := range w[5:] {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

// unexpected turns an EOF inside a message into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if err == io.EOF {
		return fmt.Errorf("message: %w", io.ErrUnexpectedEOF)
	}
	return err
}
