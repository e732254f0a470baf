package inspect

import (
	"bytes"
	"runtime"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// populate gives a buffer its pages without touching what they hold, also
// where the buffer starts and ends inside a page; reading into it then
// takes no page faults (the kernel faulted them in, with no trap each).
func TestPopulate(t *testing.T) {
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(i % 251)
	}
	want := bytes.Clone(b)
	populate(b[3 : len(b)-5])
	if !bytes.Equal(b, want) {
		t.Fatal("populate changed the buffer")
	}
	if populateRefused.Load() {
		t.Skip("this kernel has no MADV_POPULATE_WRITE")
	}
	faults := func() int64 {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
			t.Fatal(err)
		}
		return ru.Minflt
	}
	runtime.LockOSThread() // the faults counted are this thread's
	defer runtime.UnlockOSThread()
	src := bytes.NewReader(want)
	for _, pop := range []bool{false, true} {
		// Fresh memory, as a large allocation gets (the test's heap has
		// pages already faulted in to reuse).
		fresh, err := unix.Mmap(-1, 0, len(want), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Munmap(fresh)
		if pop {
			populate(fresh)
		}
		before := faults()
		_, _ = src.ReadAt(fresh, 0)
		n := faults() - before
		if pop && n > 16 || !pop && n < 128 {
			t.Errorf("populated %v: %d page faults reading into 256 fresh pages", pop, n)
		}
	}
}
