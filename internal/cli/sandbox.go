package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/plugctl/plugctl/internal/deps"
	"github.com/plugctl/plugctl/internal/inspect"
	"github.com/plugctl/plugctl/internal/sandbox"
	"github.com/plugctl/plugctl/internal/worker"
)

// sandboxReport is what a run's sandbox was: "sandbox" in verify's JSON
// (null without --sandbox), a property in its JUnit report.
type sandboxReport struct {
	Mode    sandbox.Mode      `json:"mode"`
	Layers  []sandbox.Layer   `json:"layers"`
	Missing []sandbox.Missing `json:"missing"`
	// LandlockABI is the kernel's Landlock ABI version the ruleset used
	// (0 without Landlock).
	LandlockABI int      `json:"landlock_abi"`
	Read        []string `json:"read"`
	Write       []string `json:"write"`

	scratch string // TMPDIR and HOME of the workers, removed at the end
}

// Summary is the report in a few words: "strict: namespaces, landlock
// (ABI 7), seccomp".
func (r *sandboxReport) Summary() string {
	parts := make([]string, len(r.Layers))
	for i, l := range r.Layers {
		parts[i] = string(l)
		if l == sandbox.Landlock {
			parts[i] += fmt.Sprintf(" (ABI %d)", r.LandlockABI)
		}
	}
	s := string(r.Mode) + ": " + strings.Join(parts, ", ")
	if len(r.Layers) == 0 {
		s = string(r.Mode) + ": none"
	}
	for _, m := range r.Missing {
		s += "; without " + string(m.Layer)
	}
	return s
}

// close removes the scratch directory.
func (r *sandboxReport) close() {
	if r != nil && r.scratch != "" {
		os.RemoveAll(r.scratch)
	}
}

// systemFiles are what the dynamic loader, the C library and the worker
// read besides libraries; /dev/null is written.
var (
	systemRead = []string{"/etc/ld.so.cache", "/etc/ld.so.preload", "/etc/localtime", "/usr/share/zoneinfo",
		"/usr/lib/locale", "/usr/share/locale", "/dev/urandom", "/dev/random",
		"/dev/zero", "/proc/self", "/sys/devices/system/cpu"}
	systemLibDirs = []string{"/lib", "/lib64", "/lib32", "/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/local/lib",
		"/bin", "/usr/bin"} // a program a plugin starts (system()) starts, confined as it is
)

// setUpSandbox applies --sandbox to wc for a run of plugins: it checks
// what this system can apply (strict: all of it, or an error before any
// plugin runs), and gives the workers a policy and a scratch directory as
// TMPDIR and HOME. It returns nil without --sandbox.
// withDeps adds the directories the plugins' libraries resolve to, which
// takes reading every plugin: load's few. verify adds a plugin's own to
// the worker that runs it, from the checks it makes anyway.
func (o *isolation) setUpSandbox(s *Streams, wc *worker.Config, plugins []string, withDeps bool) (*sandboxReport, error) {
	mode, err := sandbox.ParseMode(o.sandbox)
	if err != nil {
		return nil, usagef("invalid --sandbox %q: %v", o.sandbox, err)
	}
	if mode == sandbox.Off {
		if len(o.sandboxRead)+len(o.sandboxWrite) > 0 {
			return nil, usagef("--sandbox-read and --sandbox-write need --sandbox")
		}
		return nil, nil
	}
	if !sandbox.Supported {
		return nil, &hintedError{fmt.Errorf("--sandbox is not supported on this system yet: plugctl confines workers on Linux only"),
			"run plugctl verify --sandbox on Linux (a CI job or a container), or without --sandbox here"}
	}
	// The probe starts a process: the policy is worked out meanwhile.
	probe := make(chan []sandbox.Missing, 1)
	go func() { probe <- worker.ProbeSandbox() }()
	read := readList(wc, plugins, withDeps, o.sandboxRead)
	rep := &sandboxReport{Mode: mode, Missing: <-probe, Read: read, Write: []string{}}
	if rep.Missing == nil {
		rep.Missing = []sandbox.Missing{}
	}
	for _, l := range sandbox.Layers {
		if !slices.ContainsFunc(rep.Missing, func(m sandbox.Missing) bool { return m.Layer == l }) {
			rep.Layers = append(rep.Layers, l)
		}
	}
	if len(rep.Missing) > 0 {
		m := rep.Missing[0]
		if mode == sandbox.Strict {
			return nil, &hintedError{fmt.Errorf("--sandbox: no %s: %s; no plugin was run", m.Layer, m.Why),
				m.Fix + "; or --sandbox=best-effort runs with what this system has, and says what it lacks"}
		}
		for _, m := range rep.Missing {
			s.warnf("--sandbox=best-effort: no %s: %s; the plugins run without it", m.Layer, m.Why)
		}
	}
	if slices.Contains(rep.Layers, sandbox.Landlock) {
		rep.LandlockABI = sandbox.LandlockABI()
	}
	rep.scratch, err = os.MkdirTemp("", "plugctl-sandbox-")
	if err != nil {
		return nil, fmt.Errorf("--sandbox: creating the workers' scratch directory: %w", err)
	}
	wc.Env = slices.DeleteFunc(wc.Env, func(e string) bool {
		return strings.HasPrefix(e, "TMPDIR=") || strings.HasPrefix(e, "HOME=")
	})
	wc.Env = append(wc.Env, "TMPDIR="+rep.scratch, "HOME="+rep.scratch)

	rep.Write = append(rep.Write, rep.scratch, "/dev/null")
	for _, p := range o.sandboxWrite {
		if abs, err := filepath.Abs(p); err == nil {
			rep.Write = append(rep.Write, abs)
		}
	}
	wc.Sandbox = &sandbox.Policy{Read: rep.Read, Write: rep.Write, Layers: rep.Layers}
	return rep, nil
}

// readList is what sandboxed workers may read and execute: plugctl itself
// (the worker re-executes it), what the loader and the C library read, the
// system's library directories, the plugins' directories (withDeps: and
// where their libraries resolve to) and what --sandbox-read adds; sorted.
func readList(wc *worker.Config, plugins []string, withDeps bool, extra []string) []string {
	read := map[string]bool{}
	add := func(p string) {
		if abs, err := filepath.Abs(p); err == nil {
			read[abs] = true
		}
	}
	if exe, err := os.Executable(); err == nil {
		add(exe)
	}
	for _, p := range systemRead {
		add(p)
	}
	for _, d := range systemLibDirs {
		add(d)
	}
	for _, d := range deps.ReadLdSoConf("/etc/ld.so.conf") {
		add(d)
	}
	for _, d := range filepath.SplitList(libraryPath(wc.Env)) {
		if d != "" {
			add(d)
		}
	}
	for _, p := range plugins {
		add(filepath.Dir(p))
	}
	if withDeps {
		res := deps.New(deps.Options{LibraryPath: ptr(libraryPath(wc.Env))})
		for _, dirs := range libraryDirs(plugins, res) {
			for _, d := range dirs {
				add(d)
			}
		}
	}
	for _, p := range extra {
		add(p)
	}
	list := make([]string, 0, len(read))
	for p := range read {
		list = append(list, p)
	}
	slices.Sort(list)
	return list
}

func ptr[T any](v T) *T { return &v }

// libraryDirs returns, for each plugin, the directories its libraries
// resolve to (read for linking only, in parallel).
func libraryDirs(plugins []string, res *deps.Resolver) [][]string {
	out := make([][]string, len(plugins))
	inParallel(len(plugins), func(i int) {
		abs, err := filepath.Abs(plugins[i])
		if err != nil {
			return
		}
		f, err := inspect.OpenLinkage(abs)
		if err != nil {
			return // the checks will say why; nothing of it loads
		}
		deps.Walk(res.Resolve(abs, f), func(l *deps.Lib) {
			if l.Status == deps.Found {
				out[i] = append(out[i], sandbox.Dirs(l.Path)...)
			}
		})
	})
	return out
}
