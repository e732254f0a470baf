//go:build unix

package inspect

import (
	"path/filepath"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Dirs opens files relative to a descriptor of their directory, each
// directory opened once: the kernel then walks one name per file instead of
// the whole path again (a tenth of plugctl list's time went to opening
// files, half of that to walking their paths). Its zero value is ready, it
// is safe for concurrent use, and it belongs to one run: a directory
// renamed or replaced meanwhile is still read where it was first found.
// Close closes the descriptors.
type Dirs struct {
	mu    sync.Mutex
	fds   map[string]int // directory (as the paths name it) -> descriptor; -1: opened by path
	limit int            // how many it may keep open (heldDirs)
}

// maxDirs bounds the descriptors Dirs keeps open: the files of further
// directories are opened by their whole path.
const maxDirs = 32

// heldDirs is how many directories Dirs may keep open under a limit on
// open descriptors (RLIMIT_NOFILE) of soft: a 32nd of it, at most maxDirs.
// Under a low limit (ulimit -n) the held directories would take the
// descriptors the files themselves need.
func heldDirs(soft uint64) int {
	return int(min(soft/32, maxDirs))
}

// open opens path with flags, relative to its directory's descriptor where
// it has one; a nil Dirs opens by the whole path.
func (d *Dirs) open(path string, flags int) (int, error) {
	dir, name := filepath.Split(path)
	if d == nil || dir == "" || name == "" || name == "." || name == ".." {
		return syscall.Open(path, flags, 0)
	}
	fd := d.dir(dir)
	if fd < 0 {
		return syscall.Open(path, flags, 0)
	}
	return unix.Openat(fd, name, flags|fileFlags, 0)
}

// dir returns dir's descriptor, opening it the first time, or -1.
func (d *Dirs) dir(dir string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if fd, ok := d.fds[dir]; ok {
		return fd
	}
	if d.fds == nil {
		d.fds = map[string]int{}
		var lim unix.Rlimit
		if unix.Getrlimit(unix.RLIMIT_NOFILE, &lim) == nil {
			d.limit = heldDirs(uint64(lim.Cur)) // an int64 on FreeBSD
		}
	}
	if len(d.fds) >= d.limit {
		return -1
	}
	fd, err := retry(func() (int, error) {
		return unix.Open(dir, dirFlags|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		fd = -1
	}
	d.fds[dir] = fd
	return fd
}

// Close closes the directories' descriptors, once no open through Dirs is
// under way (one may be using a descriptor); Dirs can be used again after.
func (d *Dirs) Close() {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, fd := range d.fds {
		if fd >= 0 {
			syscall.Close(fd)
		}
	}
	d.fds = nil
}
