package preflight

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/plugctl/plugctl/internal/deps"
	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/plugctl/plugctl/internal/inspect"
)

// Severity is how much a finding matters.
type Severity string

const (
	Error   Severity = "error"   // the plugin will not load or start here
	Warning Severity = "warning" // it loads, but something is wrong or unsafe
)

// Finding is one diagnosed problem. IDs are stable; docs/cli.md lists them.
type Finding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Hint     string   `json:"hint,omitempty"`
}

// HasErrors reports whether any finding is an error.
func (r *Report) HasErrors() bool {
	return slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Severity == Error })
}

// statusRank orders statuses: a report takes the worst its findings imply.
var statusRank = map[Status]int{Plugin: 0, Incompatible: 1, NotPlugin: 2, Invalid: 3}

// add records a finding; st is the status it implies (Plugin for none).
func (r *Report) add(sev Severity, id, msg, hint string, st ...Status) {
	r.Findings = append(r.Findings, Finding{ID: id, Severity: sev, Message: msg, Hint: hint})
	if len(st) > 0 && statusRank[st[0]] > statusRank[r.Status] {
		r.Status, r.Reason = st[0], msg
	}
}

func (r *Report) findings(path string, res *deps.Resolver) {
	f := r.file
	if f.Kind != inspect.SharedLibrary {
		r.add(Error, "not-a-library", fmt.Sprintf("it is %s %s, not a shared library", article(string(f.Kind)), f.Kind), HintNotShared, Invalid)
		return
	}
	var inc *inspect.IncompatibleError
	if err := f.CheckHost(); errors.As(err, &inc) {
		r.add(Error, "wrong-platform", inc.Why, HintPlatform(), Incompatible)
	}

	if !slices.ContainsFunc(f.Exports, func(s inspect.Symbol) bool { return s.Name == hostapi.EntrySymbol }) {
		if mangled := inspect.MangledEntry(path); mangled != "" {
			r.add(Error, "mangled-entry-point", "no init_plugin export, but the "+inspect.Mangling(mangled)+"-mangled symbol "+mangled+" names it", EntryHint(mangled, f.Rust), NotPlugin)
		} else {
			r.add(Error, "no-entry-point", "no init_plugin export", EntryHint("", f.Rust), NotPlugin)
		}
	}

	if err := r.manifestErr; err != nil {
		switch {
		case errors.Is(err, hostapi.ErrAPIVersion):
			r.add(Error, "manifest-api-version", "manifest: "+err.Error(), ManifestHint(err, r.hostAPI), Incompatible)
		case errors.Is(err, hostapi.ErrTableSize):
			r.add(Error, "manifest-table-size", "manifest: "+err.Error(), ManifestHint(err, r.hostAPI), Incompatible)
		default:
			r.add(Error, "manifest-invalid", "manifest: "+err.Error(), ManifestHint(err, r.hostAPI), Invalid)
		}
	}

	for _, l := range r.libs {
		if inspect.IsRustStd(filepath.Base(l.Name)) {
			r.add(Error, "rust-std-dylib", "needs Rust's dynamic standard library "+l.Name+", which is not installed where plugins are deployed", HintRustStd, Incompatible)
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
			r.add(Warning, "missing-dependency", "optional library "+l.Name+" is not found"+by+"; the plugin loads without it", MissingHint(l.Name, f.Format))
		case l.Status == deps.Missing:
			r.add(Error, "missing-dependency", l.Name+" is not found"+by, MissingHint(l.Name, f.Format), Incompatible)
		case len(l.MissingVersions) > 0:
			who := "it"
			if by != "" {
				who = filepath.Base(l.NeededBy)
			}
			r.add(Error, "missing-symbol-version",
				fmt.Sprintf("%s needs symbol version %s from %s, which %s does not define", who, strings.Join(l.MissingVersions, ", "), l.Name, l.Path),
				"the plugin was built against a newer "+l.Name+" than the one here (a newer distribution?): build it on the oldest system it must run on, or ship the library it needs", Incompatible)
		}
	})

	r.undefined(path, res)
	r.hostCode(path)
	r.writable(path)
}

// undefined flags the symbols the plugin needs that no library it loads
// defines: RTLD_NOW refuses such a plugin. The classic cause is a plugin that
// calls the host's functions directly instead of through HostFunctions.
// Only unversioned symbols are looked up (versioned ones are checked by
// library), and only when every library was found, so a missing library is
// reported once. The C library is in every host process, so its exports
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
		case l.Status == deps.Found && !l.Repeat:
			found = append(found, l.Path)
		case l.Status != deps.Found:
			complete = false
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
		r.add(Error, "unresolved-symbol", "undefined symbol "+name+": no library it needs defines it, and hosts export nothing",
			HintUndefined(name), Incompatible)
	}
}

// HintUndefined says how to fix a plugin that needs the symbol name from
// its host.
func HintUndefined(name string) string {
	return "plugins reach the host only through the HostFunctions table; link whatever defines " + name + " into the plugin"
}

func (r *Report) absPath() string {
	abs, err := filepath.Abs(r.Path)
	if err != nil {
		return r.Path
	}
	return abs
}

// stdCrates are Rust's standard library and the crates it is built from.
var stdCrates = []string{"std", "core", "alloc", "compiler_builtins", "panic_unwind", "panic_abort",
	"unwind", "std_detect", "hashbrown", "gimli", "addr2line", "miniz_oxide", "rustc_demangle",
	"object", "memchr", "adler", "adler2", "cfg_if", "libc", "rustc_std_workspace_core",
	"rustc_std_workspace_alloc", "proc_macro", "test", "__rustc"}

// hostCode flags a plugin that exports Rust symbols of crates other than its
// own and the standard library's: the sign of a plugin that depends on the
// host application's crate and so links the host's code into itself.
func (r *Report) hostCode(path string) {
	own := strings.ReplaceAll(LibraryStem(path), "-", "_")
	counts := map[string]int{}
	mangled := 0
	for _, x := range r.Exports {
		if !inspect.IsRustMangled(x.Name) {
			continue
		}
		mangled++
		for _, c := range inspect.RustCrates(x.Name) {
			if c != own && !slices.Contains(stdCrates, c) {
				counts[c]++
			}
		}
	}
	if len(counts) == 0 {
		return
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
	r.add(Warning, "host-code-linked",
		fmt.Sprintf("exports %d %s besides its entry points, %d of them Rust-mangled, from %s %s: it probably links the host's code statically", others, plural(others, "symbol", "symbols"), mangled, plural(len(crates), "crate", "crates"), list),
		"put the types the host and its plugins share in a small API crate that both depend on, and build the plugin as crate-type = [\"cdylib\"], which exports only its #[no_mangle] functions")
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

func article(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an"
	}
	return "a"
}

// Hints shared with the loader's diagnostics.
const (
	HintNotFound   = "check the path; plugctl reads exactly the file named, it does not search"
	HintPermission = "plugctl needs read access to the file and search access to its directories"
	HintCorrupt    = "the file may be truncated or corrupted; rebuild it"
	HintNotShared  = "build the plugin as a shared library: gcc -shared -fPIC, or crate-type = [\"cdylib\"] in Cargo.toml"
	HintRustStd    = "build the plugin as a cdylib (crate-type = [\"cdylib\"]) without -C prefer-dynamic, so that it carries its own standard library, and do not build the host as a dylib"
)

// HintPlatform says how to build for this host.
func HintPlatform() string {
	return "build the plugin for this host's target, e.g. cargo build --target " + RustTarget()
}

// RustTarget returns the Rust target triple of this host.
func RustTarget() string {
	arch := inspect.HostArch()
	switch runtime.GOOS {
	case "windows":
		return arch + "-pc-windows-msvc"
	case "darwin":
		return arch + "-apple-darwin"
	}
	return arch + "-unknown-linux-gnu"
}

// EntryHint explains a missing init_plugin, given the mangled symbol found
// in its place ("" for none) and whether rustc built the file.
func EntryHint(mangled string, rust bool) string {
	switch {
	case mangled != "" && inspect.Mangling(mangled) == "C++":
		return "declare init_plugin extern \"C\" so that its name is not mangled"
	case mangled != "":
		return "add #[unsafe(no_mangle)] to init_plugin (or use the SDK's export_plugin! macro)"
	case rust:
		return "this is a Rust library: declare #[unsafe(no_mangle)] pub extern \"C\" fn init_plugin, and build it with crate-type = [\"cdylib\"]"
	}
	return "export bool init_plugin(void *ctx, const HostFunctions *functions) with C linkage and default visibility"
}

// ManifestHint says how to fix a manifest CheckManifest or DecodeManifest
// refused for a host speaking API version host.
func ManifestHint(err error, host uint32) string {
	switch {
	case errors.Is(err, hostapi.ErrAPIVersion):
		return fmt.Sprintf("the host speaks API version %d; use a host that speaks the plugin's version, or rebuild the plugin against API version %d", host, host)
	case errors.Is(err, hostapi.ErrTableSize):
		return "the plugin's HostFunctions declaration does not match the ABI: use sdk/c/plugctl.h or the plugctl-plugin crate, or fix the struct"
	}
	return "plugin_manifest is reserved for the plugctl manifest; declare it with PLUGIN_MANIFEST(...) or export_plugin!, or rename the symbol"
}

// MissingHint says how to make a missing library lib found by the loader
// of format's platform.
func MissingHint(lib string, format inspect.Format) string {
	if inspect.IsRustStd(filepath.Base(lib)) {
		return HintRustStd
	}
	switch format {
	case inspect.MachO:
		return "install " + lib + " or give the plugin an LC_RPATH where it lives (e.g. -Wl,-rpath,@loader_path)"
	case inspect.PE:
		return "put " + lib + " next to the plugin: plugctl, like a careful host, looks for a plugin's DLLs beside it, beside the host and in System32, never in the current directory or on PATH"
	}
	return "install " + lib + ", set LD_LIBRARY_PATH, or link the plugin with -Wl,-rpath,'$ORIGIN' and ship the library beside it"
}

func hintRebuild(err error) string {
	var fe *inspect.FormatError
	if errors.As(err, &fe) {
		return HintCorrupt
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

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
