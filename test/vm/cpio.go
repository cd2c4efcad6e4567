package vm

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// cpioEntry is one file of an initramfs.
type cpioEntry struct {
	mode uint32 // type and permission bits
	data []byte // file contents or symlink target
}

// writeCPIO writes entries as a "newc" cpio archive, the format the kernel
// unpacks into its initial root. Parent folders must be entries too; they
// are written before their contents.
func writeCPIO(w io.Writer, entries map[string]cpioEntry) error {
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		di, dj := strings.Count(names[i], "/"), strings.Count(names[j], "/")
		if di != dj {
			return di < dj
		}
		return names[i] < names[j]
	})
	ino := 1
	put := func(name string, e cpioEntry) error {
		hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
			ino, e.mode, 0, 0, 1, 0, len(e.data), 0, 0, 0, 0, len(name)+1, 0)
		ino++
		if _, err := io.WriteString(w, hdr+name+"\x00"+pad(len(hdr)+len(name)+1)); err != nil {
			return err
		}
		if _, err := w.Write(e.data); err != nil {
			return err
		}
		_, err := io.WriteString(w, pad(len(e.data)))
		return err
	}
	for _, n := range names {
		if err := put(n, entries[n]); err != nil {
			return err
		}
	}
	return put("TRAILER!!!", cpioEntry{})
}

func pad(n int) string { return strings.Repeat("\x00", (4-n%4)%4) }

const (
	modeDir     = 0o040755
	modeFile    = 0o100644
	modeExec    = 0o100755
	modeSymlink = 0o120777
)
