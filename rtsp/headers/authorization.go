package headers

import (
	"encoding/base64"
	"errors"
	"sort"
	"strings"
)

// ErrUnsupportedScheme is returned for an authentication scheme other
// than Basic or Digest.
var ErrUnsupportedScheme = errors.New("headers: unsupported authentication scheme")

// maxAuthParams bounds the parameters of one credential or challenge.
const maxAuthParams = 32

// Authorization is an Authorization header value (RFC 2617).
type Authorization struct {
	// Scheme is "Basic" or "Digest".
	Scheme string
	// User and Password are Basic's credentials.
	User, Password string
	// Params are Digest's parameters (username, realm, nonce, uri,
	// response, qop, nc, cnonce, opaque, algorithm): keys lower case,
	// quotes removed.
	Params map[string]string
}

// ParseAuthorization parses an Authorization header value. Errors never
// quote the value: it carries credentials.
func ParseAuthorization(v string) (Authorization, error) {
	var a Authorization
	if err := checkLen("Authorization", v); err != nil {
		return a, err
	}
	v = strings.TrimSpace(v)
	scheme, rest, _ := strings.Cut(v, " ")
	rest = strings.TrimSpace(rest)
	switch {
	case strings.EqualFold(scheme, "Basic"):
		a.Scheme = "Basic"
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			// Some clients drop the padding.
			raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(rest, "="))
		}
		if err != nil {
			return a, malformed("Authorization", "Basic credentials are not base64")
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return a, malformed("Authorization", "Basic credentials without ':'")
		}
		a.User, a.Password = user, pass
	case strings.EqualFold(scheme, "Digest"):
		a.Scheme = "Digest"
		params, err := parseAuthParams("Authorization", splitQuoted(rest, ','))
		if err != nil {
			return a, err
		}
		a.Params = params
		if a.Params["username"] == "" || a.Params["response"] == "" {
			return a, malformed("Authorization", "Digest without username or response")
		}
	default:
		return a, &Error{Header: "Authorization", Err: ErrUnsupportedScheme}
	}
	return a, nil
}

// parseAuthParams reads "key=value" items into a map.
func parseAuthParams(header string, items []string) (map[string]string, error) {
	if len(items) > maxAuthParams {
		return nil, malformed(header, "too many parameters")
	}
	params := make(map[string]string, len(items))
	for _, it := range items {
		k, val, ok := cutParam(it)
		if !ok || !isToken(k) {
			return nil, malformed(header, "bad parameter")
		}
		params[k] = val
	}
	return params, nil
}

// digestQuoted lists the Digest parameters RFC 2617 writes as
// quoted-strings; the others (algorithm, stale, qop in a credential, nc)
// are tokens.
var digestQuoted = map[string]bool{
	"username": true, "realm": true, "nonce": true, "uri": true, "response": true,
	"cnonce": true, "opaque": true, "domain": true,
}

// digestOrder is the order parameters are written in.
var digestOrder = []string{"username", "realm", "domain", "nonce", "uri", "response", "algorithm", "opaque", "stale", "qop", "nc", "cnonce"}

// formatParams writes params as "k=v, k=\"v\"" in a stable order.
func formatParams(params map[string]string, quoted func(k string) bool) string {
	var b strings.Builder
	done := make(map[string]bool, len(params))
	write := func(k string) {
		v, ok := params[k]
		if !ok || done[k] {
			return
		}
		done[k] = true
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k + "=")
		if quoted(k) || !isToken(v) {
			b.WriteString(quote(v))
		} else {
			b.WriteString(v)
		}
	}
	for _, k := range digestOrder {
		write(k)
	}
	rest := make([]string, 0, len(params))
	for k := range params {
		if !done[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		write(k)
	}
	return b.String()
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

// String formats a: "Basic dXNlcjpwYXNz" or "Digest username=\"u\", …".
func (a Authorization) String() string {
	if a.Scheme == "Basic" {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(a.User+":"+a.Password))
	}
	return a.Scheme + " " + formatParams(a.Params, func(k string) bool { return digestQuoted[k] })
}
