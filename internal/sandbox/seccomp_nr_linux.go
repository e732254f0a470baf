//go:build linux && (amd64 || arm64)

package sandbox

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// syscallNumbers are DeniedSyscalls' numbers on this architecture.
var syscallNumbers = map[string]uint32{
	"ptrace": unix.SYS_PTRACE, "process_vm_readv": unix.SYS_PROCESS_VM_READV, "process_vm_writev": unix.SYS_PROCESS_VM_WRITEV,
	"mount": unix.SYS_MOUNT, "umount2": unix.SYS_UMOUNT2, "pivot_root": unix.SYS_PIVOT_ROOT, "move_mount": unix.SYS_MOVE_MOUNT,
	"open_tree": unix.SYS_OPEN_TREE, "fsopen": unix.SYS_FSOPEN, "fsmount": unix.SYS_FSMOUNT, "fsconfig": unix.SYS_FSCONFIG,
	"kexec_load": unix.SYS_KEXEC_LOAD, "kexec_file_load": unix.SYS_KEXEC_FILE_LOAD, "reboot": unix.SYS_REBOOT,
	"bpf": unix.SYS_BPF, "perf_event_open": unix.SYS_PERF_EVENT_OPEN,
	"keyctl": unix.SYS_KEYCTL, "add_key": unix.SYS_ADD_KEY, "request_key": unix.SYS_REQUEST_KEY,
	"unshare": unix.SYS_UNSHARE, "setns": unix.SYS_SETNS,
	"io_uring_setup": unix.SYS_IO_URING_SETUP, "io_uring_enter": unix.SYS_IO_URING_ENTER, "io_uring_register": unix.SYS_IO_URING_REGISTER,
	"init_module": unix.SYS_INIT_MODULE, "finit_module": unix.SYS_FINIT_MODULE, "delete_module": unix.SYS_DELETE_MODULE,
	"swapon": unix.SYS_SWAPON, "swapoff": unix.SYS_SWAPOFF, "open_by_handle_at": unix.SYS_OPEN_BY_HANDLE_AT, "userfaultfd": unix.SYS_USERFAULTFD,
}

// nativeFilter is what the filter needs on this architecture: its
// AUDIT_ARCH, whether it has x32 calls, and the denied calls' numbers.
func nativeFilter() (arch uint32, x32 bool, nrs []uint32, err error) {
	arch, x32 = unix.AUDIT_ARCH_AARCH64, false
	if runtime.GOARCH == "amd64" {
		arch, x32 = unix.AUDIT_ARCH_X86_64, true
	}
	for _, name := range DeniedSyscalls {
		nr, ok := syscallNumbers[name]
		if !ok {
			return 0, false, nil, fmt.Errorf("no number for %s on %s", name, runtime.GOARCH)
		}
		nrs = append(nrs, nr)
	}
	return arch, x32, nrs, nil
}
