//go:build darwin || freebsd || netbsd

package procstate

import (
	"fmt"
	"slices"

	"github.com/plugctl/plugctl/internal/loader"
	"golang.org/x/sys/unix"
)

// Take reads what can be read of the process's shared state on this system:
// the working directory, umask, descriptors, the C library's environment
// and locale, and resource limits. Signal dispositions, timers and threads
// are not read (Threads is -1: unknown).
func Take() Snapshot {
	s := Snapshot{Umask: -1, Locale: loader.Locale(), Threads: -1}
	s.Dir, _ = unix.Getwd()
	s.FDs = fds()
	s.Env = loader.CEnviron(nil)
	slices.Sort(s.Env)
	for _, l := range []struct {
		res  int
		name string
	}{{unix.RLIMIT_AS, "RLIMIT_AS"}, {unix.RLIMIT_CORE, "RLIMIT_CORE"}, {unix.RLIMIT_DATA, "RLIMIT_DATA"},
		{unix.RLIMIT_FSIZE, "RLIMIT_FSIZE"}, {unix.RLIMIT_NOFILE, "RLIMIT_NOFILE"}, {unix.RLIMIT_STACK, "RLIMIT_STACK"}} {
		var r unix.Rlimit
		if unix.Getrlimit(l.res, &r) == nil {
			s.Limits = append(s.Limits, Limit{Name: l.name, Soft: r.Cur, Max: r.Max})
		}
	}
	return s
}

// fds probes the first 4096 descriptors, as these systems have no
// /proc/self/fd to list.
func fds() []FD {
	var out []FD
	for n := 0; n < 4096; n++ {
		flags, err := unix.FcntlInt(uintptr(n), unix.F_GETFD, 0)
		if err != nil {
			continue
		}
		var st unix.Stat_t
		if unix.Fstat(n, &st) != nil {
			continue
		}
		out = append(out, FD{Num: n, Dev: uint64(st.Dev), Ino: uint64(st.Ino), CloExec: flags&unix.FD_CLOEXEC != 0,
			Desc: fmt.Sprintf("mode %o", st.Mode)})
	}
	return out
}

// MarkHostThread does nothing on these systems: threads are not counted.
func MarkHostThread() (unmark func(), err error) { return func() {}, nil }

// Mask returns 0 on these systems: signal masks are not read.
func Mask() uint64 { return 0 }
