// Package loader opens shared libraries with the platform's own loader and
// calls a plugin's entry point with the host's callback table. It is the only
// package that uses purego and, on Windows, x/sys/windows.
//
// Open runs the library's constructors: only call it on a file you mean to
// run. Libraries are never unloaded, because a plugin may keep function
// pointers into itself alive in other threads, and Rust cdylibs that used
// threads or TLS cannot be unloaded safely anyway.
package loader

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
	"github.com/plugctl/plugctl/internal/hostapi"
)

// A Library is an opened shared library. It stays mapped for the life of the
// process.
type Library struct {
	handle uintptr
}

// OpenError is a failure of the platform loader, with its message as it gave
// it (dlerror on Unix, the system error on Windows).
type OpenError struct {
	Path string
	Msg  string
	Code uintptr // the Windows error code; 0 elsewhere
}

func (e *OpenError) Error() string { return fmt.Sprintf("cannot load %s: %s", e.Path, e.Msg) }

// ErrNoSymbol is returned by Symbol for a name the library does not export.
var ErrNoSymbol = errors.New("symbol not found")

// Open loads the library at path, which must be absolute (a bare name would
// be searched for in the system's library path), resolving every symbol now
// and keeping them local to the library. It runs the library's constructors.
func Open(path string) (*Library, error) {
	if !isAbs(path) {
		return nil, &OpenError{Path: path, Msg: "path is not absolute"}
	}
	h, err := open(path)
	if err != nil {
		return nil, err
	}
	return &Library{handle: h}, nil
}

// Symbol returns the address of the exported symbol name, or ErrNoSymbol.
func (l *Library) Symbol(name string) (uintptr, error) {
	addr, err := lookup(l.handle, name)
	if err != nil || addr == 0 {
		return 0, fmt.Errorf("%s: %w", name, ErrNoSymbol)
	}
	return addr, nil
}

// Bytes returns a copy of the n bytes at addr in the library's memory, such
// as an exported data symbol. The caller must know the object is that large.
//
// It is kept out of line: inlined with a constant n, Go 1.26's compiler
// crashes lowering the copy from a pointer made from a uintptr.
//
//go:noinline
func Bytes(addr uintptr, n int) []byte {
	b := make([]byte, n)
	copy(b, unsafe.Slice((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&addr))), n))
	return b
}

// Pointer returns the pointer stored at addr, such as a function pointer
// in a plugin's data.
//
//go:noinline
func Pointer(addr uintptr) uintptr {
	return *(*uintptr)(*(*unsafe.Pointer)(unsafe.Pointer(&addr)))
}

// CString returns a copy of the NUL-terminated string at addr, without
// the NUL, reading at most max bytes.
//
//go:noinline
func CString(addr uintptr, max int) []byte {
	p := *(*unsafe.Pointer)(unsafe.Pointer(&addr))
	var b []byte
	for i := 0; i < max; i++ {
		c := *(*byte)(unsafe.Add(p, i))
		if c == 0 {
			break
		}
		b = append(b, c)
	}
	return b
}

// hostFunctions mirrors the C struct HostFunctions of API version 1. It is a
// package variable: the plugin keeps the pointer and may call through it from
// any thread for the rest of the process's life, so the table never moves and
// is never freed.
type hostFunctions struct {
	getVersion uintptr
	log        uintptr
}

var (
	table     hostFunctions
	tableOnce sync.Once
)

// tableAddr creates the C-callable callbacks on first use and returns the
// table's address. purego's callback slots are limited and never freed, so
// they are made exactly once per process, and not at start-up, so commands
// that load nothing do not pay for them.
func tableAddr() uintptr {
	tableOnce.Do(func() {
		table.getVersion = purego.NewCallback(getVersion)
		table.log = purego.NewCallback(logMessage)
	})
	return uintptr(unsafe.Pointer(&table))
}

// The callbacks take every argument as uintptr, ctx included: a small integer
// held in an unsafe.Pointer crashes the Go runtime when the stack grows. They
// return uintptr, the one result type NewCallback accepts on every OS. A Go
// panic must never unwind into plugin code, so each recovers and records it.
//
// Each locks the goroutine to the calling thread while it runs, so that the
// runtime never starts a thread of its own from a plugin's thread (it hands
// that to its template thread when the current thread is locked): a thread
// takes its creator's name, and the worker tells a plugin's threads from
// the runtime's by name (procstate.MarkHostThread).

func getVersion(ctx uintptr) (v uintptr) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer func() {
		if r := recover(); r != nil {
			hostapi.Fault(ctx, r)
			v = uintptr(hostapi.Version)
		}
	}()
	return uintptr(hostapi.GetVersion(ctx))
}

func logMessage(ctx, message, length uintptr) uintptr {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer func() {
		if r := recover(); r != nil {
			hostapi.Fault(ctx, r)
		}
	}()
	hostapi.Log(ctx, message, length)
	return 0
}

// CallInit calls the plugin entry point at entry, bool init_plugin(void *ctx,
// const HostFunctions *functions), and returns its result.
func CallInit(entry, ctx uintptr) bool {
	r, _, _ := purego.SyscallN(entry, ctx, tableAddr())
	// C's bool and Rust's bool are one byte; the rest of the register is
	// unspecified.
	return r&0xff != 0
}
