package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func init() { platformCommands["stalled-stdout"] = stalledStdout }

// stalledStdout is stalled-stdout PIDFILE COMMAND [ARGS...]: run COMMAND
// with its standard output on a pipe that nothing reads, as when the
// program reading a CI job's output stops, and write its process ID to
// PIDFILE once the pipe is full, so that COMMAND is blocked writing. It
// then waits for COMMAND, prints "exit status N" (-1 for a signal) and
// exits with it (128 for a signal).
func stalledStdout() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: stalled-stdout PIDFILE COMMAND [ARGS...]")
		os.Exit(2)
	}
	signal.Ignore(os.Interrupt, syscall.SIGTERM)
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "stalled-stdout:", err)
		os.Exit(127)
	}
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdout, cmd.Stderr = w, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "stalled-stdout:", err)
		os.Exit(127)
	}
	w.Close()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// The pipe is full when it holds nearly its capacity (64 KiB on Linux;
	// small writes leave the tail of a page unused) and has stopped growing.
	for last, still := -1, 0; still < 10; {
		select {
		case err := <-exited:
			fmt.Fprintf(os.Stderr, "stalled-stdout: the command ended before filling the pipe: %v\n", err)
			os.Exit(1)
		case <-time.After(10 * time.Millisecond):
		}
		n, err := unix.IoctlGetInt(int(r.Fd()), unix.TIOCINQ)
		if err != nil || n < 60<<10 || n != last {
			still = 0
		} else {
			still++
		}
		last = n
	}
	if err := os.WriteFile(os.Args[1], []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "stalled-stdout:", err)
	}
	err = <-exited
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	}
	fmt.Fprintf(os.Stderr, "exit status %d\n", code)
	r.Close()
	if code < 0 {
		code = 128
	}
	os.Exit(code)
}
