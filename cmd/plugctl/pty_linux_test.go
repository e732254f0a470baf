//go:build linux

package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"
)

// onterminal FILE COMMAND [ARGS...]: run COMMAND with its stdout and stderr
// on a pseudo-terminal, as a user at a terminal would, and write what it
// printed there to FILE. The script's NO_COLOR and TERM are passed on.
func cmdOnTerminal(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: onterminal FILE COMMAND [ARGS...]")
	}
	master, slave, err := openPTY()
	if err != nil {
		ts.Fatalf("onterminal: %v", err)
	}
	defer master.Close()
	cmd := exec.Command(args[1], args[2:]...)
	cmd.Dir = ts.MkAbs(".")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NO_COLOR=") && !strings.HasPrefix(kv, "TERM=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for _, k := range []string{"NO_COLOR", "TERM"} {
		if v := ts.Getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	cmd.Stdout, cmd.Stderr = slave, slave
	var out bytes.Buffer
	done := make(chan struct{})
	go func() {
		io.Copy(&out, master) // ends with EIO once no one holds the terminal
		close(done)
	}()
	err = cmd.Start()
	slave.Close()
	if err != nil {
		ts.Fatalf("onterminal: %v", err)
	}
	_ = cmd.Wait() // the script checks what it printed
	<-done
	if err := os.WriteFile(ts.MkAbs(args[0]), out.Bytes(), 0o644); err != nil {
		ts.Fatalf("onterminal: %v", err)
	}
}

// openPTY opens a pseudo-terminal pair from /dev/ptmx.
func openPTY() (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	fd := int(master.Fd())
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err == nil {
		err = unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0)
	}
	if err == nil {
		slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	}
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	return master, slave, nil
}
