// Package launch starts one plugin file in this process: it checks what can be
// checked from the file first (so that a file that cannot load is explained,
// not just refused), loads it with the platform loader, checks its manifest,
// and starts it under an ABI's synthetic host (package synth): plugctl's own,
// whose entry point is init_plugin, or any other a description defines.
//
// Start runs plugin code (constructors and the entry point) in the calling
// process: a plugin that crashes takes the process with it. plugctl calls it
// in worker processes (package worker), or in itself for load --in-process.
package launch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"

	"github.com/plugctl/plugctl/internal/abi"
	"github.com/plugctl/plugctl/internal/advice"
	"github.com/plugctl/plugctl/internal/deps"
	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/plugctl/plugctl/internal/inspect"
	"github.com/plugctl/plugctl/internal/loader"
	"github.com/plugctl/plugctl/internal/preflight"
	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/synth"
)

// Error is a plugin that did not start: what happened, to which file, and a
// hint for the plugin's author when there is one.
type Error struct {
	Kind   report.Kind
	Path   string // as given to Start
	Detail string
	Hint   string
	Err    error
}

func (e *Error) Error() string { return e.Path + ": " + e.Detail }
func (e *Error) Unwrap() error { return e.Err }

// Plugin is a started plugin.
type Plugin struct {
	Path     string            // as given to Start
	Manifest *hostapi.Manifest // nil when the plugin has none
	*hostapi.Plugin
}

// Name returns a display name for the plugin file at path when it has no
// manifest: the file name without "lib" and the library extension.
func Name(path string) string { return preflight.LibraryStem(path) }

// Observer is told what StartChecked is about to do, so that a process watching
// this one knows where a crash happened. Its fields may be nil.
type Observer struct {
	Phase    func(report.Phase)    // before plugin code runs in that phase
	Attached func(*hostapi.Plugin) // the plugin's host state, before its entry point runs
}

// ABI is what a host speaks: an ABI's synthetic host (package synth), as
// version Version. plugctl's own ABI is the built-in description (V1).
type ABI struct {
	Host    *synth.Host
	Version abi.Version
}

// Encoded is the ABI's version as its exchange carries it in an integer:
// what a hostapi.Host serving it is made with.
func (a ABI) Encoded() uint64 { return a.Host.Description().Exchange.Encode(a.Version) }

// ownABI reports whether a is plugctl's own: only it has a manifest.
func (a ABI) ownABI() bool { return a.Host.Description().Builtin() }

var v1 = sync.OnceValues(func() (*abi.Description, error) {
	return abi.V1(abi.Target{OS: runtime.GOOS, Arch: runtime.GOARCH})
})

// V1 is plugctl's own ABI, the built-in description, as a host of version
// api.
func V1(api uint32) (ABI, error) {
	d, err := v1()
	if err != nil {
		return ABI{}, err
	}
	h, err := synth.New(d, hostapi.Callbacks{})
	return ABI{h, abi.Version{Major: api}}, err
}

// Described is the ABI the description d defines, as a host of version v.
func Described(d *abi.Description, v abi.Version) (ABI, error) {
	h, err := synth.New(d, hostapi.Callbacks{})
	return ABI{h, v}, err
}

// Start loads the plugin at path into this process and starts it under a
// as h: the ABI's version exchange, then its entry point, with h's handle
// for the plugin as the context and callbacks served by h. On failure the
// error is an *Error; when the entry point ran, the returned Plugin holds
// what it logged either way.
func Start(h *hostapi.Host, a ABI, path string) (*Plugin, error) {
	return StartChecked(h, a, path, nil, Observer{})
}

// Checked is what a caller that has read the file already (plugctl verify's
// preflight) knows of it.
type Checked struct {
	ManifestSize int64 `json:"manifest_size"` // as inspect.File has it
	Rust         bool  `json:"rust,omitempty"`
}

// StartChecked is Start, telling obs each step before it runs. With checked
// non-nil the caller has found the file to be a shared library for this
// host, as checked says: it is loaded without being read first, and read
// only to explain a failure.
func StartChecked(h *hostapi.Host, a ABI, path string, checked *Checked, obs Observer) (*Plugin, error) {
	fail := func(k report.Kind, err error, detail, hint string) error {
		return &Error{Kind: k, Path: path, Detail: detail, Hint: hint, Err: err}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fail(report.KindNotFound, err, err.Error(), "")
	}
	var info *inspect.File
	if checked != nil {
		info = &inspect.File{Kind: inspect.SharedLibrary, ManifestSize: checked.ManifestSize, Rust: checked.Rust}
	} else if info, err = check(abs); err != nil {
		return nil, classifyPreflight(path, err)
	}

	if obs.Phase != nil {
		obs.Phase(report.PhaseLoad)
	}
	lib, err := loader.Open(abs)
	if err != nil {
		return nil, classifyOpen(path, info, err)
	}

	var manifest *hostapi.Manifest
	if a.ownABI() {
		if manifest, err = readManifest(lib, info, uint32(h.Version())); err != nil {
			return nil, fail(report.KindManifestRefused, err, "manifest refused: "+err.Error(), advice.Manifest(err, uint32(h.Version())))
		}
	}

	d := a.Host.Description()
	entry := d.Entry.SymbolFor(a.Version)
	if _, err := lib.Symbol(entry); err != nil {
		return nil, fail(report.KindNoEntry, err, "no "+entry+" export", entryHint(abs, info, a, entry))
	}

	name := Name(path)
	if manifest != nil && manifest.Name != "" {
		name = manifest.Name
	}
	p := &Plugin{Path: path, Manifest: manifest, Plugin: h.Attach(name, path)}
	if obs.Attached != nil {
		obs.Attached(p.Plugin)
	}
	if obs.Phase != nil {
		obs.Phase(report.PhaseInit)
	}
	p.BeginInit()
	ok, err := a.Host.Start(lib, abs, p.Handle(), a.Version)
	p.EndInit()
	var refused *synth.Refused
	switch {
	case errors.As(err, &refused):
		return p, fail(report.KindInitFailed, err, d.Name+" refused it: "+err.Error(),
			fmt.Sprintf("build the plugin against %s %s", d.Name, refused.Host))
	case errors.Is(err, synth.ErrNullEntry):
		return p, fail(report.KindNoEntry, err, err.Error(), "set the member "+d.Entry.Field+" of "+d.Entry.Declaration+" to the plugin's function")
	case errors.Is(err, synth.ErrNoEntry):
		return p, fail(report.KindNoEntry, err, err.Error(), "export it as "+d.HeaderFile+" declares it, with C linkage")
	case err != nil:
		return p, fail(report.KindInitFailed, err, err.Error(), "")
	case !ok:
		return p, fail(report.KindInitFailed, nil, d.Entry.Name(a.Version)+" returned "+a.Host.Layout().Result(false),
			"the plugin refused to start; its log lines say why, if it logged any")
	}
	return p, nil
}

// readManifest returns the library's checked manifest, nil when it exports
// none, or why a host speaking version host must refuse it.
func readManifest(lib *loader.Library, info *inspect.File, host uint32) (*hostapi.Manifest, error) {
	addr, err := lib.Symbol(hostapi.ManifestSymbol)
	if err != nil {
		return nil, nil
	}
	if info.ManifestSize > 0 && info.ManifestSize < hostapi.ManifestSize {
		// Reading a whole manifest from a smaller symbol could fault.
		return nil, fmt.Errorf("%w: plugin_manifest is %d bytes, layout 1 needs %d",
			hostapi.ErrManifestShort, info.ManifestSize, hostapi.ManifestSize)
	}
	m, err := hostapi.DecodeManifest(loader.Bytes(addr, hostapi.ManifestSize), binary.NativeEndian)
	if err != nil {
		return nil, err
	}
	if err := hostapi.CheckManifest(m, host, inspect.HostBits()/8); err != nil {
		return nil, err
	}
	return &m, nil
}

// check checks what it can without loading: that the file exists, is a
// shared library, and is for this host.
func check(abs string) (*inspect.File, error) {
	st, err := os.Stat(abs)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%w: it is a directory", inspect.ErrNotObject)
	}
	f, err := inspect.Open(abs)
	if err != nil {
		return nil, err
	}
	if f.Kind != inspect.SharedLibrary {
		return f, fmt.Errorf("%w: it is %s", errNotShared, f.Kind.Phrase())
	}
	if err := f.CheckHost(); err != nil {
		return f, err
	}
	if len(f.Damaged) > 0 {
		return f, damagedError{f.Damaged[0]}
	}
	return f, nil
}

var errNotShared = errors.New("not a shared library")

// damagedError is a file whose linking tables are not in it
// (inspect.File.Damaged), which no loader takes.
type damagedError struct{ error }

func (e damagedError) Unwrap() error { return e.error }

func classifyPreflight(path string, err error) error {
	e := &Error{Path: path, Err: err}
	var inc *inspect.IncompatibleError
	var fe *inspect.FormatError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		e.Kind, e.Detail = report.KindNotFound, "no such file"
		e.Hint = advice.NotFound
	case errors.Is(err, fs.ErrPermission):
		e.Kind, e.Detail = report.KindUnreadable, "permission denied"
		e.Hint = advice.Permission
	case errors.As(err, &inc):
		e.Kind, e.Detail = report.KindIncompatible, "wrong platform: "+inc.Why
		e.Hint = advice.Platform()
	case errors.Is(err, errNotShared):
		e.Kind, e.Detail = report.KindNotLibrary, err.Error()
		e.Hint = advice.NotShared
	case errors.Is(err, inspect.ErrNotObject):
		e.Kind, e.Detail = report.KindNotLibrary, preflight.InvalidReason(err)
	case errors.As(err, &damagedError{}):
		e.Kind, e.Detail = report.KindNotLibrary, err.Error()
		e.Hint = advice.Damaged
	case errors.As(err, &fe):
		e.Kind, e.Detail = report.KindNotLibrary, err.Error()
		e.Hint = advice.Corrupt
	default:
		e.Kind, e.Detail = report.KindUnreadable, err.Error()
	}
	return e
}

// Loader messages worth a precise diagnosis. They are compiled on first use:
// only a failed load needs them, and start-up should not pay for them.
var loaderPatterns = sync.OnceValue(func() map[string]*regexp.Regexp {
	return map[string]*regexp.Regexp{
		// glibc: "libfoo.so.1: cannot open shared object file: No such file or directory"
		"missing": regexp.MustCompile(`^([^:]+): cannot open shared object file`),
		// glibc: "/path/libp.so: undefined symbol: host_fn"
		"undefined": regexp.MustCompile(`undefined symbol: (\S+)`),
		// macOS dyld: "Library not loaded: @rpath/libfoo.dylib"
		"dyldMissing": regexp.MustCompile(`Library not loaded: (\S+)`),
		// macOS dyld: "Symbol not found: _host_fn"
		"dyldSymbol": regexp.MustCompile(`Symbol not found: (\S+)`),
	}
})

// Windows system error codes LoadLibraryEx reports.
const (
	errorModNotFound   = 126
	errorProcNotFound  = 127
	errorBadExeFormat  = 193
	errorNoAccess      = 998  // an access violation the loader caught
	errorDLLInitFailed = 1114 // DllMain returned FALSE
)

func classifyOpen(path string, info *inspect.File, err error) error {
	e := &Error{Kind: report.KindLoadFailed, Path: path, Err: err, Detail: err.Error()}
	var oe *loader.OpenError
	if !errors.As(err, &oe) {
		return e
	}
	msg := oe.Msg
	e.Detail = "the loader refused it: " + msg
	switch {
	case oe.Code == errorModNotFound:
		e.Kind, e.Detail = report.KindMissingDependency, "a DLL it depends on was not found ("+msg+")"
		e.Hint = "put the DLLs it needs next to it; plugctl inspect lists them and where each was looked for"
		if lib := missingDLL(oe.Path); lib != "" {
			e.Detail = "missing dependency: " + lib + " was not found"
			e.Hint = missingHint(lib)
		}
	case oe.Code == errorNoAccess:
		e.Detail = "an access violation in its initialisation (DllMain or a constructor), which the loader caught (" + msg + ")"
		e.Hint = "a DLL's DllMain and constructors run inside the loader: keep them trivial; run plugctl load --in-process under a debugger to see where"
	case oe.Code == errorDLLInitFailed:
		e.Detail = "its initialisation failed: DllMain returned FALSE, or a C runtime constructor failed (" + msg + ")"
	case oe.Code == errorProcNotFound:
		e.Kind, e.Detail = report.KindUnresolvedSymbol, "a function it imports was not found ("+msg+")"
	case oe.Code == errorBadExeFormat:
		e.Kind, e.Detail = report.KindIncompatible, "wrong platform or a dependency of the wrong architecture ("+msg+")"
	}
	re := loaderPatterns()
	if m := re["missing"].FindStringSubmatch(msg); m != nil && m[1] != oe.Path {
		e.Kind, e.Detail = report.KindMissingDependency, "missing dependency: "+m[1]+" was not found"
		e.Hint = missingHint(m[1])
	} else if m := re["dyldMissing"].FindStringSubmatch(msg); m != nil {
		e.Kind, e.Detail = report.KindMissingDependency, "missing dependency: "+m[1]+" was not found"
		e.Hint = missingHint(m[1])
	} else if m := re["undefined"].FindStringSubmatch(msg); m != nil {
		e.Kind, e.Detail = report.KindUnresolvedSymbol, "undefined symbol "+m[1]+": nothing loaded defines it"
		e.Hint = advice.Undefined(m[1])
	} else if m := re["dyldSymbol"].FindStringSubmatch(msg); m != nil {
		e.Kind, e.Detail = report.KindUnresolvedSymbol, "undefined symbol "+m[1]+": nothing loaded defines it"
	}
	if e.Kind == report.KindLoadFailed && info != nil && info.Rust && strings.Contains(msg, "TLS") {
		e.Hint = "a Rust plugin with static TLS cannot always be loaded at run time; build it as a cdylib"
	}
	return e
}

// missingDLL names the DLL the loader did not find for the plugin at path,
// found again by the preflight's model of the loader's search order: the
// loader's own error does not name it. Only this failure pays for reading
// the file's imports.
func missingDLL(path string) string {
	info, err := inspect.OpenLinkage(path)
	if err != nil {
		return ""
	}
	name := ""
	deps.Walk(deps.New(deps.Options{}).Resolve(path, info), func(l *deps.Lib) {
		if name == "" && l.Status == deps.Missing && !l.Optional {
			name = l.Name
		}
	})
	return name
}

func missingHint(lib string) string {
	return advice.Missing(lib, inspect.HostFormat())
}

// entryHint explains the missing entry point of a in the file at abs.
// Only this failure pays for reading the full symbol table.
func entryHint(abs string, f *inspect.File, a ABI, entry string) string {
	d := a.Host.Description()
	prototype := a.Host.Layout().Entry
	switch {
	case a.ownABI():
		prototype = hostapi.EntryPrototype
	case d.Entry.Field != "":
		prototype = "the object " + d.Entry.Declaration + " as " + d.HeaderFile + " declares it"
	case d.Entry.Declaration != entry:
		prototype += ", named " + entry
	}
	if d.Entry.Field != "" {
		return advice.Entry("", false, entry, prototype)
	}
	mangled := inspect.MangledEntry(abs, entry)
	hint := advice.Entry(mangled, f != nil && f.Rust, entry, prototype)
	if mangled != "" {
		hint = "found the " + inspect.Mangling(mangled) + "-mangled symbol " + mangled + "; " + hint
	}
	return hint
}
