package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"rtspcam/rtsp/headers"
)

// maxClockSkew is how far in the future a nonce's time may lie (the clock
// stepped back) before it is treated as stale.
const maxClockSkew = time.Minute

// Validator checks the credentials of requests against a user table. It
// is safe for concurrent use.
type Validator struct {
	realm  string
	secret []byte
	ttl    time.Duration
	opaque string
	users  atomic.Pointer[map[string]string]
	now    func() time.Time
}

// NewValidator returns a Validator. realm is shown to clients; secret keys
// the stateless nonces (32 random bytes when nil: nonces then die with the
// process); a nonce older than ttl is answered with a stale challenge.
func NewValidator(realm string, secret []byte, ttl time.Duration) *Validator {
	if secret == nil {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			panic("auth: no randomness: " + err.Error())
		}
	}
	v := &Validator{
		realm:  realm,
		secret: append([]byte(nil), secret...),
		ttl:    ttl,
		now:    time.Now,
	}
	v.opaque = hex.EncodeToString(v.mac([]byte("opaque"))[:16])
	empty := map[string]string{}
	v.users.Store(&empty)
	return v
}

// SetUsers replaces the user table (user → password). It copies users and
// may be called while requests are being checked (config reload).
func (v *Validator) SetUsers(users map[string]string) {
	m := make(map[string]string, len(users))
	for u, p := range users {
		m[u] = p
	}
	v.users.Store(&m)
}

// Challenges returns the WWW-Authenticate values for a 401: a Digest
// challenge (MD5, qop="auth", a fresh nonce, opaque; stale=TRUE when
// stale), then Basic.
func (v *Validator) Challenges(stale bool) []string {
	p := map[string]string{
		"realm":     v.realm,
		"nonce":     v.newNonce(v.now()),
		"opaque":    v.opaque,
		"algorithm": algMD5,
		"qop":       "auth",
	}
	if stale {
		p["stale"] = "TRUE"
	}
	return []string{
		headers.Challenge{Scheme: "Digest", Params: p}.String(),
		headers.Challenge{Scheme: "Basic", Params: map[string]string{"realm": v.realm}}.String(),
	}
}

// Check verifies authorization (an Authorization header value) for a
// request with method and requestURL (the request-URI as sent). It returns
// the user name, or ErrNoCredentials, ErrBadCredentials (possibly wrapped
// with a reason) or ErrStaleNonce.
//
// Digest's uri may be absolute or a path; it must name the same path as
// requestURL. Digest with qop=auth and RFC 2069 Digest without qop both
// pass, as does Basic. Nonces are not tracked, so nc is not checked for
// replays; a captured digest is usable for one ttl on the same request.
func (v *Validator) Check(method, requestURL, authorization string) (string, error) {
	if strings.TrimSpace(authorization) == "" {
		return "", ErrNoCredentials
	}
	a, err := headers.ParseAuthorization(authorization)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadCredentials, err)
	}
	users := *v.users.Load()
	if a.Scheme == "Basic" {
		want, known := users[a.User]
		if !equalSecret(want, a.Password) || !known {
			return "", ErrBadCredentials
		}
		return a.User, nil
	}
	return v.checkDigest(method, requestURL, a.Params, users)
}

func (v *Validator) checkDigest(method, requestURL string, p map[string]string, users map[string]string) (string, error) {
	user := p["username"]
	if p["realm"] != v.realm {
		return "", fmt.Errorf("%w: wrong realm", ErrBadCredentials)
	}
	alg := p["algorithm"]
	if alg != "" && !strings.EqualFold(alg, algMD5) && !strings.EqualFold(alg, algMD5Sess) {
		return "", fmt.Errorf("%w: unsupported algorithm", ErrBadCredentials)
	}
	qop := p["qop"]
	if qop != "" && (qop != "auth" || p["nc"] == "" || p["cnonce"] == "") {
		return "", fmt.Errorf("%w: unsupported qop", ErrBadCredentials)
	}
	if !samePath(p["uri"], requestURL) {
		return "", fmt.Errorf("%w: digest uri names another resource", ErrBadCredentials)
	}
	if o, ok := p["opaque"]; ok && subtle.ConstantTimeCompare([]byte(o), []byte(v.opaque)) != 1 {
		return "", fmt.Errorf("%w: wrong opaque", ErrBadCredentials)
	}
	issued, ok := v.nonceTime(p["nonce"])
	if !ok {
		return "", fmt.Errorf("%w: nonce not issued here", ErrBadCredentials)
	}
	password, known := users[user]
	d := digestParams{
		algorithm: alg, user: user, realm: v.realm, password: password,
		nonce: p["nonce"], cnonce: p["cnonce"], qop: qop, nc: p["nc"],
		method: method, uri: p["uri"],
	}
	want := d.response()
	got := strings.ToLower(p["response"])
	if subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 || !known {
		return "", ErrBadCredentials
	}
	// Right password: an old nonce is only stale, the client may retry
	// with a fresh one without asking its user.
	age := v.now().Sub(issued)
	if age > v.ttl || age < -maxClockSkew {
		return "", ErrStaleNonce
	}
	return user, nil
}

// equalSecret compares in time independent of where a and b differ and of
// their lengths.
func equalSecret(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// samePath reports whether the Digest uri and the request-URI name the
// same resource: equal, or the same path (each may be absolute or a path;
// a trailing '/' does not count).
func samePath(uri, requestURL string) bool {
	if uri == requestURL {
		return uri != ""
	}
	a, okA := pathOf(uri)
	b, okB := pathOf(requestURL)
	return okA && okB && a == b
}

func pathOf(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme == "" && !strings.HasPrefix(s, "/")) {
		return "", false
	}
	p := strings.TrimSuffix(u.EscapedPath(), "/")
	if p == "" {
		p = "/"
	}
	return p, true
}
