package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// public returns c without the unexported bookkeeping, for comparisons.
func public(c *Config) Config {
	out := *c
	out.pos, out.present, out.written = nil, nil, nil
	out.Users = append([]User(nil), c.Users...)
	for i := range out.Users {
		out.Users[i].at = Pos{}
	}
	out.Outputs = append([]Output(nil), c.Outputs...)
	for i := range out.Outputs {
		out.Outputs[i].at = Pos{}
	}
	out.Proxies = append([]Proxy(nil), c.Proxies...)
	for i := range out.Proxies {
		out.Proxies[i].at = Pos{}
	}
	out.Pushers = append([]Pusher(nil), c.Pushers...)
	for i := range out.Pushers {
		out.Pushers[i].at = Pos{}
	}
	return out
}

func TestDefault(t *testing.T) {
	c := Default()
	wd, _ := os.Getwd()
	want := Config{
		RTSPEnable:     true,
		RTSPPort:       554,
		RTSPS:          RTSPS{Port: 322},
		LoopNums:       1,
		HTTPPort:       80,
		HTTPSPort:      443,
		LogEnable:      true,
		LogLevel:       LogInfo,
		HTTPNotify:     Notify{Method: "POST", Timeout: 5 * time.Second},
		SessionTimeout: 60 * time.Second,
		GOPCache:       DefaultGOPCache,
		PublishTimeout: 10 * time.Second,
		MediaDir:       wd,
	}
	if got := public(c); !reflect.DeepEqual(got, want) {
		t.Fatalf("Default() =\n%+v\nwant\n%+v", got, want)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	if u := c.Unsupported(nil); len(u) != 0 {
		t.Fatalf("Default().Unsupported(nil) = %q, want nothing: defaults are not the file's doing", u)
	}
}

// TestVendorFile reads a file in the vendor's layout (BOM, CRLF, the RTSPS
// group as a second rtsp_enable/rtsp_port) and checks every value.
func TestVendorFile(t *testing.T) {
	c, err := Load("testdata/vendor.cfg")
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs("testdata")
	want := Config{
		RTSPEnable: true,
		RTSPPort:   8554,
		RTSPS: RTSPS{Enable: true, Port: 8322,
			Cert: filepath.Join("testdata", "ssl.ca"), Key: filepath.Join("testdata", "ssl.key")},
		LoopNums:      -1,
		UDPBasePort:   22000,
		RTSPOverHTTP:  true,
		HTTPPort:      8080,
		HTTPSPort:     8443,
		HTTPSCert:     filepath.Join("testdata", "ssl.ca"),
		HTTPSKey:      filepath.Join("testdata", "ssl.key"),
		NeedAuth:      true,
		LogEnable:     true,
		LogLevel:      LogDebug,
		RTSPOverHTTPS: false,
		HTTPNotify: Notify{Enable: true,
			OnConnect: "http://127.0.0.1:8000/connect",
			OnPlay:    "http://127.0.0.1:8000/play",
			OnDone:    "http://127.0.0.1:8000/done",
			Method:    "GET", Timeout: 5 * time.Second},
		Users: []User{{Username: "admin", Password: "admin"}, {Username: "viewer", Password: "example"}},
		Outputs: []Output{
			{URL: "videodevice",
				Video: Video{Codec: VideoH264, Width: 1280, Height: 720, FrameRate: 25, Bitrate: 2048},
				Audio: Audio{Codec: AudioG711A, SampleRate: 8000, Channels: 1}},
			{URL: "screenlive",
				Video: Video{Codec: VideoH265, FrameRate: 15},
				Audio: Audio{Codec: AudioAAC, SampleRate: 44100, Channels: 2, Bitrate: 128}},
			{},
		},
		Proxies: []Proxy{
			{Suffix: "proxy1", URL: "rtsp://192.168.1.3/live", User: "admin", Pass: "admin", Transfer: TransferTCP, OnDemand: true},
			{Suffix: "proxy2", URL: "rtsp://192.168.1.4:554/stream1", Transfer: TransferUDP, OnDemand: false},
		},
		Pushers: []Pusher{
			{Suffix: "pusher1", Video: Video{Codec: VideoH264},
				Audio:    Audio{Codec: AudioG711U, SampleRate: 8000, Channels: 1},
				Transfer: PusherTransfer{Mode: PushTCP, VPort: 50001, APort: 50002}},
			{Suffix: "pusher2", Video: Video{Codec: VideoH265},
				Transfer: PusherTransfer{Mode: PushRTSP, VPort: 50003, APort: 50004}},
		},
		Backchannel:    true,
		MediaDir:       dir,
		SessionTimeout: 60 * time.Second,
		GOPCache:       DefaultGOPCache,
		PublishTimeout: 10 * time.Second,
		Path:           "testdata/vendor.cfg",
	}
	if got := public(c); !reflect.DeepEqual(got, want) {
		t.Fatalf("Load(vendor.cfg) =\n%+v\nwant\n%+v", got, want)
	}
	if got, want := c.UserMap(), map[string]string{"admin": "admin", "viewer": "example"}; !reflect.DeepEqual(got, want) {
		t.Errorf("UserMap() = %v, want %v", got, want)
	}
}

// TestRootfsDefault checks the configuration shipped in the firmware image.
func TestRootfsDefault(t *testing.T) {
	const path = "../../rootfs/overlay/etc/rtspserver.cfg"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"BEGIN", "PRIVATE KEY"} {
		if strings.Contains(string(data), secret) {
			t.Errorf("%s holds %q: no key material in the image", path, secret)
		}
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Unknown) != 0 {
		t.Errorf("Unknown = %v, want none: the shipped file uses only known elements", c.Unknown)
	}
	if c.RTSPPort != 554 || !c.RTSPEnable || c.RTSPS.Enable || c.NeedAuth || c.LogLevel != LogInfo || c.LoopNums != -1 {
		t.Errorf("shipped defaults changed: %+v", public(c))
	}
	if len(c.Users) != 1 || c.Users[0].Username != "admin" {
		t.Errorf("Users = %+v, want the one example user", c.Users)
	}
	if c.MediaDir != "/data/media" || c.SessionTimeout != time.Minute || c.MaxSessions != 16 {
		t.Errorf("MediaDir, SessionTimeout, MaxSessions = %q, %v, %d", c.MediaDir, c.SessionTimeout, c.MaxSessions)
	}
	if c.GOPCache != 4<<20 || c.PublishTimeout != 10*time.Second {
		t.Errorf("GOPCache, PublishTimeout = %d, %v, want the documented 4194304 and 10 s", c.GOPCache, c.PublishTimeout)
	}
	if o := c.MatchOutput("videodevice1"); o == nil || o.Video.Codec != VideoH264 || o.Video.Width != 1280 {
		t.Errorf("MatchOutput(videodevice1) = %+v", o)
	}
}

func TestUserMap(t *testing.T) {
	c := &Config{Users: []User{{Username: "a", Password: "1"}, {Username: "b", Password: ""}}}
	if got, want := c.UserMap(), map[string]string{"a": "1", "b": ""}; !reflect.DeepEqual(got, want) {
		t.Fatalf("UserMap() = %v, want %v", got, want)
	}
}
