package pages

import (
	"bytes"
	"runtime"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Populate gives a buffer its pages without touching what they hold, also
// where the buffer starts and ends inside a page; reading into it then
// takes no page faults (the kernel faulted them in, with no trap each).
func TestPopulate(t *testing.T) {
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(i % 251)
	}
	want := bytes.Clone(b)
	Populate(b[3 : len(b)-5])
	if !bytes.Equal(b, want) {
		t.Fatal("populate changed the buffer")
	}
	if populateRefused.Load() {
		t.Skip("this kernel has no MADV_POPULATE_WRITE")
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
			Populate(fresh)
		}
		before := faults(t)
		_, _ = src.ReadAt(fresh, 0)
		n := faults(t) - before
		if pop && n > 16 || !pop && n < 128 {
			t.Errorf("populated %v: %d page faults reading into 256 fresh pages", pop, n)
		}
	}
}

// PopulateSlice covers a slice's array to its capacity, whatever its
// element, and leaves what it holds alone.
func TestPopulateSlice(t *testing.T) {
	type elem struct{ A, B int64 }
	const n = 15000 // 240,000 bytes
	mem, err := unix.Mmap(-1, 0, n*16, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	s := unsafe.Slice((*elem)(unsafe.Pointer(&mem[0])), n)[:1]
	s[0] = elem{7, 8}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	PopulateSlice(s)
	if populateRefused.Load() {
		t.Skip("this kernel has no MADV_POPULATE_WRITE")
	}
	before := faults(t)
	for i := 16; i < len(mem); i += 512 {
		mem[i] = 1 // every page past the element the slice holds
	}
	if n := faults(t) - before; n > 4 {
		t.Errorf("writing the populated array took %d page faults", n)
	}
	if s[0] != (elem{7, 8}) {
		t.Errorf("populate changed the slice: %v", s)
	}
	PopulateSlice([]elem(nil)) // nothing to do
}

// faults is how many minor page faults this thread has taken.
func faults(t *testing.T) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		t.Fatal(err)
	}
	return ru.Minflt
}
