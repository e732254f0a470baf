//go:build darwin || freebsd || linux || netbsd

// Command checkedhost is gohost -serve with the two checks plugctl verify
// may not skip: each plugin's file is checked before it is sent to a
// worker (preflight.Check, in the parent), and the worker compares the
// state it shares with the next plugin after each one (procstate.Take and
// Compare). It is verify's floor with its checks kept: what is left
// between it and plugctl is the protocol (events, output capture,
// timeouts, the report), not the checks. It is a binary of its own so
// that gohost, the floor of the start-up rows, links none of plugctl's
// packages.
//
//	checkedhost -serve N DIR
//
// CHECKEDHOST_ONLY=snapshots or =preflight makes only that check, to time
// each; CHECKEDHOST_DEBUG=1 prints what a snapshot found changed.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"

	"github.com/plugctl/plugctl/bench/internal/floor"
	"github.com/plugctl/plugctl/internal/deps"
	"github.com/plugctl/plugctl/internal/preflight"
	"github.com/plugctl/plugctl/internal/procstate"
)

// The checks made (CHECKEDHOST_ONLY).
var (
	only       = os.Getenv("CHECKEDHOST_ONLY")
	snapshots  = only != "preflight"
	preflights = only != "snapshots"
)

func main() {
	switch {
	case len(os.Args) == 4 && os.Args[1] == "-serve":
		n, err := strconv.Atoi(os.Args[2])
		floor.Check(err)
		var admit func(string) bool
		if preflights {
			res, dirs := deps.New(deps.Options{}), &preflight.Dirs{}
			defer dirs.Close()
			admit = func(path string) bool {
				return !preflight.Check(path, preflight.Options{Resolver: res, Dirs: dirs, HostAPI: 1}).HasErrors()
			}
		}
		floor.Serve(n, os.Args[3], admit)
	case len(os.Args) == 2 && os.Args[1] == "-worker":
		work()
	default:
		fmt.Fprintln(os.Stderr, "usage: checkedhost -serve N DIR")
		os.Exit(2)
	}
}

// work is a worker that compares the process state after each plugin with
// the state the last one left.
func work() {
	names := procstate.Names{0: "stdin", 1: "stdout", 2: "stderr"}
	names[int(os.Stdin.Fd())] = "requests"
	var base procstate.Snapshot
	floor.Work(func(path string) (ok, changed bool, err error) {
		if !snapshots {
			ok, err = floor.Start(path)
			return ok, false, err
		}
		if base.Signals == nil {
			base = onHostThread(func() {})
		}
		after := onHostThread(func() { ok, err = floor.Start(path) })
		changes, left := procstate.Compare(base, after, names), procstate.Running(base, after)
		if len(changes)+len(left) > 0 && os.Getenv("CHECKEDHOST_DEBUG") != "" {
			fmt.Fprintln(os.Stderr, path, changes, left)
		}
		base = after
		return ok, len(changes)+len(left) > 0, err
	})
}

// onHostThread runs f and takes a snapshot on a thread marked as the
// host's, as plugctl's worker does.
func onHostThread(f func()) procstate.Snapshot {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	unmark, err := procstate.MarkHostThread()
	floor.Check(err)
	defer unmark()
	f()
	return procstate.Take()
}
