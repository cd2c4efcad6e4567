package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// FileName is the file Find looks for in the working folder.
const FileName = "rtspserver.cfg"

// Load reads, parses and validates the file at path. Relative paths in it
// (media_dir, certificates, keys) are taken from the file's folder, and
// MediaDir is made absolute.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	c, err := Parse(data, path)
	if err != nil {
		return nil, err
	}
	if abs, err := filepath.Abs(c.MediaDir); err == nil {
		c.MediaDir = abs
	}
	return c, nil
}

// Find implements the lookup rule: the explicit path (from -c) must exist;
// without one, FileName in the working folder is read if present; else the
// built-in Default.
func Find(explicit string) (*Config, error) {
	if explicit != "" {
		return Load(explicit)
	}
	_, err := os.Stat(FileName)
	switch {
	case err == nil:
		return Load(FileName)
	case errors.Is(err, fs.ErrNotExist):
		return Default(), nil
	default:
		return nil, fmt.Errorf("config: %w", err)
	}
}
