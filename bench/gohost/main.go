//go:build darwin || freebsd || linux || netbsd

// Command gohost is the least a Go host using purego can do to start a plugin:
// dlopen, dlsym, two callbacks and init_plugin, with no CLI library. make
// bench times it beside plugctl to separate the cost of Go + purego from
// plugctl's own. It is the floor of four of issue 17's rows:
//
//	gohost                 prints a line: a Go program with purego linked (--version)
//	gohost PLUGIN          starts PLUGIN in its own process (load --in-process)
//	gohost -reexec PLUGIN  starts itself again, which starts PLUGIN (load,
//	                       whose worker is a second process of the same binary)
//	gohost -serve N DIR    starts every plugin in DIR in N workers, each a
//	                       second process of the same binary that starts one
//	                       plugin after another, asked for each over a pipe
//	                       and answering when its init_plugin has returned
//	                       (verify, whose workers are reused the same way)
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"

	"github.com/plugctl/plugctl/bench/internal/floor"
)

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
		floor.Check(err)
		return
	case len(os.Args) == 4 && os.Args[1] == "-serve":
		n, err := strconv.Atoi(os.Args[2])
		floor.Check(err)
		floor.Serve(n, os.Args[3], nil)
		return
	case len(os.Args) == 2 && os.Args[1] == "-worker":
		floor.Work(func(path string) (bool, bool, error) {
			ok, err := floor.Start(path)
			return ok, false, err
		})
		return
	}
	floor.MakeTable()
	ok, err := floor.Start(os.Args[1])
	floor.Check(err)
	if !ok {
		fmt.Fprintln(floor.Logs, "failed")
		floor.Logs.Flush()
		os.Exit(1)
	}
	fmt.Fprintln(floor.Logs, "loaded")
	floor.Logs.Flush()
}
