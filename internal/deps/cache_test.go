package deps

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// A path is read once when its callers come one after another, and callers
// that missed it at the same time all get the first result stored.
func TestCache(t *testing.T) {
	var c cache[*int]
	var reads atomic.Int32
	read := func() *int { n := int(reads.Add(1)); return &n }
	first := c.get("a", read)
	if again := c.get("a", read); again != first || reads.Load() != 1 {
		t.Fatalf("second get read again (%d reads)", reads.Load())
	}
	if other := c.get("b", read); other == first {
		t.Fatal("another path got the first path's value")
	}

	// Two callers that both missed: each reads, and both get what the
	// first of them stored.
	var d cache[*int]
	var inRead atomic.Int32
	release := make(chan struct{})
	slow := func() *int { inRead.Add(1); <-release; return read() }
	got := make([]*int, 2)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = d.get("x", slow)
		}()
	}
	for inRead.Load() < 2 {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	if got[0] != got[1] {
		t.Fatalf("callers got different values: %d and %d", *got[0], *got[1])
	}
}
