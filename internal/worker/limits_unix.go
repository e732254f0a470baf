//go:build darwin || freebsd || linux || netbsd

package worker

import (
	"time"

	"golang.org/x/sys/unix"
)

// limitSelf caps the worker's address space at maxMemory bytes (0: no cap)
// and turns core dumps off: a crashing plugin is reported, not dumped.
func limitSelf(maxMemory uint64) error {
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}); err != nil {
		return err
	}
	if maxMemory == 0 {
		return nil
	}
	return unix.Setrlimit(unix.RLIMIT_AS, &unix.Rlimit{Cur: maxMemory, Max: maxMemory})
}

// setCPULimit lets the next plugin use d of CPU time from now (0: no limit)
// before the kernel ends the worker with SIGXCPU. Only the soft limit moves,
// so a reused worker can raise it again for the next plugin.
func setCPULimit(d time.Duration) {
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_CPU, &lim) != nil {
		return
	}
	lim.Cur = lim.Max
	if d > 0 {
		var ru unix.Rusage
		if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
			return
		}
		used := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		secs := uint64((used + d + time.Second - 1) / time.Second)
		if secs < lim.Max {
			lim.Cur = secs
		}
	}
	_ = unix.Setrlimit(unix.RLIMIT_CPU, &lim)
}
