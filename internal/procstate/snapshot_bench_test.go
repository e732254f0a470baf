//go:build linux

package procstate

import (
	"runtime"
	"testing"
)

// BenchmarkTakeParts times a snapshot on the host thread, and each of its
// parts: a worker takes one after every plugin it runs.
func BenchmarkTakeParts(b *testing.B) {
	for _, part := range []struct {
		name string
		f    func()
	}{
		{"all", func() { Take() }},
		{"threads", func() { threads() }},
		{"fds", func() { listFDs() }},
		{"signals", func() {
			for sig := 1; sig < numSignals; sig++ {
				sigaction(sig)
			}
		}},
		{"limits", func() { limits() }},
		{"timers", func() { timers() }},
		{"env", func() { environ() }},
		{"umask", func() { umask(true) }},
	} {
		b.Run(part.name, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			unmark, err := MarkHostThread()
			if err != nil {
				b.Fatal(err)
			}
			defer unmark()
			if threads() < 0 {
				b.Fatal("not counting threads on the host thread")
			}
			for b.Loop() {
				part.f()
			}
		})
	}
}
