package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long a command has, after a signal, to stop its workers
// and finish its report before plugctl ends without it.
const stopGrace = 3 * time.Second

// interruptible returns a copy of ctx that SIGINT or SIGTERM (Ctrl-C,
// Ctrl-Break or the console closing on Windows) cancels, and the function
// that stops listening. A command sees the cancellation, stops its workers
// and reports what it did. A signal must end plugctl whatever it is blocked
// in, so a second signal, or a command still running stopGrace after the
// first (blocked writing to a pipe nobody reads, or reading a stalled file
// system), ends plugctl at once with ExitInterrupted. The workers end with
// it: their channel to plugctl closes, and they are in its job (Windows).
func interruptible(ctx context.Context, s *Streams) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		cancel()
		why := fmt.Sprintf("still not stopped %v after the signal", stopGrace)
		select {
		case <-sigs:
			why = "interrupted again"
		case <-time.After(stopGrace):
		case <-done:
			return
		}
		// The stream may be the very thing plugctl is blocked on: say why
		// if it takes the line at once, and end either way.
		go s.errorf("interrupted; %s, so plugctl ends without finishing", why)
		time.Sleep(100 * time.Millisecond)
		os.Exit(ExitInterrupted)
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(done)
			cancel()
		})
	}
}
