package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadMediaDir(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rtspserver.cfg")
	if err := os.WriteFile(path, []byte("<config><media_dir>clips</media_dir></config>"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.MediaDir != filepath.Join(dir, "clips") || c.Path != path {
		t.Fatalf("MediaDir, Path = %q, %q", c.MediaDir, c.Path)
	}

	// A relative -c path still yields an absolute media folder.
	t.Chdir(dir)
	c, err = Load("rtspserver.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if c.MediaDir != filepath.Join(dir, "clips") {
		t.Fatalf("relative Load: MediaDir = %q", c.MediaDir)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "missing.cfg")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want fs.ErrNotExist", err)
	}
	big := filepath.Join(dir, "big.cfg")
	if err := os.WriteFile(big, []byte("<config>"+strings.Repeat(" ", MaxFileSize)+"</config>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "big.cfg: file is larger than 1048576 bytes") {
		t.Errorf("Load(big) = %v", err)
	}
	bad := filepath.Join(dir, "bad.cfg")
	if err := os.WriteFile(bad, []byte("<config>\n  <http_port>web</http_port>\n</config>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := bad + `:2:14: <http_port>: "web" is not a port number (1-65535)`
	if _, err := Load(bad); err == nil || err.Error() != want {
		t.Errorf("Load(bad) = %v\nwant %s", err, want)
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)

	// Nothing anywhere: the built-in defaults.
	c, err := Find("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != "" || c.RTSPPort != 554 || c.MediaDir != dir {
		t.Fatalf("Find(\"\") without a file: Path, RTSPPort, MediaDir = %q, %d, %q", c.Path, c.RTSPPort, c.MediaDir)
	}

	// An explicit path must exist.
	if _, err := Find(filepath.Join(dir, "nope.cfg")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Find(missing) = %v, want fs.ErrNotExist", err)
	}

	// rtspserver.cfg in the working folder.
	if err := os.WriteFile(FileName, []byte("<config><rtsp_port>8554</rtsp_port></config>"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err = Find("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != FileName || c.RTSPPort != 8554 || c.MediaDir != dir {
		t.Fatalf("Find(\"\") with %s: Path, RTSPPort, MediaDir = %q, %d, %q", FileName, c.Path, c.RTSPPort, c.MediaDir)
	}

	// An explicit path wins over the working folder's file.
	other := filepath.Join(t.TempDir(), "other.cfg")
	if err := os.WriteFile(other, []byte("<config><rtsp_port>9554</rtsp_port></config>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err = Find(other); err != nil || c.RTSPPort != 9554 {
		t.Fatalf("Find(other) = %+v, %v", c, err)
	}

	// A broken file in the working folder is an error, not a silent default.
	if err := os.WriteFile(FileName, []byte("<config>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Find(""); err == nil {
		t.Fatal("Find(\"\") with a broken file succeeded")
	}
}
