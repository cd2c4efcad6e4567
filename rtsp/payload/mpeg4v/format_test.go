package mpeg4v

import (
	"bytes"
	"strings"
	"testing"
)

// testConfig is what ffmpeg's mpeg4 encoder puts before the first VOP:
// VOS (profile 1), VO, VOL and user data.
var testConfig = []byte{
	0x00, 0x00, 0x01, 0xb0, 0x01, 0x00, 0x00, 0x01, 0xb5, 0x89, 0x13, 0x00, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x01, 0x20, 0x00, 0xc4, 0x8d, 0x88, 0x00, 0xcd, 0x14, 0x04, 0x3c, 0x14, 0x43, 0x00, 0x00,
	0x01, 0xb2, 0x4c, 0x61, 0x76, 0x63, 0x35, 0x39, 0x2e, 0x33, 0x37, 0x2e, 0x31, 0x30, 0x30,
}

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
	if f.PayloadType() != 96 || f.ClockRate() != 90000 || f.RTPMap() != "MP4V-ES/90000" || f.MediaType() != "video" {
		t.Fatalf("got PT %d clock %d rtpmap %q media %q", f.PayloadType(), f.ClockRate(), f.RTPMap(), f.MediaType())
	}
	if got := f.FMTP(); got != "profile-level-id=1" {
		t.Errorf("FMTP without config = %q", got)
	}
	cfg := append([]byte(nil), testConfig...)
	cfg[4] = 0xf5 // Advanced Simple Profile L5, read from the VOS
	f = &Format{PT: 100, Config: cfg}
	want := "profile-level-id=245; config=000001B0F5000001B5891300000100000001200" + "0C48D8800CD14043C14430000" + "01B24C61766335392E33372E313030"
	if got := f.FMTP(); got != want {
		t.Errorf("FMTP = %q\nwant %q", got, want)
	}
	f.ProfileLevelID = 3
	if got := f.FMTP(); !strings.HasPrefix(got, "profile-level-id=3; config=") {
		t.Errorf("FMTP = %q", got)
	}
}

func TestUnmarshal(t *testing.T) {
	cases := []struct {
		name    string
		rtpmap  string
		fmtp    string
		profile int
		config  []byte
		wantErr bool
	}{
		{"ours", "MP4V-ES/90000", (&Format{Config: testConfig}).FMTP(), 1, testConfig, false},
		{"lower-case hex", "mp4v-es/90000", "profile-level-id=8;config=" + strings.ToLower((&Format{Config: testConfig}).FMTP()[len("profile-level-id=1; config="):]), 8, testConfig, false},
		{"none", "MP4V-ES/90000", "", 0, nil, false},
		{"garbled", "MP4V-ES/90000", "profile-level-id=x; config=0G", 0, nil, false},
		{"odd hex", "MP4V-ES/90000", "profile-level-id=300; config=000", 0, nil, false},
		{"other codec", "H264/90000", "", 0, nil, true},
		{"other clock", "MP4V-ES/8000", "", 0, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Unmarshal(99, c.rtpmap, parseFMTP(c.fmtp))
			if c.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.PT != 99 || f.ProfileLevelID != c.profile || !bytes.Equal(f.Config, c.config) {
				t.Errorf("got PT %d profile %d config %x", f.PT, f.ProfileLevelID, f.Config)
			}
		})
	}
}

func TestConfigFromFrame(t *testing.T) {
	vop := []byte{0, 0, 1, 0xb6, 0x10, 0x60, 0x8d}
	gov := []byte{0, 0, 1, 0xb3, 0x00, 0x10, 0x07}
	vol := testConfig[11:30] // VO + VOL
	cases := []struct {
		name  string
		frame []byte
		want  []byte
	}{
		{"VOS..VOL, GOV, VOP", append(append(append([]byte(nil), testConfig...), gov...), vop...), testConfig},
		{"VO+VOL only", append(append([]byte(nil), vol...), vop...), vol},
		{"headers alone", testConfig, testConfig},
		{"P frame", vop, nil},
		{"VOS without VOL", append(append([]byte(nil), testConfig[:11]...), vop...), nil},
		{"empty", nil, nil},
	}
	for _, c := range cases {
		if got := ConfigFromFrame(c.frame); !bytes.Equal(got, c.want) {
			t.Errorf("%s: got %x, want %x", c.name, got, c.want)
		}
	}
}

func TestIsRandomAccess(t *testing.T) {
	i := []byte{0, 0, 1, 0xb6, 0x10, 0x60}
	p := []byte{0, 0, 1, 0xb6, 0x51, 0x60}
	if !IsRandomAccess([][]byte{append(append([]byte(nil), testConfig...), i...)}) {
		t.Error("I-VOP not seen")
	}
	if IsRandomAccess([][]byte{p}) || IsRandomAccess([][]byte{testConfig}) || IsRandomAccess(nil) || IsRandomAccess([][]byte{{0, 0, 1, 0xb6}}) {
		t.Error("false random access")
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add("MP4V-ES/90000", (&Format{Config: testConfig}).FMTP())
	f.Add("MP4V-ES/90000", "profile-level-id=-1; config=zz")
	f.Add("mp4v-es/90000/2", "config=")
	f.Fuzz(func(t *testing.T, rtpmap, fmtp string) {
		m := parseFMTP(fmtp)
		fo, err := Unmarshal(96, rtpmap, m)
		if err != nil {
			return
		}
		if len(fo.Config) > len(m["config"])/2 || fo.ProfileLevelID < 0 || fo.ProfileLevelID > 255 {
			t.Fatalf("out of limits: %d-byte config, profile %d", len(fo.Config), fo.ProfileLevelID)
		}
		_ = fo.FMTP()
	})
}

func FuzzConfigFromFrame(f *testing.F) {
	f.Add(testConfig)
	f.Add(append(append([]byte(nil), testConfig...), 0, 0, 1, 0xb6, 0x10))
	f.Add([]byte{0, 0, 1, 0x20, 0, 0, 1})
	f.Fuzz(func(t *testing.T, frame []byte) {
		c := ConfigFromFrame(frame)
		if c != nil && (len(c) > len(frame) || !bytes.Contains(frame, c) || !bytes.HasPrefix(c, startCodePrefix)) {
			t.Fatalf("config %x not a start of headers in %x", c, frame)
		}
		IsRandomAccess([][]byte{frame})
	})
}
