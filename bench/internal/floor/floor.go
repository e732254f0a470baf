//go:build darwin || freebsd || linux || netbsd

// Package floor is the least a Go host using purego does to start plugins:
// dlopen, dlsym, two callbacks and init_plugin, and, for many plugins, two
// processes of the same binary talking over pipes. bench/gohost and
// bench/checkedhost are made of it, so that the floors they time differ
// only in what each adds.
package floor

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

type hostFunctions struct{ getVersion, log uintptr }

var table hostFunctions

// Logs is where the log callback writes: stdout, or a worker's answers.
var Logs = bufio.NewWriter(os.Stdout)

// MakeTable makes the two callbacks the host passes.
func MakeTable() {
	table.getVersion = purego.NewCallback(func(ctx uintptr) uintptr { return 1 })
	table.log = purego.NewCallback(logLine)
}

// Check ends the program on an error.
func Check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func logLine(ctx, msg, n uintptr) uintptr {
	p := *(*unsafe.Pointer)(unsafe.Pointer(&msg))
	fmt.Fprintf(Logs, "[plugin] %s\n", unsafe.Slice((*byte)(p), n))
	return 0
}

// Start loads the plugin at path and calls its init_plugin.
func Start(path string) (bool, error) {
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

// Work is a worker: it runs run on each plugin named on a line of stdin and
// answers on stdout with the plugin's log lines and a last line: "ok",
// "changed" (it started, and changed what the next plugin would find) or
// "failed".
func Work(run func(path string) (ok, changed bool, err error)) {
	MakeTable()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		ok, changed, err := run(in.Text())
		switch {
		case err != nil:
			fmt.Fprintf(Logs, "failed: %v\n", err)
		case changed:
			Logs.WriteString("changed\n")
		case ok:
			Logs.WriteString("ok\n")
		default:
			Logs.WriteString("failed\n")
		}
		Check(Logs.Flush())
	}
}

// Serve starts n workers (this program again, with the argument -worker)
// and has them start every plugin in dir for which admit (nil: all) says
// yes, one at a time each, as admit lets them through; it prints each
// plugin's answer.
func Serve(n int, dir string, admit func(path string) bool) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.so"))
	Check(err)
	self, err := os.Executable()
	Check(err)
	next := make(chan string, 1)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range n {
		cmd := exec.Command(self, "-worker")
		cmd.Stderr = os.Stderr
		in, err := cmd.StdinPipe()
		Check(err)
		outPipe, err := cmd.StdoutPipe()
		Check(err)
		Check(cmd.Start())
		out := bufio.NewReader(outPipe)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				_, err := in.Write([]byte(p + "\n"))
				Check(err)
				answer := "["
				for strings.HasPrefix(answer, "[") { // log lines come first
					answer, err = out.ReadString('\n')
					Check(err)
				}
				mu.Lock()
				fmt.Fprintf(Logs, "%s: %s", p, answer)
				mu.Unlock()
			}
			in.Close()
			Check(cmd.Wait())
		}()
	}
	for _, p := range paths {
		if admit != nil && !admit(p) {
			mu.Lock()
			fmt.Fprintf(Logs, "%s: refused\n", p)
			mu.Unlock()
			continue
		}
		next <- p
	}
	close(next)
	wg.Wait()
	Check(Logs.Flush())
}
