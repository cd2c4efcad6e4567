package h265

import (
	"bytes"
	"strings"
	"testing"
)

var (
	testVPS = []byte{0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x5a, 0x92, 0x80, 0x90}
	testSPS = []byte{0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x5a, 0xa0, 0x05, 0x02, 0x01, 0xe1, 0x65, 0x92, 0xa4, 0x93, 0x2b, 0xc0, 0x5a, 0x02, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x32, 0x10}
	testPPS = []byte{0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40}
)

// parseFMTP splits an a=fmtp value the way an SDP reader would, keys
// lower-cased.
func parseFMTP(s string) map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Split(s, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		if k != "" {
			m[strings.ToLower(k)] = v
		}
	}
	return m
}

func TestFormatDescribes(t *testing.T) {
	f := &Format{}
	if f.PayloadType() != 96 || f.ClockRate() != 90000 || f.RTPMap() != "H265/90000" || f.MediaType() != "video" {
		t.Fatalf("got PT %d clock %d rtpmap %q media %q", f.PayloadType(), f.ClockRate(), f.RTPMap(), f.MediaType())
	}
	if got := f.FMTP(); got != "" {
		t.Errorf("FMTP without parameter sets = %q", got)
	}
	f = &Format{PT: 97, VPS: testVPS, SPS: testSPS, PPS: testPPS}
	want := "sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwBakoCQ; sprop-sps=QgEBAWAAAAMAkAAAAwAAAwBaoAUCAeFlkqSTK8BaAgAAAwACAAADADIQ; sprop-pps=RAHBcrRiQA=="
	if got := f.FMTP(); got != want {
		t.Errorf("FMTP = %q, want %q", got, want)
	}
	if f.PayloadType() != 97 {
		t.Errorf("PT = %d", f.PayloadType())
	}
}

func TestUnmarshal(t *testing.T) {
	cases := []struct {
		name          string
		rtpmap        string
		fmtp          string
		vps, sps, pps []byte
		wantErr       bool
	}{
		{"ours", "H265/90000", (&Format{VPS: testVPS, SPS: testSPS, PPS: testPPS}).FMTP(), testVPS, testSPS, testPPS, false},
		{"no fmtp", "h265/90000", "", nil, nil, nil, false},
		{"unpadded, garbled VPS", "H265/90000", "sprop-vps=@@; sprop-sps=QgEBAWAAAAMAkAAAAwAAAwBaoAUCAeFlkqSTK8BaAgAAAwACAAADADIQ;sprop-pps=RAHBcrRiQA", nil, testSPS, testPPS, false},
		{"wrong type", "H265/90000", "sprop-vps=RAHBcrRiQA==", nil, nil, nil, false},
		{"list", "H265/90000", "sprop-pps=QAEMAf//AWAAAAMAkAAAAwAAAwBakoCQ,RAHBcrRiQA==", nil, nil, testPPS, false},
		{"don diff 0", "H265/90000", "sprop-max-don-diff=0", nil, nil, nil, false},
		{"don diff 2", "H265/90000", "sprop-max-don-diff=2", nil, nil, nil, true},
		{"other codec", "H264/90000", "", nil, nil, nil, true},
		{"other clock", "H265/1000", "", nil, nil, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Unmarshal(98, c.rtpmap, parseFMTP(c.fmtp))
			if c.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.PT != 98 || !bytes.Equal(f.VPS, c.vps) || !bytes.Equal(f.SPS, c.sps) || !bytes.Equal(f.PPS, c.pps) {
				t.Errorf("got PT %d VPS %x SPS %x PPS %x", f.PT, f.VPS, f.SPS, f.PPS)
			}
		})
	}
}

func TestIsRandomAccess(t *testing.T) {
	for typ := byte(0); typ < 48; typ++ {
		want := typ >= 16 && typ <= 21
		if got := IsRandomAccess([][]byte{{}, {typ << 1, 1, 0xaa}}); got != want {
			t.Errorf("type %d: %v", typ, got)
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add("H265/90000", (&Format{VPS: testVPS, SPS: testSPS, PPS: testPPS}).FMTP())
	f.Add("H265/90000", "sprop-vps=,,; sprop-sps=QgEB;sprop-max-don-diff=x")
	f.Add("h265/90000/1", "sprop-pps==")
	f.Fuzz(func(t *testing.T, rtpmap, fmtp string) {
		m := parseFMTP(fmtp)
		fo, err := Unmarshal(96, rtpmap, m)
		if err != nil {
			return
		}
		for _, c := range []struct {
			nalu []byte
			key  string
			typ  byte
		}{{fo.VPS, "sprop-vps", 32}, {fo.SPS, "sprop-sps", 33}, {fo.PPS, "sprop-pps", 34}} {
			if len(c.nalu) > len(m[c.key]) {
				t.Fatalf("%s larger than its base64", c.key)
			}
			if len(c.nalu) > 0 && (len(c.nalu) < 2 || c.nalu[0]>>1&0x3f != c.typ) {
				t.Fatalf("%s: bad NAL unit %x", c.key, c.nalu)
			}
		}
		_ = fo.FMTP()
	})
}
