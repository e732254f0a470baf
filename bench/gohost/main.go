//go:build darwin || freebsd || linux || netbsd

// Command gohost is the least a Go host using purego can do to start a plugin:
// dlopen, dlsym, two callbacks and init_plugin, with no CLI library. make
// bench times it beside plugctl to separate the cost of Go + purego from
// plugctl's own. It is the floor of three of issue 17's rows:
//
//	gohost                 prints a line: a Go program with purego linked (--version)
//	gohost PLUGIN          starts PLUGIN in its own process (load --in-process)
//	gohost -reexec PLUGIN  starts itself again, which starts PLUGIN (load,
//	                       whose worker is a second process of the same binary)
package main

import (
	"fmt"
	"os"
	"os/exec"
	"unsafe"

	"github.com/ebitengine/purego"
)

type hostFunctions struct{ getVersion, log uintptr }

var table hostFunctions

func main() {
	switch {
	case len(os.Args) == 1:
		os.Stdout.WriteString("gohost\n")
		return
	case len(os.Args) == 3 && os.Args[1] == "-reexec":
		self, err := os.Executable()
		if err == nil {
			cmd := exec.Command(self, os.Args[2])
			cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
			err = cmd.Run()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
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
