//go:build unix

package inspect

import (
	"io"
	"io/fs"
	"syscall"
)

// OpenRegular opens path for reading if it is a regular file, and returns
// it with its size. Anything else (a FIFO, a device, a socket, a directory)
// is ErrNotRegular and is never read: the open is non-blocking, so a FIFO
// with no writer cannot stall it, and O_NOCTTY keeps a terminal from becoming
// plugctl's. The descriptor is read as it is (O_NONBLOCK does not change a
// regular file's reads), not wrapped in an os.File: that would take it back
// to blocking mode and offer it to the runtime's poller, three system calls
// a file for nothing (and os.Open makes the same offer: this is why it is
// not used).
//
// The first open does not follow a symbolic link: when it succeeds the
// path is known to name the file itself (PathIsLink false), which the
// writable check would otherwise ask with an lstat of its own. When it
// fails, for a link or anything else, the file is opened as before.
func OpenRegular(path string) (Regular, int64, error) { return openRegular(nil, path) }

// openRegular is OpenRegular, opening path relative to its directory's
// descriptor in dirs (nil: by the whole path).
func openRegular(dirs *Dirs, path string) (Regular, int64, error) {
	const flags = syscall.O_RDONLY | syscall.O_CLOEXEC | syscall.O_NONBLOCK | syscall.O_NOCTTY
	link := false
	fd, err := retry(func() (int, error) { return dirs.open(path, flags|syscall.O_NOFOLLOW) })
	if err != nil {
		fd, err = retry(func() (int, error) { return syscall.Open(path, flags, 0) })
		link = err == nil && !notLink(path)
	}
	if err == syscall.ENXIO { // what opening a socket says
		var st syscall.Stat_t
		if syscall.Stat(path, &st) == nil && st.Mode&syscall.S_IFMT != syscall.S_IFREG {
			err = notRegular(fileMode(uint32(st.Mode)))
		}
	}
	if err != nil {
		return nil, 0, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	var st syscall.Stat_t
	if _, err := retry(func() (int, error) { return 0, syscall.Fstat(fd, &st) }); err != nil {
		syscall.Close(fd)
		return nil, 0, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		syscall.Close(fd)
		return nil, 0, &fs.PathError{Op: "open", Path: path, Err: notRegular(fileMode(uint32(st.Mode)))}
	}
	return &fdFile{fd: fd, path: path, size: st.Size, mode: permissions(uint32(st.Mode)), link: link}, st.Size, nil
}

// notLink reports whether lstat says path is no symbolic link.
func notLink(path string) bool {
	var st syscall.Stat_t
	_, err := retry(func() (int, error) { return 0, syscall.Lstat(path, &st) })
	return err == nil && st.Mode&syscall.S_IFMT != syscall.S_IFLNK
}

// permissions is a regular file's stat mode as os.Stat gives it.
func permissions(m uint32) fs.FileMode {
	mode := fs.FileMode(m & 0o777)
	if m&syscall.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if m&syscall.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if m&syscall.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// fdFile is a regular file's descriptor, read with pread and read.
type fdFile struct {
	fd   int
	path string
	size int64
	mode fs.FileMode
	link bool
	off  int64 // Read's offset
}

func (f *fdFile) Mode() fs.FileMode { return f.mode }

func (f *fdFile) PathIsLink() bool { return f.link }

func (f *fdFile) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &fs.PathError{Op: "read", Path: f.path, Err: syscall.EINVAL}
	}
	n := 0
	for n < len(b) {
		m, err := retry(func() (int, error) { return syscall.Pread(f.fd, b[n:], off+int64(n)) })
		if err != nil {
			return n, &fs.PathError{Op: "read", Path: f.path, Err: err}
		}
		if m == 0 {
			return n, io.EOF
		}
		n += m
	}
	return n, nil
}

func (f *fdFile) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, err := f.ReadAt(b, f.off)
	f.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (f *fdFile) Close() error { return syscall.Close(f.fd) }

func (f *fdFile) Size() int64 { return f.size }

func retry(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// fileMode is the type bits of a stat mode as an fs.FileMode.
func fileMode(m uint32) fs.FileMode {
	switch m & syscall.S_IFMT {
	case syscall.S_IFDIR:
		return fs.ModeDir
	case syscall.S_IFIFO:
		return fs.ModeNamedPipe
	case syscall.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFBLK:
		return fs.ModeDevice
	case syscall.S_IFSOCK:
		return fs.ModeSocket
	}
	return fs.ModeIrregular
}
