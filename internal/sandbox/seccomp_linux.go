//go:build linux

package sandbox

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The seccomp filter is a short BPF program made here, from the system
// call numbers golang.org/x/sys/unix has for this architecture: a library
// that knows every architecture's numbers costs every plugctl start the
// building of its tables (github.com/elastic/go-seccomp-bpf did; its
// filter is this one's reference in the tests).
//
//	ld  [arch]            not this architecture's calling convention: EPERM
//	ld  [nr]
//	jge 0x40000000        amd64's x32 calls: ENOSYS
//	jeq NR                for each denied call: EPERM
//	ret ALLOW

// seccompData's offsets: struct seccomp_data { int nr; __u32 arch; ... }.
const (
	offsetNr   = 0
	offsetArch = 4
	x32Bit     = 0x40000000 // __X32_SYSCALL_BIT
)

// BPF opcodes (linux/bpf_common.h).
const (
	bpfLdWAbs = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	bpfJeqK   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	bpfJgeK   = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
	bpfRetK   = unix.BPF_RET | unix.BPF_K
)

// filterProgram returns the filter for the system calls numbered nrs, on
// the architecture whose AUDIT_ARCH is arch (x32: amd64, whose x32 calls
// are refused too, as a deny list must).
func filterProgram(arch uint32, x32 bool, nrs []uint32) []unix.SockFilter {
	// The checks, then three returns: ALLOW, EPERM, ENOSYS.
	checks := 3 + len(nrs)
	if x32 {
		checks++
	}
	eperm, enosys := checks+1, checks+2
	p := make([]unix.SockFilter, 0, checks+3)
	// to is a jump's offset to target from the instruction appended next.
	to := func(target int) uint8 { return uint8(target - len(p) - 1) }
	p = append(p, unix.SockFilter{Code: bpfLdWAbs, K: offsetArch})
	p = append(p, unix.SockFilter{Code: bpfJeqK, K: arch, Jf: to(eperm)})
	p = append(p, unix.SockFilter{Code: bpfLdWAbs, K: offsetNr})
	if x32 {
		p = append(p, unix.SockFilter{Code: bpfJgeK, K: x32Bit, Jt: to(enosys)})
	}
	for _, nr := range nrs {
		p = append(p, unix.SockFilter{Code: bpfJeqK, K: nr, Jt: to(eperm)})
	}
	errno := func(e unix.Errno) uint32 { return unix.SECCOMP_RET_ERRNO | uint32(e)&unix.SECCOMP_RET_DATA }
	p = append(p,
		unix.SockFilter{Code: bpfRetK, K: unix.SECCOMP_RET_ALLOW},
		unix.SockFilter{Code: bpfRetK, K: errno(unix.EPERM)},
		unix.SockFilter{Code: bpfRetK, K: errno(unix.ENOSYS)},
	)
	return p
}

// filterThread loads the seccomp filter on the calling thread: the
// system calls of DeniedSyscalls fail with EPERM, calls of another
// architecture's convention too, the rest are allowed. The caller has set
// no_new_privs.
func filterThread() error {
	arch, x32, nrs, err := nativeFilter()
	if err != nil {
		return err
	}
	p := filterProgram(arch, x32, nrs)
	prog := unix.SockFprog{Len: uint16(len(p)), Filter: &p[0]}
	if _, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&prog))); e != 0 {
		return fmt.Errorf("loading the filter: %w", e)
	}
	runtime.KeepAlive(p)
	return nil
}

// seccompSupported reports whether this kernel has seccomp filters (and
// plugctl one for this architecture).
func seccompSupported() bool {
	if _, _, _, err := nativeFilter(); err != nil {
		return false
	}
	// Strict mode wants flags 0: with 1 a kernel that has seccomp says
	// EINVAL, one without ENOSYS.
	_, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_STRICT, 1, 0)
	return e == unix.EINVAL
}
