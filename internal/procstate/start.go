package procstate

import "time"

// knownStart asks where a thread started (ask: the address, and false if
// it cannot be asked) until the answer is not 0, or for patience. Wine
// records a thread's start address only when the thread first runs, and
// says 0 until then: the Go runtime creating a thread at the moment of a
// snapshot made it look like the plugin's (a CI run under load saw it). A
// thread still at 0 after patience is reported at 0, which is in nobody's
// code: it counts.
func knownStart(ask func() (uintptr, bool), patience time.Duration) (uintptr, bool) {
	deadline := time.Now().Add(patience)
	for {
		start, ok := ask()
		if !ok || start != 0 || time.Now().After(deadline) {
			return start, ok
		}
		time.Sleep(time.Millisecond)
	}
}
