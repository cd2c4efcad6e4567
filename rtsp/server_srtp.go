package rtsp

import (
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"

	"rtspcam/rtsp/headers"
	"rtspcam/rtsp/message"
	"rtspcam/rtsp/mikey"
	"rtspcam/rtsp/srtp"
)

// sessionSRTP is the keying of a secure session: what the server encrypts
// with, and what the client protects its own packets with (the same keys
// under SDES, the client's own under MIKEY).
type sessionSRTP struct {
	out, in srtp.Keys
	sender  *srtp.Sender
	batch   []byte // TCP: one encrypted copy per packet of a write batch
}

// wantsSRTP reports whether the URL asks for SRTP; the vendor's manual
// spells the parameter both ways.
func wantsSRTP(q url.Values) bool {
	for _, k := range []string{"srtp", "srtsp"} {
		switch strings.ToLower(q.Get(k)) {
		case "1", "true", "yes", "on":
			return true
		}
	}
	return false
}

// isTLS tells whether keys sent on c stay confidential: the connection is
// TLS under whatever wraps it (the bytes peeked to tell RTSP from HTTP, an
// HTTPS tunnel's GET, a WebSocket upgraded on the HTTPS port).
func (c *serverConn) isTLS() bool {
	nc := c.nc
	for {
		if _, ok := nc.(interface{ ConnectionState() tls.ConnectionState }); ok {
			return true
		}
		switch w := nc.(type) {
		case *wsConn:
			nc = w.raw.Conn
		case rawWriter:
			nc = w.rawWriter()
		default:
			return false
		}
	}
}

// offerSRTP draws the keys a DESCRIBE offers for path on this connection;
// the SETUPs that follow on it use them. The same keys go out as SDES
// (FFmpeg reads a=crypto) and as MIKEY (GStreamer reads a=key-mgmt).
func (c *serverConn) offerSRTP(path string) (srtp.Keys, error) {
	k, err := srtp.NewKeys(c.s.SRTPProfile)
	if err != nil {
		return k, err
	}
	c.mu.Lock()
	if c.offers == nil {
		c.offers = map[string]srtp.Keys{}
	}
	if len(c.offers) >= 16 {
		clear(c.offers) // a client that DESCRIBEs forever gets no memory
	}
	c.offers[path] = k
	c.mu.Unlock()
	if !c.isTLS() {
		c.s.log().Warn("SRTP keys offered over plain RTSP: anyone who sees the RTSP connection can decrypt the media; use RTSPS", "remote", c.remote, "path", path)
	}
	return k, nil
}

func (c *serverConn) offered(path string) (srtp.Keys, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.offers[path]
	return k, ok
}

// srtpAttributes are the SDP lines that hand k to the client.
func srtpAttributes(k srtp.Keys) ([]string, error) {
	m, err := mikey.NewSRTP(k.Master[:], k.Profile.TagLen(), nil)
	if err != nil {
		return nil, err
	}
	return []string{
		"crypto:" + k.Crypto(1).String(),
		"key-mgmt:mikey " + base64.StdEncoding.EncodeToString(m.Marshal()),
	}, nil
}

// setupSRTP decides whether a first SETUP makes a secure session and with
// which keys. A media offered as RTP/SAVP is secure even when the client
// answers RTP/AVP (FFmpeg does). Keys the client sends in KeyMgmt (MIKEY)
// protect what it sends; without them it uses ours (SDES). When nobody
// offered keys, fresh ones go back in the response's KeyMgmt header.
func (c *serverConn) setupSRTP(req *message.Request, res *message.Response, t target, trs []headers.Transport) (*sessionSRTP, int, string) {
	k, offered := c.offered(t.Path)
	savp := false
	for _, tr := range trs {
		if strings.HasPrefix(tr.Profile, "RTP/SAVP") {
			savp = true
		}
	}
	if !offered && !savp && !wantsSRTP(t.Query) {
		return nil, 200, ""
	}
	if !offered {
		var err error
		if k, err = srtp.NewKeys(c.s.SRTPProfile); err != nil {
			return nil, 500, "no SRTP keys"
		}
		m, err := mikey.NewSRTP(k.Master[:], k.Profile.TagLen(), nil)
		if err != nil {
			return nil, 500, "no SRTP keys"
		}
		res.Header.Set("KeyMgmt", fmt.Sprintf("prot=mikey; uri=%q; data=%q", req.URL, base64.StdEncoding.EncodeToString(m.Marshal())))
		if !c.isTLS() {
			c.s.log().Warn("SRTP keys sent over plain RTSP: anyone who sees the RTSP connection can decrypt the media; use RTSPS", "remote", c.remote, "path", t.Path)
		}
	}
	sec := &sessionSRTP{out: k, in: k}
	if v := req.Header.Get("KeyMgmt"); v != "" {
		in, err := keysFromKeyMgmt(v)
		if err != nil {
			c.s.log().Info("unusable KeyMgmt header", "remote", c.remote, "err", err)
			return nil, 400, "bad KeyMgmt"
		}
		sec.in = in
	}
	s, err := srtp.NewSender(sec.out)
	if err != nil {
		return nil, 500, "no SRTP context"
	}
	sec.sender = s
	return sec, 200, ""
}

// keysFromKeyMgmt reads a KeyMgmt header (RFC 4567 §3.2):
// prot=mikey; uri="…"; data="base64".
func keysFromKeyMgmt(v string) (srtp.Keys, error) {
	var data, prot string
	for _, p := range strings.Split(v, ";") {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		val = strings.Trim(strings.TrimSpace(val), `"`)
		switch strings.ToLower(k) {
		case "prot":
			prot = val
		case "data":
			data = val
		}
	}
	if !strings.EqualFold(prot, "mikey") || data == "" {
		return srtp.Keys{}, fmt.Errorf("KeyMgmt protocol %q without data", prot)
	}
	return keysFromMIKEY(data)
}

// keysFromMIKEY reads the SRTP keys of a base64 MIKEY message.
func keysFromMIKEY(data string) (srtp.Keys, error) {
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return srtp.Keys{}, fmt.Errorf("MIKEY data is not base64")
	}
	m, err := mikey.Parse(b)
	if err != nil {
		return srtp.Keys{}, err
	}
	mk, err := m.SRTP()
	if err != nil {
		return srtp.Keys{}, err
	}
	k := srtp.Keys{Profile: srtp.AES128SHA1_80}
	if mk.TagLen == 4 {
		k.Profile = srtp.AES128SHA1_32
	}
	copy(k.Master[:], mk.Master)
	return k, nil
}

// protect encrypts p's bytes for the session into dst (the sender's own
// buffer when dst is nil).
func (sec *sessionSRTP) protect(dst, b []byte, rtcp bool) ([]byte, error) {
	if dst == nil {
		if rtcp {
			return sec.sender.RTCP(b)
		}
		return sec.sender.RTP(b)
	}
	if rtcp {
		return sec.sender.RTCPTo(dst, b)
	}
	return sec.sender.RTPTo(dst, b)
}

// SRTPRejected is the number of SRTP and SRTCP packets from clients that
// failed authentication and were dropped.
func (s *Server) SRTPRejected() uint64 { return s.srtpRejected.Load() }
