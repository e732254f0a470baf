// Command peakrss runs a command and prints the peak resident set size of
// that process alone (Linux VmHWM, read from /proc until it exits), not of
// the processes it starts: what the verifying process itself needs.
//
//	go run ./bench/peakrss -- COMMAND ARGS...
//
// The command's output is discarded; it may fail (verify exits 1 when a
// plugin fails).
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: peakrss -- COMMAND ARGS...")
		os.Exit(2)
	}
	cmd := exec.Command(args[0], args[1:]...)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "peakrss:", err)
		os.Exit(1)
	}
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	peak := 0
	done := make(chan struct{})
	go func() {
		// Reap only after the last read: wait4 with WNOWAIT is not
		// portable, so poll until the process is a zombie.
		for {
			b, err := os.ReadFile(status)
			if err != nil {
				break
			}
			s := string(b)
			if kb := field(s, "VmHWM:"); kb > peak {
				peak = kb
			}
			if strings.Contains(s, "State:\tZ") {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		close(done)
	}()
	<-done
	_ = cmd.Wait()
	fmt.Printf("%d KiB peak RSS: %s\n", peak, strings.Join(args, " "))
}

func field(status, name string) int {
	i := strings.Index(status, name)
	if i < 0 {
		return 0
	}
	f := strings.Fields(status[i+len(name):])
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(f[0])
	return n
}
