//go:build !linux

package main

import "github.com/rogpeppe/go-internal/testscript"

// onterminal needs Linux's /dev/ptmx; elsewhere the script is skipped.
func cmdOnTerminal(ts *testscript.TestScript, neg bool, args []string) {
	ts.Fatalf("onterminal: no pseudo-terminal here (Linux only; guard the script with [linux])")
}
