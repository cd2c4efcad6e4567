package paths

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestResolveFileStaysInside(t *testing.T) {
	root := t.TempDir()
	media := filepath.Join(root, "media")
	os.MkdirAll(filepath.Join(media, "sub"), 0o755)
	os.WriteFile(filepath.Join(media, "a.mp4"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(media, "sub", "b.mp4"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(root, "secret.txt"), []byte("secret"), 0o644)
	os.Symlink(filepath.Join(root, "secret.txt"), filepath.Join(media, "leak.mp4"))
	os.Symlink(filepath.Join(media, "a.mp4"), filepath.Join(media, "alias.mp4"))

	for _, ok := range []string{"a.mp4", "sub/b.mp4", "alias.mp4"} {
		if _, err := ResolveFile(media, ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"../secret.txt", "sub/../../secret.txt", "/etc/passwd", "leak.mp4", "..", "sub\\..\\..\\secret.txt", "a.mp4\x00"} {
		_, err := ResolveFile(media, bad)
		if !errors.Is(err, ErrOutside) {
			t.Errorf("%q: got %v, want ErrOutside", bad, err)
		}
	}
	for _, missing := range []string{"nope.mp4", "sub"} {
		if _, err := ResolveFile(media, missing); !errors.Is(err, ErrNotFound) {
			t.Errorf("%q: got %v, want ErrNotFound", missing, err)
		}
	}
}

func TestClassify(t *testing.T) {
	cases := map[string]Target{
		"testpattern":            {Kind: KindTestPattern, Name: "testpattern"},
		"videodevice":            {Kind: KindVideoDevice, Name: "videodevice"},
		"videodevice1":           {Kind: KindVideoDevice, Name: "videodevice1", Arg: "1"},
		"videodevice=USB Camera": {Kind: KindVideoDevice, Name: "videodevice=USB Camera", Arg: "USB Camera"},
		"audiodevice2":           {Kind: KindAudioDevice, Name: "audiodevice2", Arg: "2"},
		"screenlive1":            {Kind: KindScreen, Name: "screenlive1", Arg: "1"},
		"window=Firefox":         {Kind: KindWindow, Name: "window=Firefox", Arg: "Firefox"},
		"movies/clip.mp4":        {Kind: KindFile, Name: "movies/clip.mp4"},
	}
	for in, want := range cases {
		if got := Classify(in); got != want {
			t.Errorf("%q: got %+v want %+v", in, got, want)
		}
	}
}
