//go:build !unix && !windows

package main

import "github.com/rogpeppe/go-internal/testscript"

// The process checks need Unix; the scripts that use them run on Unix only.

func running(pid int) bool { return false }

func parent(int) int { return 0 }

func signalProcess(int, string) error { return nil }

var platformCommands = map[string]func(){}

// execBinary is not available here: the scripts run this test binary.
func execBinary(string) {}

func cmdMksock(ts *testscript.TestScript, neg bool, args []string) {
	ts.Fatalf("mksock: no Unix domain sockets here")
}
