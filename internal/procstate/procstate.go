// Package procstate takes snapshots of what a process shares with every
// plugin loaded into it (its working directory, umask, signal dispositions,
// the calling thread's signal mask, descriptor table, the C library's
// environment and locale, resource limits, timers and threads) and says,
// for two snapshots, what a plugin changed and why a host would suffer for
// it.
//
// It only reads: taking a snapshot changes nothing a plugin could notice.
// What it can read depends on the system: everything on Linux; the
// directory, umask, descriptors, environment, locale and limits on other
// Unix systems; the directory and environment on Windows. A part it cannot
// read is left empty in both snapshots and compares equal.
package procstate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/plugctl/plugctl/internal/report"
)

// Snapshot is the shared state of this process at one moment.
type Snapshot struct {
	Dir   string
	Umask int // -1: unknown
	// Signals holds each signal's disposition as the kernel has it (Linux);
	// index 0 is unused.
	Signals []Action
	// Mask is the signal mask of the thread that took the snapshot (Linux).
	Mask uint64
	FDs  []FD // by number
	// Env is the C library's environment, sorted.
	Env    []string
	Locale string
	Limits []Limit
	// Timers lists the interval and POSIX timers that are armed (Linux).
	Timers []string
	// Threads counts the threads that are not the Go runtime's own: the ones
	// plugins started (-1: unknown).
	Threads int
}

// Action is one signal's disposition.
type Action struct {
	Handler uintptr // 0 SIG_DFL, 1 SIG_IGN, else a function
	Flags   uint64
	Raw     [4]uint64 // the kernel's whole record, mask and restorer included
}

// Disposition values of Action.Handler.
const (
	sigDefault = 0
	sigIgnore  = 1
)

// saOnStack is SA_ONSTACK on every system plugctl runs on.
const saOnStack = 0x08000000

// FD is an open descriptor.
type FD struct {
	Num      int
	Dev, Ino uint64
	CloExec  bool
	Desc     string // what it is open on, like "/dev/null" or "pipe:[1234]"
}

// Limit is one resource limit.
type Limit struct {
	Name      string // like "RLIMIT_NOFILE"
	Soft, Max uint64
}

// Change is one way a plugin changed the state it shares with its host.
type Change struct {
	Kind   report.ID // a stable name: one of report's ids of state changes
	Detail string    // what changed, and why a host suffers for it
	// Fatal marks a change that breaks the host outright: a descriptor it
	// had open was closed or replaced.
	Fatal bool
}

// Running lists what in s can still run a plugin's code after init_plugin
// returned, that base did not have: threads that are not the Go runtime's,
// signal handler functions, armed timers. A plugin that leaves none of these
// can run again only if the host calls it.
func Running(base, s Snapshot) []string {
	var out []string
	switch {
	case s.Threads < 0:
		out = append(out, "threads (this system cannot count them)")
	case s.Threads == 1:
		out = append(out, "1 thread")
	case s.Threads > 1:
		out = append(out, fmt.Sprintf("%d threads", s.Threads))
	}
	for sig := range min(len(base.Signals), len(s.Signals)) {
		a, b := base.Signals[sig], s.Signals[sig]
		if b.Handler > sigIgnore && b.Handler != a.Handler {
			out = append(out, "a handler for "+signalName(sig))
		}
	}
	for _, t := range s.Timers {
		if !slices.Contains(base.Timers, t) {
			out = append(out, t)
		}
	}
	return out
}

// Names gives the descriptors whose role the caller knows, for messages:
// "stdout", "plugctl's channel".
type Names map[int]string

// Compare lists what changed from before to after, in a fixed order:
// descriptors, signals, the rest.
func Compare(before, after Snapshot, names Names) []Change {
	var out []Change
	out = append(out, compareFDs(before.FDs, after.FDs, names)...)
	out = append(out, compareSignals(before.Signals, after.Signals)...)
	if before.Mask != after.Mask {
		out = append(out, Change{Kind: report.SignalMask, Detail: maskDetail(before.Mask, after.Mask)})
	}
	if before.Dir != after.Dir {
		out = append(out, Change{Kind: report.WorkingDirectory, Detail: fmt.Sprintf("changed the working directory from %s to %s: "+
			"it is the whole process's, so the host's relative paths (its files, its settings, the next plugins it loads) now resolve elsewhere", quote(before.Dir), quote(after.Dir))})
	}
	if before.Umask != after.Umask && before.Umask >= 0 && after.Umask >= 0 {
		out = append(out, Change{Kind: report.Umask, Detail: fmt.Sprintf("changed the umask from %04o to %04o: "+
			"it is the whole process's, so every file the host creates from now on gets other permissions", before.Umask, after.Umask)})
	}
	if !slices.Equal(before.Env, after.Env) {
		if d := envDetail(before.Env, after.Env); d != "" {
			out = append(out, Change{Kind: report.Environment, Detail: d})
		}
	}
	if before.Locale != after.Locale {
		out = append(out, Change{Kind: report.Locale, Detail: fmt.Sprintf("changed the C locale from %s to %s: "+
			"the locale is the whole process's, so the host's printf, strtod and character classes now follow it (a decimal comma breaks numbers it writes and parses)", quote(before.Locale), quote(after.Locale))})
	}
	out = append(out, compareLimits(before.Limits, after.Limits)...)
	for _, t := range after.Timers {
		if !slices.Contains(before.Timers, t) {
			out = append(out, Change{Kind: report.Timer, Detail: "armed " + t + " and left it armed: when it fires, its signal goes to the host, whose default action for it is to end the process"})
		}
	}
	return out
}

func compareFDs(before, after []FD, names Names) []Change {
	var out []Change
	// Both are sorted by number: walk them together.
	i, j := 0, 0
	for i < len(before) || j < len(after) {
		switch {
		case j == len(after) || (i < len(before) && before[i].Num < after[j].Num):
			f := before[i]
			out = append(out, Change{Kind: report.DescriptorClosed, Fatal: true, Detail: fmt.Sprintf(
				"closed descriptor %d (%s), which the host had open: a plugin must close only what it opened; the host's next use of it fails, or reaches whatever the descriptor is reused for", f.Num, describeFD(f, names))})
			i++
		case i == len(before) || after[j].Num < before[i].Num:
			f := after[j]
			inherit := "close-on-exec, so programs the host starts do not inherit it"
			if !f.CloExec {
				inherit = "not close-on-exec, so every program the host starts inherits it"
			}
			out = append(out, Change{Kind: report.DescriptorLeftOpen, Detail: fmt.Sprintf(
				"left descriptor %d open (%s), %s; a plugin is never unloaded, so it stays open for the host's life", f.Num, quote(f.Desc), inherit)})
			j++
		default:
			f, g := before[i], after[j]
			if g.Dev != f.Dev || g.Ino != f.Ino {
				out = append(out, Change{Kind: report.DescriptorReplaced, Fatal: true, Detail: fmt.Sprintf(
					"replaced descriptor %d (%s), which the host had open, with %s: what the host writes to it or reads from it now goes elsewhere", f.Num, describeFD(f, names), quote(g.Desc))})
			}
			i, j = i+1, j+1
		}
	}
	// Closed ones first, as a host would notice them.
	slices.SortStableFunc(out, func(a, b Change) int { return kindOrder(a.Kind) - kindOrder(b.Kind) })
	return out
}

func kindOrder(k report.ID) int {
	switch k {
	case report.DescriptorClosed, report.DescriptorReplaced:
		return 0
	}
	return 1
}

func describeFD(f FD, names Names) string {
	if n := names[f.Num]; n != "" {
		return n + ": " + quote(f.Desc)
	}
	return quote(f.Desc)
}

func compareSignals(before, after []Action) []Change {
	var out []Change
	for sig := 1; sig < min(len(before), len(after)); sig++ {
		a, b := before[sig], after[sig]
		if a.Raw == b.Raw {
			continue
		}
		out = append(out, Change{Kind: report.SignalHandler, Detail: signalDetail(sig, a, b)})
	}
	return out
}

// disposition names a disposition; whose is the owner of a handler.
func disposition(a Action, whose string) string {
	switch a.Handler {
	case sigDefault:
		return "the default action"
	case sigIgnore:
		return "ignored"
	}
	return whose + " handler"
}

// signalDetail says what became of sig and why a host suffers for it.
func signalDetail(sig int, a, b Action) string {
	name := signalName(sig)
	what := fmt.Sprintf("changed %s from %s to %s", name, disposition(a, "the host's"), disposition(b, "a"))
	if a.Handler == b.Handler {
		what = fmt.Sprintf("changed the flags or mask of %s's handling (%s)", name, disposition(b, "the host's"))
	}
	if b.Handler > sigIgnore && a.Handler != b.Handler {
		what = fmt.Sprintf("installed its own handler for %s (it was %s)", name, disposition(a, "the host's"))
	}
	var why string
	switch {
	case isFault(sig) && b.Handler > sigIgnore && b.Flags&saOnStack == 0:
		why = "the handler has no SA_ONSTACK, so it runs on the faulting thread's stack: Go and Rust runtimes take stack overflows and faults on an alternate signal stack, and a host with either one dies or hangs on its next fault"
	case isFault(sig):
		why = "faults in the host's own code now go to the plugin's handling instead of the host's"
	case sig == sigPIPE && b.Handler == sigIgnore:
		why = "an ignored SIGPIPE is inherited by every program the host starts: a pipeline stage that should end when its reader goes keeps running"
	case sig == sigCHLD && b.Handler == sigIgnore:
		why = "with SIGCHLD ignored the kernel reaps the host's children itself: the host's waitpid fails with ECHILD and it never learns how its children ended"
	case sig == sigINT || sig == sigTERM || sig == sigHUP || sig == sigQUIT:
		why = "the host's own shutdown on " + name + " is gone (Ctrl-C, a service manager's stop)"
	default:
		why = "signal dispositions are the whole process's: the host's handling of " + name + " is replaced"
	}
	return what + ": " + why
}

func isFault(sig int) bool {
	return sig == sigSEGV || sig == sigBUS || sig == sigFPE || sig == sigILL
}

// maskDetail names the signals blocked or unblocked on the calling thread.
func maskDetail(before, after uint64) string {
	var blocked, unblocked []string
	for sig := 1; sig <= 64; sig++ {
		bit := uint64(1) << (sig - 1)
		switch {
		case after&bit != 0 && before&bit == 0:
			blocked = append(blocked, signalName(sig))
		case after&bit == 0 && before&bit != 0:
			unblocked = append(unblocked, signalName(sig))
		}
	}
	var parts []string
	if len(blocked) > 0 {
		parts = append(parts, "left "+strings.Join(blocked, ", ")+" blocked")
	}
	if len(unblocked) > 0 {
		parts = append(parts, "unblocked "+strings.Join(unblocked, ", "))
	}
	return strings.Join(parts, " and ") + " on the host's thread that called it: the host's signal handling on that thread is no longer what it set up"
}

// envDetail names the variables set, changed and unset (never their
// values, which may be secrets).
func envDetail(before, after []string) string {
	parse := func(env []string) map[string]string {
		m := make(map[string]string, len(env))
		for _, kv := range env {
			k, v, _ := strings.Cut(kv, "=")
			m[k] = v
		}
		return m
	}
	a, b := parse(before), parse(after)
	var set, changed, unset []string
	for k, v := range b {
		old, ok := a[k]
		switch {
		case !ok:
			set = append(set, k)
		case old != v:
			changed = append(changed, k)
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			unset = append(unset, k)
		}
	}
	var parts []string
	for _, p := range []struct {
		verb  string
		names []string
	}{{"set", set}, {"changed", changed}, {"unset", unset}} {
		if len(p.names) > 0 {
			slices.Sort(p.names)
			parts = append(parts, p.verb+" "+strings.Join(quoteAll(p.names), ", "))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "; ") + " in the environment: it is the whole process's, so the host and every program it starts see the change, and setenv racing another thread's getenv can crash the host"
}

func compareLimits(before, after []Limit) []Change {
	if slices.Equal(before, after) {
		return nil
	}
	var out []Change
	old := map[string]Limit{}
	for _, l := range before {
		old[l.Name] = l
	}
	for _, l := range after {
		o, ok := old[l.Name]
		if !ok || o == l {
			continue
		}
		out = append(out, Change{Kind: report.ResourceLimit, Detail: fmt.Sprintf("changed %s from %s to %s: resource limits are the whole process's, and the programs the host starts inherit them",
			l.Name, limitString(o), limitString(l))})
	}
	return out
}

const infinity = ^uint64(0)

func limitString(l Limit) string {
	v := func(n uint64) string {
		if n == infinity {
			return "unlimited"
		}
		return fmt.Sprint(n)
	}
	return v(l.Soft) + " (hard " + v(l.Max) + ")"
}

// quote shows a string from the system (a path, a variable's name) in
// quotes with anything unprintable escaped.
func quote(s string) string { return fmt.Sprintf("%q", s) }

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = quote(x)
	}
	return out
}
