package firmware

import (
	"io/fs"
	"net"
	"net/netip"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"rtspcam/firmware/paths"
)

// mediaExtensions are the file endings the media folder listing shows.
var mediaExtensions = map[string]bool{
	".mp4": true, ".m4v": true, ".mov": true, ".3gp": true, ".ts": true, ".m2ts": true, ".mts": true,
	".h264": true, ".264": true, ".avc": true, ".h265": true, ".265": true, ".hevc": true, ".mjpeg": true, ".mjpg": true,
}

// maxListedFiles bounds the start-up listing of a large media folder.
const maxListedFiles = 200

// URLs lists the playback URLs: for each listening address (each interface
// address when listening on all), the test pattern and every media file.
func (a *App) URLs() []string {
	cfg := a.cfg.Load()
	names := []string{paths.TestPattern}
	names = append(names, mediaFiles(cfg.MediaDir)...)
	var out []string
	for _, scheme := range []string{"rtsp", "rtsps"} {
		addr := a.Addr(scheme)
		if addr == nil {
			continue
		}
		for _, host := range hostsOf(addr) {
			for _, n := range names {
				out = append(out, scheme+"://"+host+"/"+escapePath(n))
			}
		}
	}
	return out
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(s, " ", "%20")
	}
	return strings.Join(parts, "/")
}

// hostsOf are the host:port strings clients can use to reach addr, IPv6
// in brackets.
func hostsOf(addr net.Addr) []string {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return nil
	}
	port := strconv.Itoa(int(ap.Port()))
	ip := ap.Addr()
	if !ip.IsUnspecified() {
		return []string{net.JoinHostPort(ip.Unmap().String(), port)}
	}
	v6 := ip.Is6() && !ip.Is4In6()
	var out []string
	for _, local := range interfaceAddrs() {
		if local.Is4() || (v6 && local.Is6() && !local.IsLinkLocalUnicast()) {
			out = append(out, net.JoinHostPort(local.String(), port))
		}
	}
	return out
}

func interfaceAddrs() []netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr())
		}
	}
	sort.Slice(out, func(i, j int) bool {
		// loopback last: the addresses others can reach come first
		if out[i].IsLoopback() != out[j].IsLoopback() {
			return !out[i].IsLoopback()
		}
		return out[i].Less(out[j])
	})
	return out
}

// mediaFiles lists playable files below dir, as URL paths.
func mediaFiles(dir string) []string {
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || len(out) >= maxListedFiles {
			return filepath.SkipDir
		}
		if d.IsDir() {
			if p != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if mediaExtensions[strings.ToLower(filepath.Ext(p))] {
			if rel, err := filepath.Rel(dir, p); err == nil {
				out = append(out, filepath.ToSlash(rel))
			}
		}
		return nil
	})
	sort.Strings(out)
	return out
}
