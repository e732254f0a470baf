package preflight

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/plugctl/plugctl/internal/advice"
	"github.com/plugctl/plugctl/internal/deps"
	"github.com/plugctl/plugctl/internal/english"
	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/plugctl/plugctl/internal/inspect"
	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/sanitize"
)

// HasErrors reports whether any finding is an error.
func (r *Report) HasErrors() bool {
	return slices.ContainsFunc(r.Findings, func(f report.Finding) bool { return f.Severity == report.Error })
}

// statusRank orders statuses: a report takes the worst its findings imply.
var statusRank = map[report.FileStatus]int{report.Plugin: 0, report.Incompatible: 1, report.NotPlugin: 2, report.Invalid: 3}

// add records a finding; st is the status it implies (Plugin for none).
// Messages quote names read from the file: they are sanitized here, once.
func (r *Report) add(sev report.Severity, id report.ID, msg, hint string, st ...report.FileStatus) {
	f := report.Finding{ID: id, Severity: sev, Message: sanitize.Clean(msg), Hint: sanitize.Clean(hint)}
	r.Findings = append(r.Findings, f)
	if len(st) > 0 && statusRank[st[0]] > statusRank[r.Status] {
		r.Status, r.Reason = st[0], f.Message
	}
}

// hasExport reports whether the file exports a symbol called name.
func (r *Report) hasExport(name string) bool {
	return slices.ContainsFunc(r.file.Exports, func(s inspect.Symbol) bool { return s.Name == name })
}

// mangledEntry is inspect.MangledEntry for init_plugin, from the search
// Check started if it did.
func (r *Report) mangledEntry(path string) string {
	if r.mangled != nil {
		return <-r.mangled
	}
	return inspect.MangledEntry(path, hostapi.EntrySymbol)
}

func (r *Report) findings(path string, res *deps.Resolver, opts Options) {
	f := r.file
	if f.Kind != inspect.SharedLibrary {
		r.add(report.Error, report.NotALibrary, "it is "+f.Kind.Phrase()+", not a shared library", advice.NotShared, report.Invalid)
		return
	}
	var inc *inspect.IncompatibleError
	if err := f.CheckHost(); errors.As(err, &inc) {
		r.add(report.Error, report.WrongPlatform, inc.Why, advice.Platform(), report.Incompatible)
	}
	if len(f.Damaged) > 0 {
		// The exports and needed libraries are not known: no finding that
		// rests on them would be evidence.
		for _, err := range f.Damaged {
			r.add(report.Error, report.MalformedTable, err.Error(), advice.Damaged, report.Invalid)
		}
		return
	}

	// Worked out first, said below in its place: it reads every export's
	// name, which in a large Rust library takes long enough to overlap
	// the search for a mangled entry point running on another core.
	hostCode := r.hostCode(path)

	if opts.ABI != nil {
		r.described(opts.ABI, opts.HostVersion)
	} else if !r.hasExport(hostapi.EntrySymbol) {
		if mangled := r.mangledEntry(path); mangled != "" {
			r.add(report.Error, report.MangledEntryPoint, "no init_plugin export, but the "+inspect.Mangling(mangled)+"-mangled symbol "+mangled+" names it", advice.Entry(mangled, f.Rust, hostapi.EntrySymbol, hostapi.EntryPrototype), report.NotPlugin)
		} else {
			r.add(report.Error, report.NoEntryPoint, "no init_plugin export", advice.Entry("", f.Rust, hostapi.EntrySymbol, hostapi.EntryPrototype), report.NotPlugin)
		}
	}

	if err := r.manifestErr; err != nil {
		switch {
		case errors.Is(err, hostapi.ErrAPIVersion):
			r.add(report.Error, report.ManifestAPIVersion, "manifest: "+err.Error(), advice.Manifest(err, r.hostAPI), report.Incompatible)
		case errors.Is(err, hostapi.ErrTableSize):
			r.add(report.Error, report.ManifestTableSize, "manifest: "+err.Error(), advice.Manifest(err, r.hostAPI), report.Incompatible)
		default:
			r.add(report.Error, report.ManifestInvalid, "manifest: "+err.Error(), advice.Manifest(err, r.hostAPI), report.Invalid)
		}
	}

	for _, l := range r.libs {
		if inspect.IsRustStd(filepath.Base(l.Name)) {
			r.add(report.Error, report.RustStdDylib, "needs Rust's dynamic standard library "+l.Name+", which is not installed where plugins are deployed", advice.RustStd, report.Incompatible)
		}
	}
	abs := r.absPath()
	deps.Walk(r.libs, func(l *deps.Lib) {
		if l.Repeat {
			return
		}
		by := ""
		if l.NeededBy != abs {
			by = ", needed by " + l.NeededBy
		}
		switch {
		case l.Status == deps.Missing && inspect.IsRustStd(filepath.Base(l.Name)):
			// Reported above, with the hint that fixes it.
		case l.Status == deps.Missing && l.Optional:
			r.add(report.Warning, report.MissingDependency, "optional library "+l.Name+" is not found"+by+"; the plugin loads without it", advice.Missing(l.Name, f.Format))
		case l.Status == deps.Missing:
			r.add(report.Error, report.MissingDependency, l.Name+" is not found"+by, advice.Missing(l.Name, f.Format), report.Incompatible)
		case l.Damaged != "":
			r.add(report.Error, report.MalformedTable, fmt.Sprintf("%s%s is found at %s, which no loader takes: %s", l.Name, by, l.Path, l.Damaged),
				advice.Damaged, report.Incompatible)
		case len(l.MissingVersions) > 0:
			who := "it"
			if by != "" {
				who = filepath.Base(l.NeededBy)
			}
			r.add(report.Error, report.MissingSymbolVersion,
				fmt.Sprintf("%s needs symbol version %s from %s, which %s does not define", who, strings.Join(l.MissingVersions, ", "), l.Name, l.Path),
				"the plugin was built against a newer "+l.Name+" than the one here (a newer distribution?): build it on the oldest system it must run on, or ship the library it needs", report.Incompatible)
		}
	})

	r.undefined(path, res)
	if hostCode != "" {
		r.add(report.Warning, report.HostCodeLinked, hostCode, advice.HostCode)
	}
	r.writable(path, opts.Dirs)
}

// undefined flags the symbols the plugin needs that no library it loads
// defines: RTLD_NOW refuses such a plugin. The classic cause is a plugin that
// calls the host's functions directly instead of through HostFunctions.
// Only unversioned symbols are looked up (versioned ones are checked by
// library), and only when every library was found and read, so a missing
// or damaged library is reported once, never guessed from. The C library is in every host process, so its exports
// count even when the plugin does not name it.
func (r *Report) undefined(path string, res *deps.Resolver) {
	f := r.file
	if len(f.Undefined) == 0 || f.Format != inspect.ELF || !r.LoadsHere || res == nil {
		return
	}
	var found []string
	complete := true
	deps.Walk(r.libs, func(l *deps.Lib) {
		switch {
		case l.Status != deps.Found || l.Damaged != "":
			complete = false // what it defines is unknown
		case !l.Repeat:
			found = append(found, l.Path)
		}
	})
	if !complete {
		return
	}
	var missing []string
	for _, name := range f.Undefined {
		if !slices.ContainsFunc(found, func(p string) bool { return res.Exports(p)[name] }) {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		// The C library the plugin's own process would load: of its class,
		// byte order and machine, which the search checks.
		libc := &inspect.File{Format: inspect.ELF, Kind: inspect.SharedLibrary, Arch: f.Arch, Bits: f.Bits, OS: f.OS,
			ByteOrder: f.ByteOrder, Machine: f.Machine, Needed: []inspect.Dependency{{Name: "libc.so.6"}}}
		if libs := res.Resolve(r.absPath(), libc); len(libs) == 1 && libs[0].Status == deps.Found {
			missing = slices.DeleteFunc(missing, func(name string) bool { return res.Exports(libs[0].Path)[name] })
		}
	}
	for _, name := range missing {
		r.add(report.Error, report.UnresolvedSymbol, "undefined symbol "+name+": no library it needs defines it, and hosts export nothing",
			advice.Undefined(name), report.Incompatible)
	}
}

// absPath is the report's path made absolute (as it was when Check
// began), or the path itself where that fails.
func (r *Report) absPath() string {
	if r.abs == "" {
		r.abs = absOrSelf(string(r.Path))
	}
	return r.abs
}

// stdCrates are Rust's standard library and the crates it is built from.
var stdCrates = []string{"std", "core", "alloc", "compiler_builtins", "panic_unwind", "panic_abort",
	"unwind", "std_detect", "hashbrown", "gimli", "addr2line", "miniz_oxide", "rustc_demangle",
	"object", "memchr", "adler", "adler2", "cfg_if", "libc", "rustc_std_workspace_core",
	"rustc_std_workspace_alloc", "proc_macro", "test", "__rustc"}

// hostCode is the finding (empty for none) for a plugin that exports Rust
// symbols of crates other than its own and the standard library's: the
// sign of a plugin that depends on the host application's crate and so
// links the host's code into itself.
func (r *Report) hostCode(path string) (finding string) {
	own := strings.ReplaceAll(LibraryStem(path), "-", "_")
	counts, mangled := crateCounts(r.Exports, own)
	if len(counts) == 0 {
		return ""
	}
	crates := make([]string, 0, len(counts))
	for c := range counts {
		crates = append(crates, c)
	}
	slices.SortFunc(crates, func(a, b string) int {
		if counts[a] != counts[b] {
			return counts[b] - counts[a]
		}
		return strings.Compare(a, b)
	})
	list := strings.Join(crates[:min(len(crates), 3)], ", ")
	if len(crates) > 3 {
		list += fmt.Sprintf(" and %d more", len(crates)-3)
	}
	others := len(r.Exports) - abiExports(r.Exports)
	return fmt.Sprintf("exports %s besides its entry points, %d of them Rust-mangled, from %s %s: it probably links the host's code statically", english.Count(others, "symbol"), mangled, english.Noun(len(crates), "crate"), list)
}

// crateCounts counts, for each crate other than own and the standard
// library's, the Rust-mangled exports that name it, and the Rust-mangled
// exports. A large library's exports (librustc_driver has 19,888) are
// counted in two halves at once: for inspect of that library, 64.1 -> 62.0
// ms, though the mangled-entry search may hold the other core meanwhile.
func crateCounts(exports []Export, own string) (counts map[string]int, mangled int) {
	const halvesFrom = 8192
	if len(exports) < halvesFrom {
		return countCrates(exports, own)
	}
	half := len(exports) / 2
	var other map[string]int
	var otherMangled int
	done := make(chan struct{})
	go func() {
		defer close(done)
		other, otherMangled = countCrates(exports[half:], own)
	}()
	counts, mangled = countCrates(exports[:half], own)
	<-done
	for c, n := range other {
		counts[c] += n
	}
	return counts, mangled + otherMangled
}

func countCrates(exports []Export, own string) (counts map[string]int, mangled int) {
	counts = map[string]int{}
	var named []string
	for _, x := range exports {
		if !inspect.IsRustMangled(string(x.Name)) {
			continue
		}
		mangled++
		named = inspect.AppendRustCrates(named[:0], string(x.Name))
		for _, c := range named {
			if c != own && !slices.Contains(stdCrates, c) {
				counts[c]++
			}
		}
	}
	return counts, mangled
}

func abiExports(xs []Export) int {
	n := 0
	for _, x := range xs {
		if x.Role != "" {
			n++
		}
	}
	return n
}

// LibraryStem returns a library file's name without "lib" and its
// extension: libfoo.so, foo.dll and libfoo.dylib are all "foo".
func LibraryStem(path string) string {
	base := filepath.Base(path)
	for _, ext := range []string{".so", ".dylib", ".dll", ".bundle"} {
		if stem, ok := strings.CutSuffix(base, ext); ok {
			return strings.TrimPrefix(stem, "lib")
		}
	}
	return base
}

func hintRebuild(err error) string {
	var fe *inspect.FormatError
	if errors.As(err, &fe) {
		return advice.Corrupt
	}
	return ""
}

// InvalidReason says why inspect could not read err's file as an object file.
func InvalidReason(err error) string {
	if errors.Is(err, inspect.ErrNotObject) {
		if err == inspect.ErrNotObject {
			return "not a shared library (no ELF, PE or Mach-O header)"
		}
		return "not a shared library (" + strings.TrimPrefix(err.Error(), inspect.ErrNotObject.Error()+": ") + ")"
	}
	return err.Error()
}
