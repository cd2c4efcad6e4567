// Package paths maps the path of an rtsp:// URL to what the firmware can
// stream, and keeps file paths inside the media folder.
package paths

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Kind is what a URL path names.
type Kind int

const (
	KindFile        Kind = iota // a media file in the media folder
	KindTestPattern             // the built-in test pattern
	KindVideoDevice             // videodevice, videodeviceN, videodevice=Name
	KindAudioDevice             // audiodevice, audiodeviceN, audiodevice=Name
	KindScreen                  // screenlive, screenliveN
	KindWindow                  // window=Title
)

func (k Kind) String() string {
	switch k {
	case KindFile:
		return "file"
	case KindTestPattern:
		return "test pattern"
	case KindVideoDevice:
		return "video device"
	case KindAudioDevice:
		return "audio device"
	case KindScreen:
		return "screen"
	case KindWindow:
		return "window"
	}
	return "unknown"
}

// TestPattern is the path of the built-in test pattern.
const TestPattern = "testpattern"

// Target is a resolved path.
type Target struct {
	Kind Kind
	Name string // the URL path
	Arg  string // device index or name, window title, or the file's absolute path
}

// ErrOutside is returned for a path that would leave the media folder.
var ErrOutside = errors.New("path leaves the media folder")

// ErrNotFound is returned for a file that does not exist.
var ErrNotFound = errors.New("no such media")

// Classify names the kind of a decoded URL path without touching the disk.
func Classify(p string) Target {
	lower := strings.ToLower(p)
	switch {
	case lower == TestPattern:
		return Target{Kind: KindTestPattern, Name: p}
	case strings.HasPrefix(lower, "videodevice"):
		return Target{Kind: KindVideoDevice, Name: p, Arg: deviceArg(p[len("videodevice"):])}
	case strings.HasPrefix(lower, "audiodevice"):
		return Target{Kind: KindAudioDevice, Name: p, Arg: deviceArg(p[len("audiodevice"):])}
	case strings.HasPrefix(lower, "screenlive"):
		return Target{Kind: KindScreen, Name: p, Arg: p[len("screenlive"):]}
	case strings.HasPrefix(lower, "window="):
		return Target{Kind: KindWindow, Name: p, Arg: p[len("window="):]}
	}
	return Target{Kind: KindFile, Name: p}
}

func deviceArg(s string) string { return strings.TrimPrefix(s, "=") }

// ResolveFile returns the absolute path of the media file p names inside
// mediaDir. It refuses anything that leaves the folder: "..", absolute
// paths, and symbolic links that point outside it.
func ResolveFile(mediaDir, p string) (string, error) {
	if p == "" || strings.ContainsRune(p, 0) || filepath.IsAbs(p) || strings.HasPrefix(p, "/") || strings.ContainsRune(p, '\\') {
		return "", fmt.Errorf("%q: %w", p, ErrOutside)
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return "", fmt.Errorf("%q: %w", p, ErrOutside)
		}
	}
	root, err := filepath.EvalSymlinks(mediaDir)
	if err != nil {
		return "", fmt.Errorf("media folder: %w", err)
	}
	root, err = filepath.Abs(root)
	if err != nil {
		return "", err
	}
	full, err := filepath.EvalSymlinks(filepath.Join(root, filepath.FromSlash(p)))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%q: %w", p, ErrNotFound)
		}
		return "", fmt.Errorf("%q: %w", p, err)
	}
	rel, err := filepath.Rel(root, full)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", fmt.Errorf("%q: %w", p, ErrOutside)
	}
	fi, err := os.Stat(full)
	if err != nil {
		return "", fmt.Errorf("%q: %w", p, ErrNotFound)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%q is not a file: %w", p, ErrNotFound)
	}
	return full, nil
}
