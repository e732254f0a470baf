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
	"github.com/spf13/cobra"
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
	s.args = args
	root := newRootCmd(s)
	root.SetArgs(args)
	// Cobra parses flags and checks arguments before any of plugctl's code
	// runs (the root's PersistentPreRunE, then the command's RunE): an
	// error before that is the command line's.
	ran := false
	pre := root.PersistentPreRunE
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		ran = true
		return pre(cmd, args)
	}
	err := root.Execute()
	if err != nil && !ran {
		err = &usageError{err}
	}
	return s.exitStatus(err)
}

// exitStatus turns a command's error into its exit status, and prints it:
// a command returns its error and prints nothing about it.
func (s *Streams) exitStatus(err error) int {
	status := statusOf(err)
	switch {
	case err == nil, errors.Is(err, errReported):
		return status
	case status == ExitUsage:
		s.errorf("%v", err)
		s.hintf("run 'plugctl --help' for usage")
		return status
	}
	s.errorf("%v", err)
	var hinted *hintedError
	if errors.As(err, &hinted) {
		s.hintf("%s", hinted.hint)
	}
	return status
}

// statusOf is the one place that maps errors to exit statuses (a SARIF
// log records the status before the command returns).
func statusOf(err error) int {
	var (
		usage       *usageError
		interrupted *interruptedError
	)
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &usage):
		return ExitUsage
	case errors.As(err, &interrupted):
		return ExitInterrupted
	}
	return ExitFailed
}

// usageError is a command line plugctl cannot run: exit status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usageError with a message formatted as by fmt.Errorf.
func usagef(format string, a ...any) error {
	return &usageError{fmt.Errorf(format, a...)}
}

// interruptedError ends a run that a signal cut short: exit status 130.
type interruptedError struct{ msg string }

func (e *interruptedError) Error() string { return e.msg }

// hintedError is a failure with a hint on what to do about it.
type hintedError struct {
	err  error
	hint string
}

func (e *hintedError) Error() string { return e.err.Error() }
func (e *hintedError) Unwrap() error { return e.err }

// errReported ends a command that has reported its failures in its output
// as it met them (a file's error among the others, a plugin's verdict): it
// only sets the exit status, 1.
var errReported = errors.New("failures reported")
