//go:build darwin || freebsd || linux || netbsd

package loader

import (
	"bytes"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
	"golang.org/x/sys/unix"
)

// crashSignals are the signals a faulting or aborting plugin raises, and the
// CPU and file size limit signals.
var crashSignals = []unix.Signal{
	unix.SIGSEGV, unix.SIGBUS, unix.SIGFPE, unix.SIGILL, unix.SIGABRT,
	unix.SIGTRAP, unix.SIGSYS, unix.SIGXCPU, unix.SIGXFSZ,
}

// libcFuncs are the C library's functions and data the worker needs.
type libcFuncs struct {
	signal, fflush, setlocale uintptr
	environ                   uintptr // the address of the variable environ
}

var libc = sync.OnceValues(func() (libcFuncs, error) {
	var f libcFuncs
	for _, s := range []struct {
		name string
		addr *uintptr
	}{{"signal", &f.signal}, {"fflush", &f.fflush}, {"setlocale", &f.setlocale}, {"environ", &f.environ}} {
		var err error
		if *s.addr, err = purego.Dlsym(purego.RTLD_DEFAULT, s.name); err != nil {
			return f, err
		}
	}
	return f, nil
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

// lcAll is LC_ALL, setlocale's category for the whole locale.
const lcAll = unixLCAll

// Locale returns the C library's current locale, as setlocale(LC_ALL, NULL)
// names it ("C", or one name per category), or "" when it cannot be read.
// It only reads: it never changes the locale.
func Locale() string {
	f, err := libc()
	if err != nil {
		return ""
	}
	p, _, _ := purego.SyscallN(f.setlocale, lcAll, 0)
	return cString(p, 4096)
}

// CEnviron returns the C library's environment (environ), which is what a
// plugin's getenv and setenv see; Go keeps its own copy, which a plugin
// cannot change. Strings longer than 64 KiB are cut there. When the
// environment holds exactly the strings of last (a previous result), last
// itself is returned, and nothing is copied.
func CEnviron(last []string) []string {
	f, err := libc()
	if err != nil {
		return nil
	}
	env := *(*uintptr)(ptr(f.environ))
	entry := func(i int) uintptr {
		return *(*uintptr)(ptr(env + uintptr(i)*unsafe.Sizeof(uintptr(0))))
	}
	if env != 0 && sameStrings(entry, last) {
		return last
	}
	var out []string
	for i := 0; env != 0 && i < 1<<20; i++ {
		s := entry(i)
		if s == 0 {
			break
		}
		out = append(out, cString(s, 64<<10))
	}
	return out
}

// sameStrings reports whether the NUL-terminated array entry(0), entry(1),
// ... holds exactly the strings of want, in order.
func sameStrings(entry func(int) uintptr, want []string) bool {
	for i, w := range want {
		p := entry(i)
		if p == 0 || len(w) >= 64<<10 {
			return false
		}
		// The string, then its NUL: reading stops at the first difference,
		// so never past the C string's end.
		for j := 0; j <= len(w); j++ {
			c := *(*byte)(ptr(p + uintptr(j)))
			if j == len(w) {
				if c != 0 {
					return false
				}
			} else if c != w[j] {
				return false
			}
		}
	}
	return entry(len(want)) == 0
}

// cString copies the NUL-terminated string at p, at most max bytes of it.
func cString(p uintptr, max int) string {
	if p == 0 {
		return ""
	}
	// Scan a page-bounded chunk at a time: a string may end just before
	// unmapped memory, so never read past the page the NUL may be on.
	var b []byte
	for len(b) < max {
		n := min(int(pageSize-(p+uintptr(len(b)))%pageSize), max-len(b))
		chunk := unsafe.Slice((*byte)(ptr(p+uintptr(len(b)))), n)
		if i := bytes.IndexByte(chunk, 0); i >= 0 {
			return string(append(b, chunk[:i]...))
		}
		b = append(b, chunk...)
	}
	return string(b)
}

// pageSize bounds the reads of cString; 4 KiB divides every page size.
const pageSize = 4096

// ptr turns an address in C memory into a pointer without the conversion
// vet warns about: the memory is not Go's, so the collector never moves it.
func ptr(addr uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&addr)) }
