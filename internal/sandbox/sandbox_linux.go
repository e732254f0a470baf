//go:build linux

package sandbox

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"

	"github.com/landlock-lsm/go-landlock/landlock"
	ll "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

// Supported is true where Confine can confine a worker.
const Supported = true

// Attr gives a worker's process the namespaces when p has them: a new
// user namespace (the same user and group inside, and no privilege
// outside) and a new network namespace, whose only interface, loopback,
// is down.
func Attr(attr *syscall.SysProcAttr, p Policy) {
	if !p.Has(Namespaces) {
		return
	}
	attr.Cloneflags |= syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET
	uid, gid := os.Getuid(), os.Getgid()
	attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}}
	attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}}
	attr.GidMappingsEnableSetgroups = false
}

// probeKernel reports the layers this kernel lacks, but for namespaces,
// which only starting a process in them shows (ProbeNamespaces).
func probeKernel() []Missing {
	var missing []Missing
	if abi, err := ll.LandlockGetABIVersion(); err != nil || abi < 1 {
		why := "this kernel has no Landlock"
		if err != nil {
			why += " (" + err.Error() + ")"
		}
		missing = append(missing, Missing{Landlock, why,
			"Landlock is in Linux 5.13 and later: build the kernel with CONFIG_SECURITY_LANDLOCK=y and boot with lsm=landlock,... (most distributions' kernels have it enabled)"})
	}
	if !seccompSupported() {
		missing = append(missing, Missing{Seccomp, "this kernel has no seccomp filters",
			"build the kernel with CONFIG_SECCOMP_FILTER=y"})
	}
	return missing
}

// LandlockABI returns the kernel's Landlock ABI version, 0 if none.
func LandlockABI() int {
	abi, err := ll.LandlockGetABIVersion()
	if err != nil {
		return 0
	}
	return abi
}

// NamespacesMissing turns the error of starting a process in the
// namespaces into what is missing.
func NamespacesMissing(err error) Missing {
	fix := "allow unprivileged user namespaces: sysctl kernel.unprivileged_userns_clone=1 (Debian), user.max_user_namespaces above 0, and on Ubuntu 24.04 and later kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile for plugctl; in a container, run it with user namespaces allowed (Docker: --security-opt seccomp=unconfined or a profile that allows clone with CLONE_NEWUSER)"
	return Missing{Namespaces, "a process cannot be started in new user and network namespaces: " + err.Error(), fix}
}

// Confine applies p's Landlock and seccomp layers to the calling thread
// and re-executes this program with args (os.Args with the policy
// argument at index replaced): the process that runs plugins starts from
// one confined thread, so that every thread it will have is confined. It
// returns only when it fails.
func Confine(p Policy, index int) error {
	runtime.LockOSThread() // never unlocked: this thread execs
	// Root in the user namespace would keep its capabilities there across
	// exec: drop them from the bounding set, so that the worker has none.
	if os.Geteuid() == 0 {
		for c := 0; c <= unix.CAP_LAST_CAP; c++ {
			if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil && !errors.Is(err, unix.EINVAL) {
				return fmt.Errorf("dropping capability %d: %w", c, err)
			}
		}
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	if p.Has(Landlock) {
		if err := restrictThread(p); err != nil {
			return fmt.Errorf("landlock: %w", err)
		}
	}
	if p.Has(Seccomp) {
		if err := filterThread(); err != nil {
			return fmt.Errorf("seccomp: %w", err)
		}
	}
	args := append([]string(nil), os.Args...)
	args[index] = confined
	return syscall.Exec("/proc/self/exe", args, os.Environ())
}

// restrictThread puts the calling thread under a Landlock ruleset: read
// and execute on p.Read, read-write on p.Write, no TCP bind or connect, no
// abstract Unix sockets or signals outside the sandbox; the newest ABI this
// kernel has.
func restrictThread(p Policy) error {
	var rules []landlock.Rule
	for _, path := range p.Read {
		rules = append(rules, fsRule(path, false))
	}
	for _, path := range p.Write {
		rules = append(rules, fsRule(path, true))
	}
	fd, flags, err := landlock.V7.BestEffort().NewRulesetFD(rules...)
	if err != nil {
		return err
	}
	if fd < 0 {
		return errors.New("this kernel has no Landlock")
	}
	defer unix.Close(fd)
	if _, _, e := unix.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, uintptr(fd), uintptr(flags), 0); e != 0 {
		return e
	}
	return nil
}

// fsRule is the rule for a file or a directory (Landlock gives
// directory-only rights to directories only); a path that is not there is
// no rule.
func fsRule(path string, write bool) landlock.Rule {
	dir := true
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		dir = false
	}
	switch {
	case dir && write:
		return landlock.RWDirs(path).IgnoreIfMissing()
	case dir:
		return landlock.RODirs(path).IgnoreIfMissing()
	case write:
		return landlock.RWFiles(path).IgnoreIfMissing()
	}
	return landlock.ROFiles(path).IgnoreIfMissing()
}
