// Package pages has the kernel give a large buffer its memory pages at
// once, before it is filled: filling fresh memory faults its pages in one
// trap at a time, and a trap is dear in a virtual machine (16 µs a page on
// the one plugctl's benchmarks ran on; docs/performance.md).
package pages

import "unsafe"

// PopulateSlice is Populate for the array behind s, up to its capacity.
// What it holds is not changed.
func PopulateSlice[T any](s []T) {
	if cap(s) == 0 {
		return
	}
	var t T
	Populate(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s[:cap(s)]))), uintptr(cap(s))*unsafe.Sizeof(t)))
}
