package message

import (
	"bytes"
	"fmt"
)

// Request is an RTSP request, or an HTTP request that arrived on the RTSP
// port (RTSP-over-HTTP tunnels).
type Request struct {
	Method string
	// URL is the request-URI exactly as sent.
	URL string
	// Proto is "RTSP/1.0", or "HTTP/1.0" / "HTTP/1.1" for an HTTP request;
	// "" marshals as "RTSP/1.0".
	Proto  string
	Header Header
	Body   []byte
}

func (r *Request) proto() string {
	if r.Proto == "" {
		return ProtoRTSP10
	}
	return r.Proto
}

// MarshalSize returns the encoded size of r.
func (r *Request) MarshalSize() int {
	return r.size(headerKeys(r.Header, r.Body))
}

func (r *Request) size(keys []string) int {
	return len(r.Method) + 1 + len(r.URL) + 1 + len(r.proto()) + 2 + headersSize(r.Header, keys, r.Body)
}

// MarshalTo writes r to dst and returns the bytes written. Headers come in
// a stable order (CSeq first, then sorted); Content-Length is written from
// len(Body) when Body is not empty.
func (r *Request) MarshalTo(dst []byte) (int, error) {
	if !validToken(r.Method) {
		return 0, fmt.Errorf("message: bad method %q", r.Method)
	}
	if !validWord(r.URL) {
		return 0, fmt.Errorf("message: bad request URL %q", r.URL)
	}
	if !validWord(r.proto()) {
		return 0, fmt.Errorf("message: bad protocol %q", r.Proto)
	}
	keys := headerKeys(r.Header, r.Body)
	if err := checkRoom(dst, r.size(keys)); err != nil {
		return 0, err
	}
	b := dst[:0]
	b = append(b, r.Method...)
	b = append(b, ' ')
	b = append(b, r.URL...)
	b = append(b, ' ')
	b = append(b, r.proto()...)
	b = append(b, "\r\n"...)
	b, err := appendHeaders(b, r.Header, keys, r.Body)
	if err != nil {
		return 0, err
	}
	return len(b), nil
}

// Marshal returns r encoded.
func (r *Request) Marshal() ([]byte, error) {
	b := make([]byte, r.MarshalSize())
	n, err := r.MarshalTo(b)
	if err != nil {
		return nil, err
	}
	return b[:n], nil
}

// Unmarshal parses one request from b, with the Reader's rules and limits.
// Bytes after the request are ignored.
func (r *Request) Unmarshal(b []byte) error {
	rd := newReaderSize(bytes.NewReader(b), len(b))
	msg, err := rd.ReadMessage()
	if err != nil {
		return err
	}
	req, ok := msg.(*Request)
	if !ok {
		return &ParseError{Msg: fmt.Sprintf("not a request: %s", quote(firstLine(b)))}
	}
	*r = *req
	return nil
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}
