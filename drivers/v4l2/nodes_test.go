package v4l2

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestNodesInNumericOrder(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"video10", "video2", "video0", "vbi0", "media0"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Nodes(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		names = append(names, filepath.Base(p))
	}
	if want := []string{"video0", "video2", "video10"}; !slices.Equal(names, want) {
		t.Fatalf("Nodes = %v, want %v", names, want)
	}
}
