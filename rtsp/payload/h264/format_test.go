package h264

import (
	"bytes"
	"strings"
	"testing"
)

var (
	testSPS = []byte{0x67, 0x64, 0x00, 0x1e, 0xac, 0xd9, 0x40, 0xa0, 0x3d, 0xa1, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x32, 0x0f, 0x16, 0x2d, 0x96}
	testPPS = []byte{0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0}
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
	if f.PayloadType() != 96 || f.ClockRate() != 90000 || f.RTPMap() != "H264/90000" || f.MediaType() != "video" {
		t.Fatalf("got PT %d clock %d rtpmap %q media %q", f.PayloadType(), f.ClockRate(), f.RTPMap(), f.MediaType())
	}
	if got := f.FMTP(); got != "packetization-mode=1" {
		t.Errorf("FMTP without SPS = %q", got)
	}
	f = &Format{PT: 97, SPS: testSPS, PPS: testPPS}
	want := "packetization-mode=1; profile-level-id=64001E; sprop-parameter-sets=Z2QAHqzZQKA9oQAAAwABAAADADIPFi2W,aOvjyyLA"
	if got := f.FMTP(); got != want {
		t.Errorf("FMTP = %q, want %q", got, want)
	}
	if f.PayloadType() != 97 {
		t.Errorf("PT = %d", f.PayloadType())
	}
}

func TestUnmarshal(t *testing.T) {
	cases := []struct {
		name     string
		rtpmap   string
		fmtp     string
		sps, pps []byte
		wantErr  bool
	}{
		{"ours", "H264/90000", (&Format{SPS: testSPS, PPS: testPPS}).FMTP(), testSPS, testPPS, false},
		{"no fmtp", "h264/90000", "", nil, nil, false},
		{"unpadded and spaced", "H264/90000", "packetization-mode=1;sprop-parameter-sets= Z2QAHqzZQKA9oQAAAwABAAADADIPFi2W , aOvjyyLA", testSPS, testPPS, false},
		{"garbled SPS keeps PPS", "H264/90000", "sprop-parameter-sets=!!!,aOvjyyLA", nil, testPPS, false},
		{"wrong types ignored", "H264/90000", "sprop-parameter-sets=aOvjyyLA,Z2QAHqzZQKA9oQAAAwABAAADADIPFi2W", testSPS, testPPS, false},
		{"mode 0", "H264/90000", "packetization-mode=0", nil, nil, false},
		{"mode 2", "H264/90000", "packetization-mode=2", nil, nil, true},
		{"other codec", "H265/90000", "", nil, nil, true},
		{"other clock", "H264/8000", "", nil, nil, true},
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
			if f.PT != 98 || !bytes.Equal(f.SPS, c.sps) || !bytes.Equal(f.PPS, c.pps) {
				t.Errorf("got PT %d SPS %x PPS %x", f.PT, f.SPS, f.PPS)
			}
		})
	}
}

func TestIsRandomAccess(t *testing.T) {
	if !IsRandomAccess([][]byte{testSPS, testPPS, {}, {0x65, 0x88}}) {
		t.Error("IDR not seen")
	}
	if IsRandomAccess([][]byte{{}, {0x41, 0x9a}}) || IsRandomAccess(nil) {
		t.Error("non-IDR seen as random access")
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add("H264/90000", (&Format{SPS: testSPS, PPS: testPPS}).FMTP())
	f.Add("H264/90000", "packetization-mode=1;sprop-parameter-sets=Z2QAHqzZQKA9oQAAAwABAAADADIPFi2W")
	f.Add("h264/90000/1", "sprop-parameter-sets=,,,=;profile-level-id=zz")
	f.Add("H264", "packetization-mode=3")
	f.Fuzz(func(t *testing.T, rtpmap, fmtp string) {
		m := parseFMTP(fmtp)
		fo, err := Unmarshal(96, rtpmap, m)
		if err != nil {
			return
		}
		sprop := len(m["sprop-parameter-sets"])
		if len(fo.SPS) > sprop || len(fo.PPS) > sprop {
			t.Fatalf("parameter sets larger than their base64")
		}
		if len(fo.SPS) > 0 && fo.SPS[0]&0x1f != 7 || len(fo.PPS) > 0 && fo.PPS[0]&0x1f != 8 {
			t.Fatalf("wrong NAL types %x %x", fo.SPS, fo.PPS)
		}
		_ = fo.FMTP()
	})
}
