//go:build unix

package inspect

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Files opened through Dirs are opened relative to their directory's
// descriptor, opened once: once a directory is renamed, its files are
// still found where it was first opened.
func TestDirsOpenRelativeToTheDirectory(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "plugins")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.so", "b.so"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("\x7fELF "+name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var dirs Dirs
	defer dirs.Close()
	read := func(name string) (string, error) {
		r, size, err := openRegular(&dirs, filepath.Join(dir, name))
		if err != nil {
			return "", err
		}
		defer r.Close()
		b := make([]byte, size)
		_, err = r.ReadAt(b, 0)
		return string(b), err
	}
	if got, err := read("a.so"); err != nil || got != "\x7fELF a.so" {
		t.Fatalf("a.so: %q, %v", got, err)
	}
	if err := os.Rename(dir, filepath.Join(base, "moved")); err != nil {
		t.Fatal(err)
	}
	if got, err := read("b.so"); err != nil || got != "\x7fELF b.so" {
		t.Errorf("b.so, its directory moved after Dirs opened it: %q, %v; want it read through the directory's descriptor", got, err)
	}
	// By the whole path, the file is gone.
	if _, _, err := OpenRegular(filepath.Join(dir, "b.so")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenRegular after the move: %v, want not found", err)
	}
}

// What Dirs opens is what OpenRegular opens: links are followed and
// known for links, anything but a regular file is refused, a missing
// file is not found, and errors name the whole path.
func TestDirsOpenAsOpenRegular(t *testing.T) {
	dir := t.TempDir()
	file, link := filepath.Join(dir, "lib.so"), filepath.Join(dir, "link.so")
	fifo, sub := filepath.Join(dir, "fifo.so"), filepath.Join(dir, "sub.so")
	if err := os.WriteFile(file, []byte("\x7fELF"), 0o644); err != nil {
		t.Fatal(err)
	}
	if os.Symlink(file, link) != nil || syscall.Mkfifo(fifo, 0o644) != nil || os.Mkdir(sub, 0o755) != nil {
		t.Fatal("cannot make the link, the FIFO or the directory")
	}
	var dirs Dirs
	defer dirs.Close()
	for _, path := range []string{file, link, fifo, sub, filepath.Join(dir, "missing.so"), filepath.Join(dir, "lib.so", "x.so"), "relative.so", dir + "/"} {
		want := describeOpen(OpenRegular(path))
		if got := describeOpen(openRegular(&dirs, path)); got != want {
			t.Errorf("%s: through Dirs %s, by path %s", path, got, want)
		}
	}
}

func describeOpen(r Regular, size int64, err error) string {
	if err != nil {
		return "error " + err.Error()
	}
	defer r.Close()
	return fmt.Sprintf("size %d mode %v link %v", size, r.Mode(), r.PathIsLink())
}

// Dirs keeps at most heldDirs descriptors open, and Close closes them.
func TestDirsBound(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	want := heldDirs(uint64(lim.Cur))
	base := t.TempDir()
	var dirs Dirs
	for i := range want + 3 {
		dir := filepath.Join(base, fmt.Sprint(i))
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "lib.so")
		if err := os.WriteFile(path, []byte("\x7fELF"), 0o644); err != nil {
			t.Fatal(err)
		}
		r, _, err := openRegular(&dirs, path)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		r.Close()
	}
	open := 0
	var held []int
	for _, fd := range dirs.fds {
		if fd >= 0 {
			open++
			held = append(held, fd)
		}
	}
	if open != want {
		t.Errorf("%d directories held open, want %d", open, want)
	}
	dirs.Close()
	for _, fd := range held {
		var st syscall.Stat_t
		if err := syscall.Fstat(fd, &st); err != syscall.EBADF {
			t.Errorf("descriptor %d after Close: %v, want EBADF", fd, err)
		}
	}
}

// Dirs holds a 32nd of the descriptors a process may open, at most maxDirs:
// none under a limit as low as ulimit -n 24.
func TestHeldDirs(t *testing.T) {
	for soft, want := range map[uint64]int{0: 0, 24: 0, 31: 0, 64: 2, 512: 16, 1024: maxDirs, 1 << 20: maxDirs, math.MaxUint64: maxDirs} {
		if got := heldDirs(soft); got != want {
			t.Errorf("heldDirs(%d) = %d, want %d", soft, got, want)
		}
	}
}
