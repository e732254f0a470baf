//go:build unix

package inspect

import (
	"io/fs"
	"os"
	"syscall"
)

// OpenRegular opens path for reading if it is a regular file, and returns
// it with its size. Anything else (a FIFO, a device, a socket, a directory)
// is ErrNotRegular and is never read: the open is non-blocking, so a FIFO
// with no writer cannot stall it, and O_NOCTTY keeps a terminal from becoming
// plugctl's. The descriptor goes back to blocking mode before it is wrapped:
// os.NewFile offers a non-blocking one to the runtime's poller, which refuses
// a regular file after five wasted system calls (and os.Open makes the same
// offer: this is why it is not used).
func OpenRegular(path string) (*os.File, int64, error) {
	fd, err := retry(func() (int, error) {
		return syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	})
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
	if err := syscall.SetNonblock(fd, false); err != nil {
		syscall.Close(fd)
		return nil, 0, &fs.PathError{Op: "fcntl", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), st.Size, nil
}

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
