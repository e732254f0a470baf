//go:build darwin || freebsd || linux || netbsd

// Command gohost is the least a Go host using purego can do to start a plugin:
// dlopen, dlsym, two callbacks and init_plugin, with no CLI library. make
// bench times it beside plugctl to separate the cost of Go + purego from
// plugctl's own.
package main

import (
	"fmt"
	"os"
	"unsafe"

	"github.com/ebitengine/purego"
)

type hostFunctions struct{ getVersion, log uintptr }

var table hostFunctions

func main() {
	h, err := purego.Dlopen(os.Args[1], purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	entry, err := purego.Dlsym(h, "init_plugin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	table.getVersion = purego.NewCallback(func(ctx uintptr) uintptr { return 1 })
	table.log = purego.NewCallback(func(ctx, msg, n uintptr) uintptr {
		p := *(*unsafe.Pointer)(unsafe.Pointer(&msg))
		fmt.Printf("[plugin] %s\n", unsafe.Slice((*byte)(p), n))
		return 0
	})
	r, _, _ := purego.SyscallN(entry, 1, uintptr(unsafe.Pointer(&table)))
	if r&0xff == 0 {
		fmt.Println("failed")
		os.Exit(1)
	}
	fmt.Println("loaded")
}
