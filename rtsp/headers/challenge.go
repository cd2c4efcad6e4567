package headers

import (
	"strings"
)

// MaxChallenges bounds the challenges ParseChallenges returns.
const MaxChallenges = 16

// Challenge is one challenge of a WWW-Authenticate header (RFC 2617 §1.2).
type Challenge struct {
	// Scheme is "Basic", "Digest" or another scheme as sent.
	Scheme string
	// Params: realm, nonce, opaque, stale, algorithm, qop, domain…; keys
	// lower case, quotes removed.
	Params map[string]string
}

// ParseChallenges parses WWW-Authenticate values. One value may hold
// several challenges ("Digest realm=…, nonce=…, Basic realm=…"); a server
// may also send one header per challenge.
func ParseChallenges(values []string) ([]Challenge, error) {
	var out []Challenge
	for _, v := range values {
		if err := checkLen("WWW-Authenticate", v); err != nil {
			return nil, err
		}
		var cur *Challenge
		for _, item := range splitQuoted(v, ',') {
			// "Scheme k=v" or a bare "Scheme" starts a new challenge.
			head, tail, hasSpace := strings.Cut(item, " ")
			if !strings.Contains(head, "=") && !strings.HasPrefix(strings.TrimSpace(tail), "=") {
				if len(out) == MaxChallenges {
					return nil, malformed("WWW-Authenticate", "too many challenges")
				}
				out = append(out, Challenge{Scheme: canonicalScheme(head), Params: map[string]string{}})
				cur = &out[len(out)-1]
				if !hasSpace {
					continue
				}
				item = strings.TrimSpace(tail)
				if item == "" {
					continue
				}
			}
			if cur == nil {
				return nil, malformed("WWW-Authenticate", "parameter before scheme "+short(item))
			}
			if len(cur.Params) == maxAuthParams {
				return nil, malformed("WWW-Authenticate", "too many parameters")
			}
			k, val, ok := cutParam(item)
			if !ok || !isToken(k) {
				// Basic's token68 or junk: keep it out of Params.
				continue
			}
			cur.Params[k] = val
		}
	}
	if len(out) == 0 {
		return nil, malformed("WWW-Authenticate", "no challenge")
	}
	return out, nil
}

func canonicalScheme(s string) string {
	switch {
	case strings.EqualFold(s, "Basic"):
		return "Basic"
	case strings.EqualFold(s, "Digest"):
		return "Digest"
	}
	return s
}

// challengeQuoted lists parameters RFC 2617 quotes in a challenge.
var challengeQuoted = map[string]bool{"realm": true, "domain": true, "nonce": true, "opaque": true, "qop": true}

// String formats c: `Digest realm="r", nonce="n", algorithm=MD5, qop="auth"`.
func (c Challenge) String() string {
	if len(c.Params) == 0 {
		return c.Scheme
	}
	return c.Scheme + " " + formatParams(c.Params, func(k string) bool { return challengeQuoted[k] })
}
