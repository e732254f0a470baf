//go:build linux

package procstate

import (
	"errors"
	"slices"
	"sync"

	"golang.org/x/sys/unix"
)

// held is a file or directory under /proc that snapshots keep open and read
// again from its start. Opening a path under /proc costs far more than
// reading it (here 8-10 µs against 1 µs for the task list or the timers),
// and a worker reads three after every plugin.
//
// Its descriptor is one a plugin can close, or open another file on, like
// any other: each use first checks that the descriptor is still open on the
// file it was opened on, and opens the file again when not. Snapshots leave
// held descriptors out of the process's descriptors (isHeld).
type held struct {
	mu       sync.Mutex
	path     string
	fd       int // -1: not open
	dev, ino uint64
	buf      []byte
}

var (
	heldFDs    = &held{path: "/proc/self/fd", fd: -1}
	heldTasks  = &held{path: "/proc/self/task", fd: -1}
	heldTimers = &held{path: "/proc/self/timers", fd: -1}
)

// heldFloor is the lowest descriptor a held file takes when the limit on
// descriptors allows: out of the way of the low numbers plugins' files get,
// so that a plugin finds the descriptors it would find without plugctl.
const heldFloor = 40

// open returns h's descriptor, opening the file when it is not open or the
// descriptor is now open on something else, and the file's status. Call it
// with h.mu held.
func (h *held) open() (int, unix.Stat_t, error) {
	var st unix.Stat_t
	if h.fd >= 0 {
		if unix.Fstat(h.fd, &st) == nil && st.Dev == h.dev && st.Ino == h.ino {
			return h.fd, st, nil
		}
		// Not ours any more: whoever has the number now keeps it.
		h.fd = -1
	}
	fd, err := unix.Open(h.path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, st, err
	}
	if high, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, heldFloor); err == nil {
		unix.Close(fd)
		fd = high
	}
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, st, err
	}
	h.fd, h.dev, h.ino = fd, st.Dev, st.Ino
	return fd, st, nil
}

// size returns the size the file's status gives: for /proc/self/fd, how
// many descriptors are open (Linux 6.2 and later; 0 before).
func (h *held) size() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, st, err := h.open()
	if err != nil {
		return 0
	}
	return st.Size
}

// read returns the file's contents, read from its start (at most 1 MiB).
func (h *held) read() ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fd, _, err := h.open()
	if err != nil {
		return nil, err
	}
	if h.buf == nil {
		h.buf = make([]byte, 4096)
	}
	n := 0
	for {
		m, err := unix.Pread(fd, h.buf[n:], int64(n))
		if err != nil {
			return nil, err
		}
		n += m
		if m == 0 || n < len(h.buf) || n >= 1<<20 {
			return slices.Clone(h.buf[:n]), nil
		}
		h.buf = append(h.buf, make([]byte, len(h.buf))...)
	}
}

// numbers lists the entries of the directory that are numbers, like the
// descriptors in /proc/self/fd and the threads in /proc/self/task.
func (h *held) numbers() ([]int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fd, _, err := h.open()
	if err != nil {
		return nil, err
	}
	if _, err := unix.Seek(fd, 0, 0); err != nil {
		return nil, err
	}
	if h.buf == nil {
		h.buf = make([]byte, 8192)
	}
	var nums []int
	for {
		n, err := unix.Getdents(fd, h.buf)
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return nums, nil
		}
		var ok bool
		if nums, ok = direntNumbers(h.buf[:n], nums); !ok {
			return nil, errors.New(h.path + ": malformed directory entries")
		}
	}
}

// direntNumbers appends to nums the names in buf, linux_dirent64 records,
// that are decimal numbers; ok is false when a record does not fit.
func direntNumbers(buf []byte, nums []int) (out []int, ok bool) {
	// struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8
	// d_type; char d_name[]; }, the name ended by a NUL.
	const nameAt = 19
	for len(buf) > 0 {
		if len(buf) < nameAt {
			return nums, false
		}
		reclen := int(buf[16]) | int(buf[17])<<8
		if reclen <= nameAt || reclen > len(buf) {
			return nums, false
		}
		name := buf[nameAt:reclen]
		v, digits := 0, 0
		for _, c := range name {
			if c < '0' || c > '9' || digits > 9 {
				break
			}
			v, digits = v*10+int(c-'0'), digits+1
		}
		if digits > 0 && digits < len(name) && name[digits] == 0 {
			nums = append(nums, v)
		}
		buf = buf[reclen:]
	}
	return nums, true
}

// heldIdentity is a held file's descriptor and what it is open on.
type heldIdentity struct {
	fd       int
	dev, ino uint64
}

// heldNow returns the held files' descriptors as they are.
func heldNow() []heldIdentity {
	out := make([]heldIdentity, 0, 3)
	for _, h := range []*held{heldFDs, heldTasks, heldTimers} {
		h.mu.Lock()
		if h.fd >= 0 {
			out = append(out, heldIdentity{h.fd, h.dev, h.ino})
		}
		h.mu.Unlock()
	}
	return out
}
