//go:build unix

package procstate

import "slices"

// inBoth returns the descriptors of a that b, listed just after, has
// open on the same file: a descriptor another thread holds for a moment is
// not part of the state. The C library opens and closes
// /sys/devices/system/cpu/online when a thread first allocates; listed in
// the snapshot before init_plugin and gone after, it failed a plugin as
// having closed a descriptor of the host's (once in about 1,200 runs). On
// a busy machine the thread can hold it across both listings (and did,
// under make test), so a descriptor on that file is never state.
func inBoth(a, b []FD) []FD {
	return slices.DeleteFunc(a, func(f FD) bool {
		return f.Desc == libcTransient ||
			!slices.ContainsFunc(b, func(g FD) bool { return sameFile(f, g) })
	})
}

// libcTransient is the file glibc's get_nprocs opens and closes as a
// thread creates its malloc arena: no host keeps it open.
const libcTransient = "/sys/devices/system/cpu/online"

// sameFile reports whether a and b are one descriptor open on one file.
func sameFile(a, b FD) bool { return a.Num == b.Num && a.Dev == b.Dev && a.Ino == b.Ino }
