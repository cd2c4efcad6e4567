package message

import (
	"bytes"
	"fmt"
	"strconv"
)

// Response is an RTSP response, or an HTTP one (tunnel set-up).
type Response struct {
	StatusCode int
	// Reason is the reason phrase; "" marshals as StatusText(StatusCode).
	Reason string
	// Proto is "RTSP/1.0" or "HTTP/1.x"; "" marshals as "RTSP/1.0".
	Proto  string
	Header Header
	Body   []byte
}

func (r *Response) proto() string {
	if r.Proto == "" {
		return ProtoRTSP10
	}
	return r.Proto
}

func (r *Response) reason() string {
	if r.Reason == "" {
		return StatusText(r.StatusCode)
	}
	return r.Reason
}

// MarshalSize returns the encoded size of r.
func (r *Response) MarshalSize() int {
	return r.size(headerKeys(r.Header, r.Body))
}

func (r *Response) size(keys []string) int {
	return len(r.proto()) + 1 + 3 + 1 + len(r.reason()) + 2 + headersSize(r.Header, keys, r.Body)
}

// MarshalTo writes r to dst and returns the bytes written. Headers come in
// a stable order (CSeq first, then sorted); Content-Length is written from
// len(Body) when Body is not empty.
func (r *Response) MarshalTo(dst []byte) (int, error) {
	if r.StatusCode < 100 || r.StatusCode > 999 {
		return 0, fmt.Errorf("message: bad status code %d", r.StatusCode)
	}
	if !validWord(r.proto()) {
		return 0, fmt.Errorf("message: bad protocol %q", r.Proto)
	}
	if !validText(r.Reason) {
		return 0, fmt.Errorf("message: reason has a line break")
	}
	keys := headerKeys(r.Header, r.Body)
	if err := checkRoom(dst, r.size(keys)); err != nil {
		return 0, err
	}
	b := dst[:0]
	b = append(b, r.proto()...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(r.StatusCode), 10)
	b = append(b, ' ')
	b = append(b, r.reason()...)
	b = append(b, "\r\n"...)
	b, err := appendHeaders(b, r.Header, keys, r.Body)
	if err != nil {
		return 0, err
	}
	return len(b), nil
}

// Marshal returns r encoded.
func (r *Response) Marshal() ([]byte, error) {
	b := make([]byte, r.MarshalSize())
	n, err := r.MarshalTo(b)
	if err != nil {
		return nil, err
	}
	return b[:n], nil
}

// Unmarshal parses one response from b, with the Reader's rules and
// limits. Bytes after the response are ignored.
func (r *Response) Unmarshal(b []byte) error {
	rd := newReaderSize(bytes.NewReader(b), len(b))
	msg, err := rd.ReadMessage()
	if err != nil {
		return err
	}
	res, ok := msg.(*Response)
	if !ok {
		return &ParseError{Msg: fmt.Sprintf("not a response: %s", quote(firstLine(b)))}
	}
	*r = *res
	return nil
}
