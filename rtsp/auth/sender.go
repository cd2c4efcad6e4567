package auth

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"

	"rtspcam/rtsp/headers"
)

// Sender answers a server's challenge on the client side (proxy sources,
// tests). It is safe for concurrent use.
type Sender struct {
	user, pass string
	digest     bool
	realm      string
	nonce      string
	opaque     string
	hasOpaque  bool
	algorithm  string
	qop        bool

	mu     sync.Mutex
	nc     uint32
	cnonce string
}

// NewSender picks the challenge to answer from WWW-Authenticate values:
// Digest (MD5 or MD5-sess) when offered, else Basic.
func NewSender(challenges []string, user, pass string) (*Sender, error) {
	cs, err := headers.ParseChallenges(challenges)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	s := &Sender{user: user, pass: pass}
	basic := false
	for _, c := range cs {
		switch c.Scheme {
		case "Digest":
			alg := c.Params["algorithm"]
			if alg != "" && !strings.EqualFold(alg, algMD5) && !strings.EqualFold(alg, algMD5Sess) {
				continue
			}
			s.digest = true
			s.realm, s.nonce, s.algorithm = c.Params["realm"], c.Params["nonce"], alg
			s.opaque, s.hasOpaque = c.Params["opaque"]
			for _, q := range headers.ParseList(c.Params["qop"]) {
				if strings.EqualFold(q, "auth") {
					s.qop = true
				}
			}
			var b [8]byte
			if _, err := rand.Read(b[:]); err != nil {
				return nil, fmt.Errorf("auth: cnonce: %w", err)
			}
			s.cnonce = hex.EncodeToString(b[:])
			return s, nil
		case "Basic":
			basic = true
		}
	}
	if !basic {
		return nil, ErrUnsupportedChallenge
	}
	return s, nil
}

// Authorization returns the Authorization header value for a request with
// method and uri (the request-URI as it will be sent).
func (s *Sender) Authorization(method, uri string) string {
	if !s.digest {
		return headers.Authorization{Scheme: "Basic", User: s.user, Password: s.pass}.String()
	}
	d := digestParams{
		algorithm: s.algorithm, user: s.user, realm: s.realm, password: s.pass,
		nonce: s.nonce, method: method, uri: uri,
	}
	p := map[string]string{
		"username": s.user, "realm": s.realm, "nonce": s.nonce, "uri": uri,
	}
	if s.qop {
		s.mu.Lock()
		s.nc++
		d.nc = fmt.Sprintf("%08x", s.nc)
		d.cnonce = s.cnonce
		s.mu.Unlock()
		d.qop = "auth"
		p["qop"], p["nc"], p["cnonce"] = d.qop, d.nc, d.cnonce
	} else if strings.EqualFold(s.algorithm, algMD5Sess) {
		d.cnonce = s.cnonce
		p["cnonce"] = d.cnonce
	}
	if s.algorithm != "" {
		p["algorithm"] = s.algorithm
	}
	if s.hasOpaque {
		p["opaque"] = s.opaque
	}
	p["response"] = d.response()
	return headers.Authorization{Scheme: "Digest", Params: p}.String()
}
