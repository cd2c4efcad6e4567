package headers

import (
	"strconv"
	"strings"
)

// RTPInfoEntry is one stream of an RTP-Info header (RFC 2326 §12.33).
type RTPInfoEntry struct {
	URL     string
	Seq     *uint16
	RTPTime *uint32
}

// RTPInfo is an RTP-Info header: one entry per stream.
type RTPInfo []RTPInfoEntry

// ParseRTPInfo parses "url=…;seq=…;rtptime=…, url=…". A URL may contain
// ',' or ';' (both are legal in URLs): a piece that does not start a new
// "url=" is taken as part of the previous URL.
func ParseRTPInfo(v string) (RTPInfo, error) {
	if err := checkLen("RTP-Info", v); err != nil {
		return nil, err
	}
	var pieces []string
	for _, p := range splitQuoted(v, ',') {
		if len(pieces) > 0 && !hasPrefixFold(p, "url") {
			pieces[len(pieces)-1] += "," + p
			continue
		}
		pieces = append(pieces, p)
	}
	if len(pieces) == 0 {
		return nil, malformed("RTP-Info", "empty")
	}
	out := make(RTPInfo, 0, len(pieces))
	for _, p := range pieces {
		e, err := parseRTPInfoEntry(p)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func hasPrefixFold(s, prefix string) bool {
	k, _, ok := strings.Cut(s, "=")
	return ok && strings.EqualFold(strings.TrimSpace(k), prefix)
}

func parseRTPInfoEntry(p string) (RTPInfoEntry, error) {
	var e RTPInfoEntry
	parts := splitQuoted(p, ';')
	if len(parts) == 0 || !hasPrefixFold(parts[0], "url") {
		return e, malformed("RTP-Info", "entry without url "+short(p))
	}
	_, e.URL, _ = cutParam(parts[0])
	inURL := true
	for _, part := range parts[1:] {
		k, val, _ := cutParam(part)
		switch k {
		case "seq":
			n, err := strconv.ParseUint(val, 10, 16)
			if err != nil {
				return e, malformed("RTP-Info", "seq "+short(val))
			}
			s := uint16(n)
			e.Seq = &s
			inURL = false
		case "rtptime":
			n, err := strconv.ParseUint(val, 10, 32)
			if err != nil {
				return e, malformed("RTP-Info", "rtptime "+short(val))
			}
			t := uint32(n)
			e.RTPTime = &t
			inURL = false
		case "ssrc":
			inURL = false
		default:
			// A ';' inside the URL itself.
			if inURL {
				e.URL += ";" + part
			}
		}
	}
	if e.URL == "" {
		return e, malformed("RTP-Info", "empty url")
	}
	return e, nil
}

// String formats r: "url=rtsp://h/a/trackID=0;seq=1;rtptime=2,url=…".
func (r RTPInfo) String() string {
	var b strings.Builder
	for i, e := range r {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("url=" + e.URL)
		if e.Seq != nil {
			b.WriteString(";seq=" + strconv.FormatUint(uint64(*e.Seq), 10))
		}
		if e.RTPTime != nil {
			b.WriteString(";rtptime=" + strconv.FormatUint(uint64(*e.RTPTime), 10))
		}
	}
	return b.String()
}
