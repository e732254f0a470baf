// Package cli is plugctl's command line: the commands, their flags, and every
// byte plugctl writes. It is the only package that prints, and the only user
// of cobra and of colour.
//
// Output rules:
//   - Data (plugin log lines, results, reports) goes to stdout.
//   - Diagnostics go to stderr, each line prefixed "plugctl: error: ",
//     "plugctl: warning: " or "plugctl: hint: "; lower case, no final period.
//   - An error names the file it is about.
//   - Anything a plugin sent is sanitized before it is written (hostapi does
//     it as the text arrives).
//   - Colour only when the stream is a terminal, unless --color says
//     otherwise; NO_COLOR and TERM=dumb turn it off in auto mode.
package cli

import (
	"errors"
	"fmt"

	"github.com/plugctl/plugctl/internal/worker"
)

// Exit statuses. They are documented in the root command's help and in
// docs/cli.md.
const (
	ExitOK     = 0 // everything asked for succeeded
	ExitFailed = 1 // a plugin failed to load or start
	ExitUsage  = 2 // the command line was wrong

	ExitInterrupted = 130 // SIGINT or SIGTERM ended the run (128 + SIGINT)
)

// Main runs plugctl with args (without the program name) and returns the exit
// status.
func Main(args []string, s *Streams) int {
	if len(args) > 0 && args[0] == worker.Arg {
		return worker.Serve(args[1:])
	}
	root := newRootCmd(s)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ex *exitError
	if errors.As(err, &ex) {
		return ex.code
	}
	// Anything else came from parsing the command line.
	s.errorf("%v", err)
	s.hintf("run 'plugctl --help' for usage")
	return ExitUsage
}

// exitError ends a command whose problems were already reported with a
// status other than 0.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }
