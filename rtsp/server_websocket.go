package rtsp

import (
	"context"
	"net"
	"net/http"
	"strings"

	"github.com/coder/websocket"
)

// WebSocketProtocol is the subprotocol of RTSP over WebSocket in the ONVIF
// streaming specification: RTSP messages and interleaved RTP ("$" framing)
// travel as a byte stream in binary frames.
const WebSocketProtocol = "rtsp.onvif.org"

// offersProtocol tells whether a Sec-WebSocket-Protocol list names p.
func offersProtocol(values []string, p string) bool {
	for _, v := range values {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), p) {
				return true
			}
		}
	}
	return false
}

// serveWebSocket upgrades to RTSP over WebSocket and runs an RTSP
// connection on it; an upgrade without the ONVIF subprotocol is refused
// before anything is upgraded.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	if !offersProtocol(r.Header.Values("Sec-WebSocket-Protocol"), WebSocketProtocol) {
		s.log().Warn("RTSP over WebSocket refused: subprotocol missing", "remote", r.RemoteAddr,
			"offered", r.Header.Get("Sec-WebSocket-Protocol"))
		http.Error(w, "RTSP over WebSocket needs Sec-WebSocket-Protocol: "+WebSocketProtocol, http.StatusBadRequest)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols: []string{WebSocketProtocol},
		// Browser players are served from other origins (the NVR's web
		// UI); the RTSP layer authenticates the user itself.
		InsecureSkipVerify: true,
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		s.log().Info("RTSP over WebSocket upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	if !s.enter() {
		ws.CloseNow()
		return
	}
	defer s.wg.Done()
	s.runConn(&wsConn{Conn: websocket.NetConn(context.Background(), ws, websocket.MessageBinary), ws: ws})
}

// wsConn is RTSP over one WebSocket. Each Write is one binary message, so
// the connection batches interleaved media into one message per write.
type wsConn struct {
	net.Conn
	ws *websocket.Conn
}

// Close drops the connection without waiting for the peer's close frame:
// a dead client must not hold up a session's end.
func (c *wsConn) Close() error {
	err := c.ws.CloseNow()
	c.Conn.Close() // stops its deadline timers
	return err
}
