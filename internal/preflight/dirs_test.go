package preflight

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dirs.abs makes paths absolute as filepath.Abs does, but asks for the
// working directory once per run: after a change of directory it still
// joins with the first one.
func TestDirsAbs(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows paths go to filepath.Abs")
	}
	first := t.TempDir()
	t.Chdir(first)
	var d Dirs
	for _, p := range []string{"x.so", "./a/../b.so", "a/b/", ".", "/abs/./x.so", "/abs/../y.so", "../up.so"} {
		want, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.abs(p); got != want {
			t.Errorf("abs(%q) = %q, want %q", p, got, want)
		}
	}
	second := t.TempDir()
	t.Chdir(second)
	if got, want := d.abs("x.so"), filepath.Join(first, "x.so"); got != want {
		t.Errorf("after a change of directory, abs(x.so) = %q, want %q (the run's first)", got, want)
	}
	var none *Dirs
	if got, want := none.abs("x.so"), filepath.Join(second, "x.so"); got != want {
		t.Errorf("with no Dirs, abs(x.so) = %q, want %q", got, want)
	}
	if wd, _ := os.Getwd(); wd != second {
		t.Fatalf("working directory %s", wd)
	}
}
