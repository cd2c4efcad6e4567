package rtsp

import (
	"bufio"
	"io"
	"net"
)

// An RTSP connection runs on any byte stream that is a net.Conn: a TCP
// socket, a TLS connection, the GET/POST pair of an HTTP tunnel or a
// WebSocket. This file holds what lets the same serverConn work on all of
// them: a connection whose first bytes were already read to tell RTSP from
// HTTP, and the choice of how interleaved media is written to each.

// peekedConn is a connection whose first bytes sit in br: reads drain br
// first and then go straight to the connection.
type peekedConn struct {
	net.Conn
	br *bufio.Reader
}

func (p *peekedConn) Read(b []byte) (int, error) {
	if p.br != nil && p.br.Buffered() > 0 {
		return p.br.Read(b)
	}
	return p.Conn.Read(b)
}

// rawWriter is implemented by connections that can name the socket their
// writes go to, so that batches reach it with one writev.
type rawWriter interface {
	rawWriter() net.Conn
}

func (p *peekedConn) rawWriter() net.Conn { return p.Conn }

// mediaWriter picks where interleaved batches go: the TCP socket itself
// (net.Buffers uses writev on it), or nc with the batch coalesced first.
func mediaWriter(nc net.Conn) (io.Writer, bool) {
	w := nc
	for {
		rw, ok := w.(rawWriter)
		if !ok {
			break
		}
		w = rw.rawWriter()
	}
	if tc, ok := w.(*net.TCPConn); ok {
		return tc, false
	}
	return nc, true
}
