package loader

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"unsafe"

	"github.com/ebitengine/purego"
)

// Param is how a C function passes one value: its size in bytes, and
// whether it is floating-point. Pointers are integers of their size.
type Param struct {
	Size  int
	Float bool
}

// Call is a call a plugin made to a callback MakeCallback made: its
// arguments widened to 64 bits (a float's bits as math.Float64bits gives
// them, a float32 first converted to float64).
type Call struct {
	Args []uint64
}

// MakeCallback makes a C-callable function with the given parameters,
// whose calls run fn; fn's result is returned to C in the integer result
// register (a void function's caller ignores it). The signature is known
// only at run time: up to four integer or pointer parameters take a path
// of fixed Go signatures, anything else is made with reflect.FuncOf and
// reflect.MakeFunc, which purego accepts (and costs more per call). Each
// call takes one of purego's callback slots,
// which are few (2000 on Unix) and never freed: make each callback once
// per process. A panic in fn is recovered, and the result is then 0.
//
// Floating-point results, variadic functions and structs by value cannot
// be made (the description loader refuses them first); on Windows, neither
// can floating-point arguments (but on 386) nor arguments wider than a
// pointer.
func MakeCallback(params []Param, fn func(Call) uint64) (uintptr, error) {
	if impl := integerCallback(params, fn); impl != nil {
		return newCallback(impl)
	}
	in := make([]reflect.Type, len(params))
	for i, p := range params {
		t, err := goType(p)
		if err != nil {
			return 0, fmt.Errorf("parameter %d: %w", i+1, err)
		}
		in[i] = t
	}
	typ := reflect.FuncOf(in, []reflect.Type{reflect.TypeFor[uintptr]()}, false)
	impl := reflect.MakeFunc(typ, func(args []reflect.Value) (results []reflect.Value) {
		// A plugin's thread stays this goroutine's while it runs, so that the
		// runtime starts no thread from it (see getVersion).
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var r uint64
		defer func() {
			if recover() != nil {
				r = 0
			}
			results = []reflect.Value{reflect.ValueOf(uintptr(r))}
		}()
		c := Call{Args: make([]uint64, len(args))}
		for i, a := range args {
			c.Args[i] = widen(a)
		}
		r = fn(c)
		return nil
	})
	return newCallback(impl.Interface())
}

// newCallback makes fn C-callable, purego's panic an error.
func newCallback(fn any) (addr uintptr, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("purego cannot make this callback: %v", r)
		}
	}()
	return purego.NewCallback(fn), nil
}

// integerCallback is MakeCallback's fast path, without reflect: a
// function of up to four integer (or pointer) parameters, each read as a
// uintptr and cut to its size (the rest of a register is unspecified).
// nil when params are not such.
func integerCallback(params []Param, fn func(Call) uint64) any {
	masks := make([]uint64, len(params))
	for i, p := range params {
		if p.Float || p.Size < 1 || p.Size > int(unsafe.Sizeof(uintptr(0))) {
			return nil
		}
		masks[i] = ^uint64(0) >> (64 - 8*p.Size)
	}
	call := func(args ...uintptr) (r uintptr) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer func() {
			if recover() != nil {
				r = 0
			}
		}()
		c := Call{Args: make([]uint64, len(args))}
		for i, a := range args {
			c.Args[i] = uint64(a) & masks[i]
		}
		return uintptr(fn(c))
	}
	switch len(params) {
	case 0:
		return func() uintptr { return call() }
	case 1:
		return func(a uintptr) uintptr { return call(a) }
	case 2:
		return func(a, b uintptr) uintptr { return call(a, b) }
	case 3:
		return func(a, b, c uintptr) uintptr { return call(a, b, c) }
	case 4:
		return func(a, b, c, d uintptr) uintptr { return call(a, b, c, d) }
	}
	return nil
}

// goType is the Go type purego reads a C parameter as.
func goType(p Param) (reflect.Type, error) {
	if p.Float {
		switch {
		case runtime.GOOS == "windows" && runtime.GOARCH != "386":
			return nil, errors.New("no floating-point arguments to callbacks on Windows")
		case p.Size == 4:
			return reflect.TypeFor[float32](), nil
		case p.Size == 8:
			return reflect.TypeFor[float64](), nil
		}
		return nil, fmt.Errorf("a %d-byte floating-point argument", p.Size)
	}
	switch p.Size {
	case 1:
		return reflect.TypeFor[uint8](), nil
	case 2:
		return reflect.TypeFor[uint16](), nil
	case 4:
		return reflect.TypeFor[uint32](), nil
	case 8:
		if runtime.GOOS == "windows" && runtime.GOARCH == "386" {
			return nil, errors.New("an argument wider than a pointer")
		}
		return reflect.TypeFor[uint64](), nil
	}
	return nil, fmt.Errorf("a %d-byte argument", p.Size)
}

func widen(v reflect.Value) uint64 {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		return math.Float64bits(v.Float())
	}
	return v.Uint()
}

// CallEntry calls the C function at fn with integer (and pointer)
// arguments, and returns its integer result register, unmasked: the
// caller knows how wide the result is.
func CallEntry(fn uintptr, args ...uintptr) uintptr {
	r, _, _ := purego.SyscallN(fn, args...)
	return r
}
