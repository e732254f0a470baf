//go:build !unix

package main

import "github.com/rogpeppe/go-internal/testscript"

// The process checks need Unix process groups; the scripts that use them
// run on Unix only.

func cmdKillgroup(ts *testscript.TestScript, neg bool, args []string) {
	ts.Fatalf("killgroup: Unix only")
}

func running(pid int) bool { return false }
