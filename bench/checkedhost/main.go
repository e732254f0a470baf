//go:build darwin || freebsd || linux || netbsd

// Command checkedhost is gohost -serve with the two checks plugctl verify
// may not skip: each plugin's file is checked before it is sent to a
// worker (preflight.Check, in the parent), and the worker compares the
// state it shares with the next plugin after each one (procstate.Take and
// Compare). It is verify's floor with its checks kept: what is left
// between it and plugctl is the protocol (events, output capture,
// timeouts, the report), not the checks.
//
//	checkedhost -serve N DIR
//
// CHECKEDHOST_ONLY=snapshots or =preflight makes only that check, to time
// each; CHECKEDHOST_DEBUG=1 prints what a snapshot found changed.
package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/plugctl/plugctl/internal/deps"
	"github.com/plugctl/plugctl/internal/preflight"
	"github.com/plugctl/plugctl/internal/procstate"
)

type hostFunctions struct{ getVersion, log uintptr }

var table hostFunctions

var logs = bufio.NewWriter(os.Stdout)

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
		check(err)
		serve(n, os.Args[3])
	case len(os.Args) == 2 && os.Args[1] == "-worker":
		work()
	default:
		fmt.Fprintln(os.Stderr, "usage: checkedhost -serve N DIR")
		os.Exit(2)
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func logLine(ctx, msg, n uintptr) uintptr {
	p := *(*unsafe.Pointer)(unsafe.Pointer(&msg))
	fmt.Fprintf(logs, "[plugin] %s\n", unsafe.Slice((*byte)(p), n))
	return 0
}

func start(path string) (bool, error) {
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return false, err
	}
	entry, err := purego.Dlsym(h, "init_plugin")
	if err != nil {
		return false, err
	}
	r, _, _ := purego.SyscallN(entry, 1, uintptr(unsafe.Pointer(&table)))
	return r&0xff != 0, nil
}

// work starts each plugin named on a line of stdin, compares the process
// state with the last plugin's, and answers "ok", "changed" or "failed".
func work() {
	table.getVersion = purego.NewCallback(func(ctx uintptr) uintptr { return 1 })
	table.log = purego.NewCallback(logLine)
	names := procstate.Names{0: "stdin", 1: "stdout", 2: "stderr"}
	names[int(os.Stdin.Fd())] = "requests"
	base := onHostThread(func() {})
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var ok bool
		var err error
		if !snapshots {
			ok, err = start(in.Text())
			report(ok, err, false)
			continue
		}
		after := onHostThread(func() { ok, err = start(in.Text()) })
		changes := procstate.Compare(base, after, names)
		changed := len(changes) > 0 || len(procstate.Running(base, after)) > 0
		if changed && os.Getenv("CHECKEDHOST_DEBUG") != "" {
			fmt.Fprintln(os.Stderr, changes, procstate.Running(base, after))
		}
		base = after
		report(ok, err, changed)
	}
}

// report answers for one plugin.
func report(ok bool, err error, changed bool) {
	switch {
	case err != nil:
		fmt.Fprintf(logs, "failed: %v\n", err)
	case changed:
		logs.WriteString("changed\n")
	case ok:
		logs.WriteString("ok\n")
	default:
		logs.WriteString("failed\n")
	}
	check(logs.Flush())
}

// onHostThread runs f and takes a snapshot on a thread marked as the
// host's, as plugctl's worker does.
func onHostThread(f func()) procstate.Snapshot {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	unmark, err := procstate.MarkHostThread()
	check(err)
	defer unmark()
	f()
	return procstate.Take()
}

// serve checks every plugin in dir, then has n workers start those that
// pass, one at a time each.
func serve(n int, dir string) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.so"))
	check(err)
	self, err := os.Executable()
	check(err)
	res, dirs := deps.New(deps.Options{}), &preflight.Dirs{}
	next := make(chan string, 1)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range n {
		cmd := exec.Command(self, "-worker")
		cmd.Stderr = os.Stderr
		in, err := cmd.StdinPipe()
		check(err)
		outPipe, err := cmd.StdoutPipe()
		check(err)
		check(cmd.Start())
		out := bufio.NewReader(outPipe)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				_, err := in.Write([]byte(p + "\n"))
				check(err)
				var answer string
				for answer == "" || answer[0] == '[' {
					answer, err = out.ReadString('\n')
					check(err)
				}
				mu.Lock()
				fmt.Fprintf(logs, "%s: %s", p, answer)
				mu.Unlock()
			}
			in.Close()
			check(cmd.Wait())
		}()
	}
	for _, p := range paths {
		if !preflights {
			next <- p
			continue
		}
		rep := preflight.Check(p, preflight.Options{Resolver: res, Dirs: dirs, HostAPI: 1})
		if rep.HasErrors() {
			mu.Lock()
			fmt.Fprintf(logs, "%s: preflight failed\n", p)
			mu.Unlock()
			continue
		}
		next <- p
	}
	close(next)
	wg.Wait()
	check(logs.Flush())
}
