package alsa

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseCards(t *testing.T) {
	t.Parallel()
	cards, err := ParseCards(readTestdata(t, "cards"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Card{
		{Number: 0, ID: "Loopback", Driver: "Loopback", Name: "Loopback", Long: "Loopback 1"},
		{Number: 1, ID: "PCH", Driver: "HDA-Intel", Name: "HDA Intel PCH", Long: "HDA Intel PCH at 0xf7f10000 irq 32"},
		{Number: 2, ID: "Device", Driver: "USB-Audio", Name: "USB PnP Sound Device",
			Long: "C-Media Electronics Inc. USB PnP Sound Device at usb-0000:00:14.0-2, full speed"},
	}
	if !reflect.DeepEqual(cards, want) {
		t.Fatalf("got %+v\nwant %+v", cards, want)
	}
	if c, err := ParseCards("--- no soundcards ---\n"); err != nil || len(c) != 0 {
		t.Fatalf("no cards: %v, %v", c, err)
	}
	for _, bad := range []string{"x [a]: b - c\n", " 0 Loopback\n", " 0 [Loopback: x\n", " 0 [ ]: a - b\n", "300 [a]: b - c\n"} {
		if _, err := ParseCards(bad); err == nil {
			t.Errorf("ParseCards(%q) took it", bad)
		}
	}
}

func TestParsePCMs(t *testing.T) {
	t.Parallel()
	pcms, err := ParsePCMs(readTestdata(t, "pcm"))
	if err != nil {
		t.Fatal(err)
	}
	want := []PCM{
		{Card: 0, Device: 0, ID: "Loopback PCM", Name: "Loopback PCM", Playback: 8, Capture: 8},
		{Card: 0, Device: 1, ID: "Loopback PCM", Name: "Loopback PCM", Playback: 8, Capture: 8},
		{Card: 1, Device: 0, ID: "ALC892 Analog", Name: "ALC892 Analog", Playback: 1, Capture: 1},
		{Card: 1, Device: 3, ID: "HDMI 0", Name: "HDMI 0", Playback: 1},
		{Card: 2, Device: 0, ID: "USB Audio", Name: "USB Audio", Capture: 1},
	}
	if !reflect.DeepEqual(pcms, want) {
		t.Fatalf("got %+v\nwant %+v", pcms, want)
	}
	for _, bad := range []string{"0-0 x : y\n", "00-00: only\n", "00-00: a : b : record 1\n", "00-00: a : b : capture x\n", "aa-00: a : b\n"} {
		if _, err := ParsePCMs(bad); err == nil {
			t.Errorf("ParsePCMs(%q) took it", bad)
		}
	}
	if _, err := ParsePCMs(strings.Repeat("\n", maxProcLines+1)); err == nil {
		t.Error("ParsePCMs took an unbounded file")
	}
}

func TestParseName(t *testing.T) {
	t.Parallel()
	cards, err := ParseCards(readTestdata(t, "cards"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]Address{
		"hw:Loopback,1,0":                 {0, 1, 0},
		"Loopback,1,0":                    {0, 1, 0},
		"hw:loopback,1,3":                 {0, 1, 3},
		"hw:1,0":                          {1, 0, -1},
		"hw:2":                            {2, 0, -1},
		"plughw:PCH,0":                    {1, 0, -1},
		"1,3,0":                           {1, 3, 0},
		"hw:CARD=Device,DEV=0":            {2, 0, -1},
		"hw:CARD=Loopback,DEV=1,SUBDEV=2": {0, 1, 2},
	} {
		got, err := ParseName(name, cards)
		if err != nil || got != want {
			t.Errorf("ParseName(%q) = %+v, %v; want %+v", name, got, err, want)
		}
	}
	for _, bad := range []string{"", "hw:", "hw:Nope,0", "hw:1,x", "hw:1,0,0,0", "hw:1,-1", "hw:1,0,999", "default"} {
		if a, err := ParseName(bad, cards); err == nil {
			t.Errorf("ParseName(%q) = %+v, want an error", bad, a)
		}
	}
}

// FuzzParseProc feeds any text to both /proc parsers and to the name
// parser: they must return an error or values inside their limits, never
// panic.
func FuzzParseProc(f *testing.F) {
	f.Add(readTestdata(f, "cards"))
	f.Add(readTestdata(f, "pcm"))
	f.Add("--- no soundcards ---\n")
	f.Add(" 0 [Loopback       ]: Loopback - Loopback\n")
	f.Add("00-00: a : b : playback 1 : capture 1\n")
	f.Add("hw:CARD=Loopback,DEV=1,SUBDEV=2")
	f.Fuzz(func(t *testing.T, text string) {
		cards, err := ParseCards(text)
		if err == nil {
			for _, c := range cards {
				if c.Number < 0 || c.Number > 255 || c.ID == "" {
					t.Fatalf("card out of range: %+v", c)
				}
			}
		}
		pcms, err := ParsePCMs(text)
		if err == nil {
			for _, p := range pcms {
				if p.Card < 0 || p.Card > 255 || p.Device < 0 || p.Device > 255 || p.Playback < 0 || p.Capture < 0 {
					t.Fatalf("pcm out of range: %+v", p)
				}
			}
		}
		if a, err := ParseName(text, cards); err == nil {
			if a.Card < 0 || a.Card > 255 || a.Device < 0 || a.Device > 255 || a.Subdevice < -1 || a.Subdevice > 255 {
				t.Fatalf("address out of range: %+v", a)
			}
		}
	})
}
