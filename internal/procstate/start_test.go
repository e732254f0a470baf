package procstate

import (
	"testing"
	"time"
)

// A thread that says 0 is asked again until it has run; one that never
// does is reported at 0 after the wait; an error ends the asking.
func TestKnownStart(t *testing.T) {
	calls := 0
	ask := func() (uintptr, bool) {
		calls++
		if calls < 4 {
			return 0, true
		}
		return 0x1000, true
	}
	if start, ok := knownStart(ask, time.Minute); start != 0x1000 || !ok || calls != 4 {
		t.Errorf("started on the 4th ask: %#x, %v after %d asks", start, ok, calls)
	}
	begin := time.Now()
	start, ok := knownStart(func() (uintptr, bool) { return 0, true }, 20*time.Millisecond)
	if start != 0 || !ok || time.Since(begin) < 20*time.Millisecond {
		t.Errorf("never started: %#x, %v after %v", start, ok, time.Since(begin))
	}
	calls = 0
	if _, ok := knownStart(func() (uintptr, bool) { calls++; return 0, false }, time.Minute); ok || calls != 1 {
		t.Errorf("an error: ok %v after %d asks", ok, calls)
	}
}
