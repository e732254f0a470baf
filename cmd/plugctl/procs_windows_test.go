//go:build windows

package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"unsafe"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/windows"
)

// stillActive is the exit code GetExitCodeProcess reports for a process
// that has not ended.
const stillActive = 259

// running reports whether process pid exists and has not ended.
func running(pid int) bool {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return false
	}
	defer windows.CloseHandle(h)
	var code uint32
	return windows.GetExitCodeProcess(h, &code) == nil && code == stillActive
}

// parent returns pid's parent process ID (0 if unknown).
func parent(pid int) int {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return 0
	}
	defer windows.CloseHandle(snap)
	pe := windows.ProcessEntry32{Size: uint32(unsafe.Sizeof(windows.ProcessEntry32{}))}
	for err = windows.Process32First(snap, &pe); err == nil; err = windows.Process32Next(snap, &pe) {
		if int(pe.ProcessID) == pid {
			return int(pe.ParentProcessID)
		}
	}
	return 0
}

// ignoreCtrlC keeps the test process alive through the Ctrl-C events its
// scripts send: they reach every process on the console.
var ignoreCtrlC sync.Once

// signalProcess sends INT as a console Ctrl-C, as a user's Ctrl-C or a CI
// runner's cancel does: a helper (this binary as plugctl-ctrlc) attaches to
// pid's console and raises it there. KILL terminates pid.
func signalProcess(pid int, name string) error {
	switch name {
	case "KILL":
		p, err := os.FindProcess(pid)
		if err != nil {
			return err
		}
		return p.Kill()
	case "INT":
		// Notify, not Ignore: an ignored Ctrl-C falls through to the
		// default handler, which ends the process.
		ignoreCtrlC.Do(func() { signal.Notify(make(chan os.Signal, 1), os.Interrupt) })
		out, err := exec.Command("plugctl-ctrlc", strconv.Itoa(pid)).CombinedOutput()
		if err != nil {
			return fmt.Errorf("plugctl-ctrlc %d: %v: %s", pid, err, out)
		}
		return nil
	}
	return fmt.Errorf("signal %q: not on Windows (INT or KILL)", name)
}

// ctrlC is plugctl-ctrlc PID: raise Ctrl-C on the console of process PID.
func ctrlC() {
	pid, err := strconv.Atoi(os.Args[len(os.Args)-1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "usage: plugctl-ctrlc PID")
		os.Exit(2)
	}
	k := windows.NewLazySystemDLL("kernel32.dll")
	free, attach := k.NewProc("FreeConsole"), k.NewProc("AttachConsole")
	handler, generate := k.NewProc("SetConsoleCtrlHandler"), k.NewProc("GenerateConsoleCtrlEvent")
	free.Call()
	if r, _, err := attach.Call(uintptr(pid)); r == 0 {
		fmt.Fprintf(os.Stderr, "AttachConsole(%d): %v\n", pid, err)
		os.Exit(1)
	}
	handler.Call(0, 1) // this helper ignores the event itself
	if r, _, err := generate.Call(windows.CTRL_C_EVENT, 0); r == 0 {
		fmt.Fprintf(os.Stderr, "GenerateConsoleCtrlEvent: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

var platformCommands = map[string]func(){"plugctl-ctrlc": ctrlC}

// execBinary is not available here: the scripts run this test binary.
func execBinary(string) {}

func cmdMksock(ts *testscript.TestScript, neg bool, args []string) {
	ts.Fatalf("mksock: no Unix domain sockets here")
}
