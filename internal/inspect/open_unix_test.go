//go:build unix

package inspect

import (
	"os"
	"path/filepath"
	"testing"
)

// Opening tells whether the path names the file itself: a regular file
// is no link, a link to it (or a link to a link) is one.
func TestOpenRegularPathIsLink(t *testing.T) {
	dir := t.TempDir()
	file, link, chain := filepath.Join(dir, "lib.so"), filepath.Join(dir, "link.so"), filepath.Join(dir, "chain.so")
	if err := os.WriteFile(file, []byte("\x7fELF"), 0o644); err != nil {
		t.Fatal(err)
	}
	if os.Symlink(file, link) != nil || os.Symlink(link, chain) != nil {
		t.Fatal("cannot make links")
	}
	for path, want := range map[string]bool{file: false, link: true, chain: true} {
		r, _, err := OpenRegular(path)
		if err != nil {
			t.Fatal(err)
		}
		if r.PathIsLink() != want {
			t.Errorf("%s: PathIsLink %v, want %v", filepath.Base(path), r.PathIsLink(), want)
		}
		r.Close()
	}
}
