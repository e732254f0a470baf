// Package sandbox confines a worker process, so that the plugins it runs
// cannot reach what the run does not give them. On Linux a confined
// worker runs in new user and network namespaces (no network, loopback
// included), under Landlock (files: read and execute on an allow-list,
// read-write on a scratch directory and what the user adds) and under a
// seccomp filter that denies what no plugin's init needs (ptrace, mount,
// kexec, bpf, perf_event_open, keys, namespaces, io_uring, modules).
//
// The parent asks what this system can apply (Probe), starts the worker
// with the namespaces (Attr) and the policy as an argument (Policy.Arg);
// the worker confines itself before it touches a plugin (Confine) and
// re-executes itself, so that every thread of the process that runs
// plugins starts confined.
package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// Mode is how much sandboxing a run asks for.
type Mode string

const (
	Off        Mode = ""            // no sandbox
	Strict     Mode = "strict"      // every layer, or the run fails before any plugin runs
	BestEffort Mode = "best-effort" // what this system can apply, and say what it could not
)

// ParseMode reads --sandbox's value.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "", "false", "off":
		return Off, nil
	case "true", "strict", "on":
		return Strict, nil
	case "best-effort":
		return BestEffort, nil
	}
	return Off, fmt.Errorf("want strict or best-effort (or off)")
}

// Layer is one of the sandbox's mechanisms.
type Layer string

const (
	Namespaces Layer = "namespaces" // user and network namespaces: no network
	Landlock   Layer = "landlock"   // file access limited to an allow-list
	Seccomp    Layer = "seccomp"    // dangerous system calls denied
)

// Layers are all of them, in the order they are applied.
var Layers = []Layer{Namespaces, Landlock, Seccomp}

// Missing is a layer this system cannot apply: why, and how to get it.
type Missing struct {
	Layer Layer  `json:"layer"`
	Why   string `json:"why"`
	Fix   string `json:"fix"`
}

func (m Missing) Error() string { return string(m.Layer) + ": " + m.Why }

// Policy is what a confined worker may reach.
type Policy struct {
	// Read are files and directories it may read and execute: the
	// plugins' directories, where their dependencies are, the system's
	// library directories, what the loader and the C library read.
	Read []string `json:"read"`
	// Write are files and directories it may also write: the scratch
	// directory (TMPDIR and HOME), /dev/null, what --sandbox-write adds.
	Write []string `json:"write"`
	// Layers are the layers to apply (best-effort: those available).
	Layers []Layer `json:"layers"`
}

// argPrefix marks the worker argument that carries a policy, and
// confined the one a worker re-executed under it gets instead.
const (
	argPrefix = "sandbox="
	confined  = "sandboxed"
)

// Arg is p as one worker argument.
func (p Policy) Arg() string {
	b, _ := json.Marshal(p)
	return argPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// FromArg reads a policy argument: ok is false for an argument that is
// not one, and confinedAlready true for the argument of a worker that has
// confined itself.
func FromArg(arg string) (p Policy, ok, confinedAlready bool, err error) {
	if arg == confined {
		return Policy{}, true, true, nil
	}
	enc, found := strings.CutPrefix(arg, argPrefix)
	if !found {
		return Policy{}, false, false, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if err == nil {
		err = json.Unmarshal(b, &p)
	}
	return p, true, false, err
}

// Reads reports whether p lets a confined process read path: path is one
// of p.Read or below one (both absolute and clean).
func (p Policy) Reads(path string) bool {
	for _, r := range p.Read {
		if path == r || strings.HasPrefix(path, r) && (strings.HasSuffix(r, "/") || strings.HasPrefix(path[len(r):], "/")) {
			return true
		}
	}
	return false
}

// Dirs are the directories a process needs to read to open the file at
// path: its directory, and where it is once symbolic links are followed
// (Landlock judges the file where it is).
func Dirs(path string) []string {
	dirs := []string{filepath.Dir(path)}
	if real, err := filepath.EvalSymlinks(path); err == nil && filepath.Dir(real) != dirs[0] {
		if abs, err := filepath.Abs(real); err == nil {
			dirs = append(dirs, filepath.Dir(abs))
		}
	}
	return dirs
}

// Has reports whether p applies layer l.
func (p Policy) Has(l Layer) bool { return slices.Contains(p.Layers, l) }

// DeniedSyscalls are what the seccomp filter refuses (EPERM): what no
// plugin's initialisation needs, and what escapes or attacks the machine.
var DeniedSyscalls = []string{
	"ptrace", "process_vm_readv", "process_vm_writev",
	"mount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsmount", "fsconfig",
	"kexec_load", "kexec_file_load", "reboot",
	"bpf", "perf_event_open",
	"keyctl", "add_key", "request_key",
	"unshare", "setns",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	"init_module", "finit_module", "delete_module",
	"swapon", "swapoff", "open_by_handle_at", "userfaultfd",
}

// Unavailable, when set, names layers Probe reports missing whatever the
// kernel has: the tests' way to reach the error of a system without them.
var Unavailable []Layer

// ProbeKernel reports the layers this kernel cannot apply (namespaces
// aside: only starting a process in them tells).
func ProbeKernel() []Missing {
	missing := probeKernel()
	for _, l := range Unavailable {
		missing = append(missing, Missing{l, "made unavailable by the test harness", "none: a test asked for it"})
	}
	return missing
}
