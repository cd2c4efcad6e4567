package headers

import (
	"reflect"
	"testing"
)

// Every fuzzer: no panic, limits kept, and what parses formats to a value
// that parses again to the same thing.

func FuzzParseTransports(f *testing.F) {
	for _, c := range transportCases {
		f.Add(c.in)
	}
	f.Add("RTP/AVP;client_port=65535;interleaved=255")
	f.Fuzz(func(t *testing.T, v string) {
		ts, err := ParseTransports(v)
		if err != nil {
			return
		}
		if len(ts) == 0 || len(ts) > MaxTransports || len(v) > MaxValueLen {
			t.Fatalf("%d alternatives from %d bytes", len(ts), len(v))
		}
		for _, tr := range ts {
			for _, p := range []*[2]int{tr.ClientPorts, tr.ServerPorts, tr.Ports} {
				if p != nil && (p[0] < 0 || p[0] > 65535 || p[1] < 0 || p[1] > 65535) {
					t.Fatalf("port out of range: %v", *p)
				}
			}
			if p := tr.Interleaved; p != nil && (p[0] < 0 || p[0] > 255 || p[1] < 0 || p[1] > 255) {
				t.Fatalf("channel out of range: %v", *p)
			}
			s := tr.String()
			again, err := ParseTransports(s)
			if err != nil {
				// Destination/source may hold ';' or ',' quoted away.
				continue
			}
			if len(again) == 1 && again[0].Lower != tr.Lower {
				t.Fatalf("%q → %q changed lower transport", v, s)
			}
		}
	})
}

func FuzzParseSession(f *testing.F) {
	for _, c := range sessionCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, v string) {
		s, err := ParseSession(v)
		if err != nil {
			return
		}
		if s.ID == "" || s.Timeout < 0 {
			t.Fatalf("%+v", s)
		}
		again, err := ParseSession(s.String())
		if err != nil || again != s {
			t.Fatalf("round trip %q: %+v %v", s.String(), again, err)
		}
	})
}

func FuzzParseRange(f *testing.F) {
	for _, c := range rangeCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r, err := ParseRange(v)
		if err != nil {
			return
		}
		if r.Start < 0 || r.End < 0 || r.Start > maxNPT || r.End > maxNPT {
			t.Fatalf("out of range: %+v", r)
		}
		again, err := ParseRange(r.String())
		if err != nil {
			t.Fatalf("re-parse of %q: %v", r.String(), err)
		}
		if r.Unit == "npt" && !reflect.DeepEqual(again, r) {
			t.Fatalf("round trip %q: %+v != %+v", r.String(), again, r)
		}
	})
}

func FuzzParseRTPInfo(f *testing.F) {
	for _, c := range rtpInfoCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r, err := ParseRTPInfo(v)
		if err != nil {
			return
		}
		if len(r) == 0 || len(r) > len(v) {
			t.Fatalf("%d entries from %d bytes", len(r), len(v))
		}
		for _, e := range r {
			if e.URL == "" {
				t.Fatal("empty URL")
			}
		}
	})
}

func FuzzParseAuthorization(f *testing.F) {
	for _, c := range authorizationCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, v string) {
		a, err := ParseAuthorization(v)
		if err != nil {
			return
		}
		if a.Scheme != "Basic" && a.Scheme != "Digest" {
			t.Fatalf("scheme %q", a.Scheme)
		}
		if len(a.Params) > maxAuthParams {
			t.Fatalf("%d params", len(a.Params))
		}
		again, err := ParseAuthorization(a.String())
		if err != nil || !reflect.DeepEqual(again, a) {
			t.Fatalf("round trip %q: %+v %v", a.String(), again, err)
		}
	})
}

func FuzzParseChallenges(f *testing.F) {
	f.Add(`Digest realm="IP Camera(C1234)", nonce="a3f0c1", stale="FALSE"`, `Basic realm="x"`)
	f.Add(`digest realm="Login", nonce="1", algorithm = MD5, qop="auth", Basic realm="Login"`, "")
	f.Add(`Negotiate`, `Digest realm="a\"b"`)
	f.Fuzz(func(t *testing.T, a, b string) {
		cs, err := ParseChallenges([]string{a, b})
		if err != nil {
			return
		}
		if len(cs) == 0 || len(cs) > MaxChallenges {
			t.Fatalf("%d challenges", len(cs))
		}
		for _, c := range cs {
			if len(c.Params) > maxAuthParams {
				t.Fatalf("%d params", len(c.Params))
			}
			_ = c.String()
		}
	})
}

func FuzzParseList(f *testing.F) {
	f.Add("play.basic, implicit-play")
	f.Add(`a,"b,c",,d`)
	f.Fuzz(func(t *testing.T, v string) {
		for _, it := range ParseList(v) {
			if it == "" || len(it) > MaxValueLen {
				t.Fatalf("item %q", it)
			}
		}
	})
}
