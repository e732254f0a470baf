//go:build unix

package loader

import (
	"math"
	"path/filepath"
	"runtime"
	"testing"
	"unsafe"

	"github.com/plugctl/plugctl/internal/testplugins"
)

// A table whose signatures are known only at run time: every size of
// integer, a pointer, both floating-point widths, and more arguments than
// registers, called by C and checked on the Go side.
const callbackPlugin = `#include <stdint.h>
#include <stddef.h>
typedef struct {
    uint32_t (*version)(void *ctx);
    void (*log)(void *ctx, const char *message, size_t length);
    uint64_t (*mix)(uint8_t a, uint16_t b, uint32_t c, uint64_t d, double e, float f, void *p, int32_t g, int64_t h);
    uint32_t (*small)(uint8_t a, int16_t b, uint32_t c);
} Table;
__attribute__((visibility("default"))) uint64_t run(void *ctx, const Table *t) {
    uint32_t v = t->version(ctx);
    t->log(ctx, "hello", 5);
    uint64_t m = t->mix(0xAB, 0xBEEF, 0xDEADBEEF, 0x1122334455667788ull, 2.5, 1.25f, (void *)0x1234, -7, -9);
    uint32_t s = t->small(0xAB, -2, 0xDEADBEEF);
    return (uint64_t)v * 1000 + m + s;
}
`

// table lives for the process: the plugin keeps the pointer.
var callbackTable [4]uintptr

func TestMakeCallback(t *testing.T) {
	lib := filepath.Join(t.TempDir(), "libcb.so")
	testplugins.BuildC(t, lib, callbackPlugin)
	ptr := int(unsafe.Sizeof(uintptr(0)))
	var logged string
	var ctxs []uint64
	panicking := false
	specs := []struct {
		params []Param
		fn     func(Call) uint64
	}{
		{[]Param{{Size: ptr}}, func(c Call) uint64 {
			ctxs = append(ctxs, c.Args[0])
			if panicking {
				panic("a host callback's fault")
			}
			return 7
		}},
		{[]Param{{Size: ptr}, {Size: ptr}, {Size: ptr}}, func(c Call) uint64 {
			ctxs = append(ctxs, c.Args[0])
			logged = string(Bytes(uintptr(c.Args[1]), int(c.Args[2])))
			return 0
		}},
		{[]Param{{Size: 1}, {Size: 2}, {Size: 4}, {Size: 8}, {Size: 8, Float: true}, {Size: 4, Float: true}, {Size: ptr}, {Size: 4}, {Size: 8}},
			func(c Call) uint64 {
				want := []uint64{0xAB, 0xBEEF, 0xDEADBEEF, 0x1122334455667788, math.Float64bits(2.5), math.Float64bits(1.25), 0x1234, 0xFFFFFFF9, uint64(math.MaxUint64 - 8)}
				for i, w := range want {
					if c.Args[i] != w {
						t.Errorf("mix's argument %d is %#x, want %#x", i+1, c.Args[i], w)
					}
				}
				return 42
			}},
		// Integers only (MakeCallback's path without reflect): each cut to
		// its size, a negative int16 to its 16 bits.
		{[]Param{{Size: 1}, {Size: 2}, {Size: 4}}, func(c Call) uint64 {
			if c.Args[0] != 0xAB || c.Args[1] != 0xFFFE || c.Args[2] != 0xDEADBEEF {
				t.Errorf("small's arguments %#x, want 0xab 0xfffe 0xdeadbeef", c.Args)
			}
			return 0
		}},
	}
	for i, s := range specs {
		addr, err := MakeCallback(s.params, s.fn)
		if err != nil {
			t.Fatalf("callback %d: %v", i, err)
		}
		callbackTable[i] = addr
	}
	l, err := Open(lib)
	if err != nil {
		t.Fatal(err)
	}
	run, err := l.Symbol("run")
	if err != nil {
		t.Fatal(err)
	}
	r := CallEntry(run, 0xC0FFEE, uintptr(unsafe.Pointer(&callbackTable)))
	runtime.KeepAlive(&callbackTable)
	if r != 7042 {
		t.Errorf("run returned %d, want 7042 (version 7, mix 42)", r)
	}
	if logged != "hello" || len(ctxs) != 2 || ctxs[0] != 0xC0FFEE || ctxs[1] != 0xC0FFEE {
		t.Errorf("logged %q, contexts %#x", logged, ctxs)
	}
	// A panic in a callback never unwinds into C: the call returns 0.
	panicking = true
	if r := CallEntry(run, 0xC0FFEE, uintptr(unsafe.Pointer(&callbackTable))); r != 42 {
		t.Errorf("with version panicking, run returned %d, want 42", r)
	}
}
