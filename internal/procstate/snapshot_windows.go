//go:build windows

package procstate

import (
	"os"
	"slices"
)

// Take reads what can be read of the process's shared state on Windows: the
// working directory and the environment. Threads is -1: unknown.
func Take() Snapshot {
	s := Snapshot{Umask: -1, Threads: -1}
	s.Dir, _ = os.Getwd()
	s.Env = os.Environ() // read from the process's environment block each time
	slices.Sort(s.Env)
	return s
}

// MarkHostThread does nothing on Windows: threads are not counted.
func MarkHostThread() (unmark func(), err error) { return func() {}, nil }

// Mask returns 0 on Windows: signal masks are not read.
func Mask() uint64 { return 0 }
