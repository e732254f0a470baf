// Package loader opens shared libraries with the platform's own loader,
// reads their memory, makes C-callable callbacks and calls C functions. It is the only
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
	"unsafe"
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
