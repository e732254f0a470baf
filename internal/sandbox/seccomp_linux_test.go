//go:build linux && (amd64 || arm64)

package sandbox

import (
	"encoding/binary"
	"testing"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// vm runs a seccomp program on a system call numbered nr of the
// architecture arch, and returns its action.
func run(t *testing.T, prog []bpf.RawInstruction, arch, nr uint32) uint32 {
	t.Helper()
	insts, ok := bpf.Disassemble(prog)
	if !ok {
		t.Fatal("the filter does not disassemble")
	}
	vm, err := bpf.NewVM(insts)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 64) // struct seccomp_data, in this system's order
	binary.NativeEndian.PutUint32(data[offsetNr:], nr)
	binary.NativeEndian.PutUint32(data[offsetArch:], arch)
	// The VM reads loads as big-endian words; seccomp reads them in the
	// host's order: swap the words so that they read the same.
	for i := 0; i+4 <= len(data); i += 4 {
		binary.BigEndian.PutUint32(data[i:], binary.NativeEndian.Uint32(data[i:]))
	}
	action, err := vm.Run(data)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(action)
}

func raw(p []unix.SockFilter) []bpf.RawInstruction {
	out := make([]bpf.RawInstruction, len(p))
	for i, f := range p {
		out[i] = bpf.RawInstruction{Op: f.Code, Jt: f.Jt, Jf: f.Jf, K: f.K}
	}
	return out
}

// plugctl's filter decides every system call of this architecture as the
// filter github.com/elastic/go-seccomp-bpf assembles from the same policy
// does, x32 calls included; a call of another architecture's convention,
// which that filter lets through, this one refuses.
func TestFilterIsTheReferences(t *testing.T) {
	arch, x32, nrs, err := nativeFilter()
	if err != nil {
		t.Fatal(err)
	}
	ours := raw(filterProgram(arch, x32, nrs))
	policy := seccomp.Policy{
		DefaultAction: seccomp.ActionAllow,
		Syscalls:      []seccomp.SyscallGroup{{Names: DeniedSyscalls, Action: seccomp.ActionErrno}},
	}
	insts, err := policy.Assemble()
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := bpf.Assemble(insts)
	if err != nil {
		t.Fatal(err)
	}
	denied := 0
	for nr := uint32(0); nr < 1024; nr++ {
		for _, n := range []uint32{nr, nr | x32Bit} {
			a, b := run(t, ours, arch, n), run(t, theirs, arch, n)
			if a != b {
				t.Fatalf("system call %#x: action %#x, the reference %#x", n, a, b)
			}
			if a == unix.SECCOMP_RET_ERRNO|uint32(unix.EPERM) {
				denied++
			}
		}
	}
	if denied != len(DeniedSyscalls) {
		t.Errorf("%d calls refused, want the %d of DeniedSyscalls", denied, len(DeniedSyscalls))
	}
	if a := run(t, ours, unix.AUDIT_ARCH_I386, 26); a != unix.SECCOMP_RET_ERRNO|uint32(unix.EPERM) {
		t.Errorf("a 32-bit x86 call (ptrace): action %#x, want EPERM", a)
	}
}
