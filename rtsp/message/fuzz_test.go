package message

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReader feeds any byte stream to a Reader, message after message: it
// must never panic, never return a body or payload over the limits, and
// every request it returns must marshal and parse back to itself.
func FuzzReader(f *testing.F) {
	for _, c := range requestCases {
		f.Add([]byte(c.in))
	}
	for _, c := range responseCases {
		f.Add([]byte(c.in))
	}
	f.Add([]byte(requestCases[0].in + "$\x00\x00\x02ab" + responseCases[1].in))
	f.Add([]byte("$\x01\xff\xff"))
	f.Add([]byte("\r\n\r\nGARBAGE\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(bytes.NewReader(in))
		for range 64 {
			m, err := r.ReadMessage()
			if err != nil {
				var pe *ParseError
				if err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.As(err, &pe) {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				return
			}
			switch m := m.(type) {
			case *Request:
				if len(m.Body) > MaxBodyBytes {
					t.Fatal("body over limit")
				}
				b, err := m.Marshal()
				if err != nil {
					// Parsed headers may hold bytes that cannot be
					// written back (a NUL); that is the writer refusing.
					continue
				}
				var again Request
				if err := again.Unmarshal(b); err != nil {
					t.Fatalf("re-parse of %q: %v", b, err)
				}
			case *Response:
				if len(m.Body) > MaxBodyBytes {
					t.Fatal("body over limit")
				}
			case *Interleaved:
				if len(m.Payload) > MaxInterleavedPayload {
					t.Fatal("payload over limit")
				}
			default:
				t.Fatalf("unexpected message %T", m)
			}
		}
	})
}

// FuzzResponseUnmarshal checks Response.Unmarshal never panics and that a
// parsed response marshals and parses again to the same status and body.
func FuzzResponseUnmarshal(f *testing.F) {
	for _, c := range responseCases {
		f.Add([]byte(c.in))
	}
	f.Add([]byte("RTSP/1.0 999\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 200 OK\nContent-Length: 3\n\nabc"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var r Response
		if err := r.Unmarshal(in); err != nil {
			return
		}
		if len(r.Body) > MaxBodyBytes || r.StatusCode < 100 || r.StatusCode > 999 {
			t.Fatalf("out of limits: %d, %d bytes", r.StatusCode, len(r.Body))
		}
		b, err := r.Marshal()
		if err != nil {
			return
		}
		var again Response
		if err := again.Unmarshal(b); err != nil {
			t.Fatalf("re-parse of %q: %v", b, err)
		}
		if again.StatusCode != r.StatusCode || !bytes.Equal(again.Body, r.Body) {
			t.Fatalf("round trip changed %+v into %+v", r, again)
		}
	})
}
