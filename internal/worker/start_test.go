package worker

import (
	"errors"
	"io/fs"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A worker that cannot be started is tried again after each of startDelays,
// except when plugctl's executable is missing or refused, and the error
// says how many attempts were made.
func TestStartRetrying(t *testing.T) {
	saved := startDelays
	startDelays = []time.Duration{time.Millisecond, time.Millisecond}
	t.Cleanup(func() { startDelays = saved })

	for _, c := range []struct {
		name     string
		err      error
		attempts int
	}{
		{"transient", syscall.EAGAIN, 3},
		{"missing", &fs.PathError{Op: "fork/exec", Path: "plugctl", Err: syscall.ENOENT}, 1},
		{"refused", &fs.PathError{Op: "fork/exec", Path: "plugctl", Err: syscall.EACCES}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			calls := 0
			_, err := startRetrying(func() (*exec.Cmd, error) { calls++; return nil, c.err }, 0)
			var se *StartError
			if !errors.As(err, &se) || se.Attempts != c.attempts || calls != c.attempts || !errors.Is(err, c.err) {
				t.Fatalf("got %v after %d calls, want a StartError after %d attempts", err, calls, c.attempts)
			}
		})
	}
}

// A plugin whose worker never started did not run: it is not reported as
// having ended the process, and the reason says whose failure it is.
func TestNotStartedIsNotThePlugins(t *testing.T) {
	out := NotStarted(&StartError{Attempts: 4, Err: syscall.EAGAIN})
	reason, hint := out.Explain()
	if out.Verdict != NotRun || !strings.HasPrefix(reason, "not run: plugctl could not start a worker process") ||
		!strings.Contains(reason, "4 attempts") || !strings.Contains(hint, "plugctl's failure") {
		t.Fatalf("verdict %s, reason %q, hint %q", out.Verdict, reason, hint)
	}
}
