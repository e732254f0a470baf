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
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

type hostFunctions struct{ getVersion, log uintptr }

var table hostFunctions

// logs is where the log callback writes: stdout, or a worker's answers.
var logs = bufio.NewWriter(os.Stdout)

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
		check(err)
		return
	case len(os.Args) == 4 && os.Args[1] == "-serve":
		n, err := strconv.Atoi(os.Args[2])
		check(err)
		serve(n, os.Args[3])
		return
	case len(os.Args) == 2 && os.Args[1] == "-worker":
		work()
		return
	}
	makeTable()
	ok, err := start(os.Args[1])
	check(err)
	if !ok {
		fmt.Fprintln(logs, "failed")
		logs.Flush()
		os.Exit(1)
	}
	fmt.Fprintln(logs, "loaded")
	logs.Flush()
}

// makeTable makes the two callbacks the host passes.
func makeTable() {
	table.getVersion = purego.NewCallback(func(ctx uintptr) uintptr { return 1 })
	table.log = purego.NewCallback(logLine)
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

// start loads the plugin at path and calls its init_plugin.
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

// work is a worker: it starts each plugin named on a line of stdin and
// answers on stdout with its log lines and a last line, "ok" or "failed".
func work() {
	makeTable()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		ok, err := start(in.Text())
		switch {
		case err != nil:
			fmt.Fprintf(logs, "failed: %v\n", err)
		case ok:
			logs.WriteString("ok\n")
		default:
			logs.WriteString("failed\n")
		}
		check(logs.Flush())
	}
}

// serve starts n workers and has them start every plugin in dir, one at a
// time each, and prints each plugin's answer.
func serve(n int, dir string) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.so"))
	check(err)
	self, err := os.Executable()
	check(err)
	next := make(chan string)
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
				var answer []string
				for {
					line, err := out.ReadString('\n')
					check(err)
					answer = append(answer, line)
					if line == "ok\n" || line[0] == 'f' {
						break
					}
				}
				mu.Lock()
				fmt.Fprintf(logs, "%s: %s", p, answer[len(answer)-1])
				mu.Unlock()
			}
			in.Close()
			check(cmd.Wait())
		}()
	}
	for _, p := range paths {
		next <- p
	}
	close(next)
	wg.Wait()
	check(logs.Flush())
}
