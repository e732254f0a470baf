//go:build darwin || freebsd || linux || netbsd

package loader

import (
	"sync"

	"github.com/ebitengine/purego"
	"golang.org/x/sys/unix"
)

// crashSignals are the signals a faulting or aborting plugin raises, and the
// CPU and file size limit signals.
var crashSignals = []unix.Signal{
	unix.SIGSEGV, unix.SIGBUS, unix.SIGFPE, unix.SIGILL, unix.SIGABRT,
	unix.SIGTRAP, unix.SIGSYS, unix.SIGXCPU, unix.SIGXFSZ,
}

var libc = sync.OnceValues(func() (struct{ signal, fflush uintptr }, error) {
	var f struct{ signal, fflush uintptr }
	var err error
	if f.signal, err = purego.Dlsym(purego.RTLD_DEFAULT, "signal"); err != nil {
		return f, err
	}
	f.fflush, err = purego.Dlsym(purego.RTLD_DEFAULT, "fflush")
	return f, err
})

// DieOnFaults gives the fault signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
// SIGABRT, SIGTRAP, SIGSYS) and the limit signals (SIGXCPU, SIGXFSZ) their
// default action, so that a plugin that faults ends this process with that
// signal, for a parent to see and name, instead of the Go runtime catching it
// and exiting with status 2. Call it only in a process that exists to run
// plugins: a nil dereference in Go code then kills the process too.
func DieOnFaults() error {
	f, err := libc()
	if err != nil {
		return err
	}
	for _, sig := range crashSignals {
		purego.SyscallN(f.signal, uintptr(sig), 0 /* SIG_DFL */)
	}
	return nil
}

// FlushOutput flushes the C library's stdio buffers, so that what a plugin
// printf'd reaches its file descriptor now rather than at exit (which a
// process ended by os.Exit never reaches).
func FlushOutput() {
	if f, err := libc(); err == nil {
		purego.SyscallN(f.fflush, 0)
	}
}
