package headers

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxTransports bounds the alternatives ParseTransports accepts.
const MaxTransports = 16

// ErrUnsupportedTransport is returned when no alternative is RTP.
var ErrUnsupportedTransport = errors.New("headers: no RTP transport offered")

// Transport is one transport specification of a Transport header
// (RFC 2326 §12.39).
type Transport struct {
	Profile   string // "RTP/AVP", "RTP/SAVP", "RTP/AVPF" or "RTP/SAVPF"
	Lower     string // "UDP" or "TCP"
	Multicast bool

	Destination, Source string

	// Port pairs. A single port p is read as p-(p+1); nil when absent.
	ClientPorts, ServerPorts, Ports, Interleaved *[2]int

	TTL  *int
	SSRC *uint32
	Mode string // "PLAY", "RECORD" or ""
	// Append is RECORD's "append" flag.
	Append bool
}

// ParseTransports parses a Transport header: comma-separated alternatives
// in the client's order of preference. Alternatives for other protocols
// (x-real-rdt, RAW/RAW/UDP…) are skipped; an error is returned when none is
// RTP or when an RTP alternative is malformed.
func ParseTransports(v string) ([]Transport, error) {
	if err := checkLen("Transport", v); err != nil {
		return nil, err
	}
	alts := splitQuoted(v, ',')
	if len(alts) > MaxTransports {
		return nil, malformed("Transport", fmt.Sprintf("%d alternatives, at most %d", len(alts), MaxTransports))
	}
	var out []Transport
	for _, a := range alts {
		t, ok, err := parseTransport(a)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, &Error{Header: "Transport", Detail: short(v), Err: ErrUnsupportedTransport}
	}
	return out, nil
}

// parseTransport parses one alternative; ok is false when it is not RTP.
func parseTransport(a string) (t Transport, ok bool, err error) {
	parts := splitQuoted(a, ';')
	if len(parts) == 0 {
		return t, false, nil
	}
	spec := strings.Split(strings.ToUpper(strings.ReplaceAll(parts[0], " ", "")), "/")
	if len(spec) < 2 || len(spec) > 3 || spec[0] != "RTP" {
		return t, false, nil
	}
	switch spec[1] {
	case "AVP", "SAVP", "AVPF", "SAVPF":
	default:
		return t, false, nil
	}
	t.Profile = "RTP/" + spec[1]
	t.Lower = "UDP"
	if len(spec) == 3 {
		switch spec[2] {
		case "UDP", "TCP":
			t.Lower = spec[2]
		default:
			return t, false, malformed("Transport", "lower transport "+short(spec[2]))
		}
	}
	for _, p := range parts[1:] {
		k, v, _ := cutParam(p)
		switch k {
		case "unicast":
			t.Multicast = false
		case "multicast":
			t.Multicast = true
		case "destination":
			t.Destination = v
		case "source":
			t.Source = v
		case "client_port":
			t.ClientPorts, err = parsePair("client_port", v, 65535)
		case "server_port":
			t.ServerPorts, err = parsePair("server_port", v, 65535)
		case "port":
			t.Ports, err = parsePair("port", v, 65535)
		case "interleaved":
			t.Interleaved, err = parsePair("interleaved", v, 255)
		case "ttl":
			var n int
			n, err = strconv.Atoi(v)
			if err != nil || n < 0 || n > 255 {
				return t, false, malformed("Transport", "ttl "+short(v))
			}
			t.TTL = &n
		case "ssrc":
			var n uint64
			n, err = strconv.ParseUint(strings.TrimPrefix(strings.ToLower(v), "0x"), 16, 32)
			if err != nil {
				return t, false, malformed("Transport", "ssrc "+short(v))
			}
			s := uint32(n)
			t.SSRC = &s
		case "mode":
			t.Mode = strings.ToUpper(strings.TrimSpace(v))
		case "append":
			t.Append = true
		}
		if err != nil {
			return t, false, err
		}
	}
	return t, true, nil
}

// parsePair parses "a-b" or "a" (meaning a-(a+1)), each at most limit.
func parsePair(name, v string, limit int) (*[2]int, error) {
	a, b, hasB := strings.Cut(v, "-")
	x, err := strconv.Atoi(strings.TrimSpace(a))
	if err != nil || x < 0 || x > limit {
		return nil, malformed("Transport", name+" "+short(v))
	}
	y := x + 1
	if hasB {
		y, err = strconv.Atoi(strings.TrimSpace(b))
		if err != nil || y < 0 || y > limit {
			return nil, malformed("Transport", name+" "+short(v))
		}
	} else if y > limit {
		y = x
	}
	return &[2]int{x, y}, nil
}

// String formats t canonically, e.g.
// "RTP/AVP;unicast;client_port=5000-5001;server_port=6000-6001;ssrc=0000ABCD".
func (t Transport) String() string {
	var b strings.Builder
	profile := t.Profile
	if profile == "" {
		profile = "RTP/AVP"
	}
	b.WriteString(profile)
	if strings.EqualFold(t.Lower, "TCP") {
		b.WriteString("/TCP")
	}
	if t.Multicast {
		b.WriteString(";multicast")
	} else {
		b.WriteString(";unicast")
	}
	if t.Destination != "" {
		b.WriteString(";destination=" + t.Destination)
	}
	if t.Source != "" {
		b.WriteString(";source=" + t.Source)
	}
	writePair(&b, "interleaved", t.Interleaved)
	writePair(&b, "client_port", t.ClientPorts)
	writePair(&b, "server_port", t.ServerPorts)
	writePair(&b, "port", t.Ports)
	if t.TTL != nil {
		b.WriteString(";ttl=" + strconv.Itoa(*t.TTL))
	}
	if t.SSRC != nil {
		fmt.Fprintf(&b, ";ssrc=%08X", *t.SSRC)
	}
	if t.Mode != "" {
		b.WriteString(";mode=" + t.Mode)
	}
	if t.Append {
		b.WriteString(";append")
	}
	return b.String()
}

func writePair(b *strings.Builder, name string, p *[2]int) {
	if p == nil {
		return
	}
	b.WriteString(";" + name + "=" + strconv.Itoa(p[0]) + "-" + strconv.Itoa(p[1]))
}
