package v4l2

import (
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Nodes lists the /dev/videoN nodes under root ("/dev" when empty) in
// numeric order, so video10 comes after video2: the order devices are
// numbered in for videodeviceN and tried in when looking for an encoder.
func Nodes(root string) ([]string, error) {
	if root == "" {
		root = "/dev"
	}
	paths, err := filepath.Glob(filepath.Join(root, "video*"))
	if err != nil {
		return nil, err
	}
	num := func(p string) int {
		n, _ := strconv.Atoi(strings.TrimPrefix(filepath.Base(p), "video"))
		return n
	}
	sort.SliceStable(paths, func(i, j int) bool { return num(paths[i]) < num(paths[j]) })
	return paths, nil
}
