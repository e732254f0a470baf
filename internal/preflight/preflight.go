// Package preflight reports what can be known about a plugin file before
// anything loads it: what the file is, its manifest, its exports, the
// libraries it needs and where the loader would find them, and findings:
// the mistakes plugin authors make, each with a severity, an explanation and
// a hint. It reads files and directories only; it never loads a library or
// runs plugin code.
//
// A Report has JSON tags: it is the schema of `plugctl inspect --format json`
// and `plugctl list --format json` (docs/cli.md).
package preflight

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/plugctl/plugctl/internal/abi"
	"github.com/plugctl/plugctl/internal/advice"
	"github.com/plugctl/plugctl/internal/deps"
	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/plugctl/plugctl/internal/inspect"
	"github.com/plugctl/plugctl/internal/pages"
	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/sanitize"
)

// Report is everything preflight knows about one file.
type Report struct {
	Path      sanitize.Untrusted `json:"path"`
	Status    report.FileStatus  `json:"status"`
	Reason    sanitize.Line      `json:"reason,omitempty"` // why the status is not plugin
	Format    string             `json:"format,omitempty"`
	Kind      string             `json:"kind,omitempty"`
	Arch      string             `json:"arch,omitempty"`
	Archs     []string           `json:"archs,omitempty"`
	Bits      int                `json:"bits,omitempty"`
	ByteOrder string             `json:"byte_order,omitempty"`
	OS        string             `json:"os,omitempty"`
	Rust      bool               `json:"rust"`
	// LoadsHere is false when this host's loader cannot take the file's
	// format, OS, architecture or bitness, or its linking tables are not in
	// the file (Damaged); dependencies are not counted.
	LoadsHere bool               `json:"loads_here"`
	SOName    sanitize.Untrusted `json:"soname,omitempty"`
	// ManifestSize is inspect.File's, for a loader that trusts this report.
	ManifestSize int64 `json:"-"`

	Manifest *Manifest            `json:"manifest"`
	Exports  []Export             `json:"exports"`
	Needed   []*Needed            `json:"needed"`
	RPath    []sanitize.Untrusted `json:"rpath,omitempty"`
	RunPath  []sanitize.Untrusted `json:"runpath,omitempty"`
	// Glibc is the newest glibc symbol version the file requires, like
	// "GLIBC_2.34"; empty when it requires none.
	Glibc        string                `json:"glibc,omitempty"`
	VersionNeeds []inspect.VersionNeed `json:"version_needs,omitempty"`
	Findings     []report.Finding      `json:"findings"`
	// ABI is what the file shows of a described ABI (Options.ABI); absent
	// for plugctl's own.
	ABI *ABIReport `json:"abi,omitempty"`

	file        *inspect.File
	abs         string // Path made absolute, once (absPath)
	libs        []*deps.Lib
	manifestErr error
	hostAPI     uint32
	mangled     <-chan string // the search for a mangled entry point, started early
}

// Damaged reports whether the file's headers point to linking tables it does
// not hold (see inspect.File.Damaged): its exports, manifest and needed
// libraries are then empty because they are unknown, and a finding with ID
// malformed-table says which.
func (r *Report) Damaged() bool { return r.file != nil && len(r.file.Damaged) > 0 }

// Manifest is a decoded plugin_manifest, or why it could not be.
type Manifest struct {
	*hostapi.Manifest
	// Error says why this host refuses the manifest; empty when it accepts it.
	Error sanitize.Line `json:"error,omitempty"`
}

// Export is one exported symbol.
type Export struct {
	Name    sanitize.Untrusted `json:"name"`
	Kind    string             `json:"kind"`           // function, data or other
	Role    string             `json:"role,omitempty"` // "entry point" or "manifest" for the ABI's own symbols
	Weak    bool               `json:"weak,omitempty"`
	Forward sanitize.Untrusted `json:"forward,omitempty"`
}

// Needed is a library the file needs, and where the loader would find it.
type Needed struct {
	Name            sanitize.Untrusted   `json:"name"`
	Path            *sanitize.Untrusted  `json:"path"` // null unless found
	Status          string               `json:"status"`
	Via             string               `json:"via,omitempty"`
	Optional        bool                 `json:"optional,omitempty"`
	MissingVersions []sanitize.Untrusted `json:"missing_versions,omitempty"`
	Repeat          bool                 `json:"repeat,omitempty"`
	Needs           []*Needed            `json:"needs,omitempty"` // with Options.Tree
}

// Options controls a check.
type Options struct {
	// Resolver resolves dependencies; share one between files to share its
	// cache. Nil means a new one for this process's environment.
	Resolver *deps.Resolver
	// Tree fills Needed[i].Needs with the transitive dependencies.
	Tree bool
	// HostAPI is the API version of the host the manifest is checked
	// against; 0 means this plugctl's own, hostapi.Version.
	HostAPI uint32
	// ABI, when set, is a described ABI the file is checked against
	// instead of plugctl's own, for a host of version HostVersion (the
	// zero Version: the description's newest).
	ABI         *abi.Description
	HostVersion abi.Version
	// Dirs, shared between the files of one run, keeps what was learnt of
	// their directories (each is looked at once); nil: nothing is kept.
	Dirs *Dirs
}

// opened is where Check opens the run's files: nil (by their whole path)
// without Dirs.
func (c *Dirs) opened() *inspect.Dirs {
	if c == nil {
		return nil
	}
	return &c.files
}

// Close closes what Dirs holds open: its directories' descriptors. It can
// be used again after.
func (c *Dirs) Close() {
	if c != nil {
		c.files.Close()
	}
}

// Check reports on the file at path. A file that cannot be read (missing,
// unreadable, a directory) or is no usable library gets a Report with status
// Invalid and a finding that says why.
func Check(path string, opts Options) *Report {
	r := &Report{Path: sanitize.Untrusted(path), Exports: []Export{}, Needed: []*Needed{}, Findings: []report.Finding{}, Status: report.Plugin}
	// Opening the file says what a stat would (missing, unreadable, a
	// directory) without a system call of its own.
	f, err := inspect.OpenDataIn(opts.Dirs.opened(), path, dataSymbols(opts.ABI)...)
	if err != nil {
		var nr *inspect.NotRegularError
		if errors.As(err, &nr) && nr.Mode.IsDir() || errors.Is(err, fs.ErrPermission) && isDir(path) {
			err = errIsDir
		}
		if errors.Is(err, errIsDir) || errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist) || cannotOpen(err) {
			msg, hint := unreadable(err)
			r.add(report.Error, report.Unreadable, msg, hint, report.Invalid)
			return r
		}
		r.add(report.Error, report.NotALibrary, InvalidReason(err), hintRebuild(err), report.Invalid)
		return r
	}
	r.file = f
	r.abs = opts.Dirs.abs(path)
	r.Format, r.Kind, r.Arch, r.Archs, r.Bits, r.OS = string(f.Format), string(f.Kind), f.Arch, f.Archs, f.Bits, f.OS
	r.ByteOrder = "little"
	if f.ByteOrder == binary.BigEndian {
		r.ByteOrder = "big"
	}
	r.Rust, r.SOName, r.VersionNeeds = f.Rust, sanitize.Untrusted(f.SOName), f.VersionNeeds
	r.RPath, r.RunPath = sanitize.Untrusteds(f.RPath), sanitize.Untrusteds(f.RunPath)
	r.ManifestSize = f.ManifestSize
	r.LoadsHere = f.CheckHost() == nil && len(f.Damaged) == 0
	r.Glibc = newestGlibc(f.VersionNeeds)
	entry := hostapi.EntrySymbol
	if opts.ABI != nil {
		if opts.HostVersion == (abi.Version{}) {
			opts.HostVersion = opts.ABI.Newest()
		}
		entry = opts.ABI.Entry.SymbolFor(opts.HostVersion)
	}
	r.Exports = make([]Export, 0, len(f.Exports))
	pages.PopulateSlice(r.Exports)
	for _, s := range f.Exports {
		x := Export{Name: sanitize.Untrusted(s.Name), Kind: string(s.Kind), Weak: s.Weak, Forward: sanitize.Untrusted(s.Forward)}
		switch s.Name {
		case entry:
			x.Role = "entry point"
		case hostapi.ManifestSymbol:
			x.Role = "manifest"
		}
		r.Exports = append(r.Exports, x)
	}
	host := opts.HostAPI
	if host == 0 {
		host = hostapi.Version
	}
	r.readManifest(host)

	if f.Kind == inspect.SharedLibrary && len(f.Damaged) == 0 && opts.ABI == nil && !r.hasExport(hostapi.EntrySymbol) {
		// findings will explain the missing entry point: the search
		// reads every symbol name in the file (20 MB in a large Rust
		// library), and runs while the dependencies are resolved.
		found := make(chan string, 1)
		go func() { found <- inspect.MangledEntry(path, hostapi.EntrySymbol) }()
		r.mangled = found
	}
	res := opts.Resolver
	if f.Kind == inspect.SharedLibrary {
		if res == nil {
			res = deps.New(deps.Options{})
		}
		r.libs = res.Resolve(r.absPath(), f)
		r.Needed = convert(r.libs, opts.Tree)
	}
	r.findings(path, res, opts)
	return r
}

var errIsDir = errors.New("it is a directory")

// cannotOpen reports whether err is the system's refusal to open (or
// stat) a file, like a loop of links: the file is unreadable, not invalid.
func cannotOpen(err error) bool {
	var pe *fs.PathError
	return errors.As(err, &pe) && (pe.Op == "open" || pe.Op == "stat") && !errors.Is(err, inspect.ErrNotObject)
}

// isDir reports whether path is a directory: one that cannot be opened
// is still said to be a directory, not a file that cannot be read.
func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// LoadNames returns the names the loader will know the file's libraries by
// once it has loaded the file, each with the library's path: the name each
// found library, direct or not, is needed under, and the file's own soname
// (with path, the file's absolute path). glibc hands out a library it has
// loaded under a name to whatever needs that name next, without searching.
// Windows does the same with a module's file name, ignoring case: for a
// DLL the names are lower-cased, and the DLL's own file name is one.
func (r *Report) LoadNames(path string) map[string]string {
	names := map[string]string{}
	pe := r.file != nil && r.file.Format == inspect.PE
	key := func(name string) string {
		if pe {
			return strings.ToLower(name)
		}
		return name
	}
	if r.SOName != "" {
		names[string(r.SOName)] = path
	}
	if pe {
		names[key(filepath.Base(path))] = path
	}
	var walk func([]*deps.Lib)
	walk = func(libs []*deps.Lib) {
		for _, l := range libs {
			if l.Status != deps.Found {
				continue
			}
			if _, ok := names[key(l.Name)]; !ok {
				names[key(l.Name)] = l.Path
			}
			walk(l.Deps)
		}
	}
	walk(r.libs)
	return names
}

// unreadable describes why a file could not be read, with a hint.
func unreadable(err error) (msg, hint string) {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file", advice.NotFound
	case errors.Is(err, fs.ErrPermission):
		return "permission denied", advice.Permission
	case errors.Is(err, errIsDir):
		return "it is a directory, not a library", "plugctl list DIR lists the plugins in a directory"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error(), "" // the path is the report's; do not repeat it
	}
	return err.Error(), ""
}

func (r *Report) readManifest(host uint32) {
	f := r.file
	if f.ManifestSize < 0 {
		return
	}
	m := &Manifest{}
	r.Manifest = m
	var err error
	switch {
	case f.ManifestData == nil:
		err = errors.New("plugin_manifest points outside the file's contents")
	case f.ManifestSize > 0 && f.ManifestSize < hostapi.ManifestSize:
		err = fmt.Errorf("%w: plugin_manifest is %d bytes, layout 1 needs %d", hostapi.ErrManifestShort, f.ManifestSize, hostapi.ManifestSize)
	default:
		var dm hostapi.Manifest
		dm, err = hostapi.DecodeManifest(f.ManifestData, f.ByteOrder)
		if err == nil {
			m.Manifest = &dm
			err = hostapi.CheckManifest(dm, host, f.Bits/8)
			r.hostAPI = host
		}
	}
	if err != nil {
		m.Error = sanitize.Clean(err.Error())
		r.manifestErr = err
	}
}

func convert(libs []*deps.Lib, tree bool) []*Needed {
	out := make([]*Needed, 0, len(libs))
	for _, l := range libs {
		n := &Needed{Name: sanitize.Untrusted(l.Name), Status: string(l.Status), Via: l.Via, Optional: l.Optional,
			MissingVersions: sanitize.Untrusteds(l.MissingVersions), Repeat: l.Repeat && tree}
		if l.Status == deps.Found {
			p := sanitize.Untrusted(l.Path)
			n.Path = &p
		}
		if tree && len(l.Deps) > 0 {
			n.Needs = convert(l.Deps, true)
		}
		out = append(out, n)
	}
	return out
}

// newestGlibc returns the highest GLIBC_x.y[.z] version in needs.
func newestGlibc(needs []inspect.VersionNeed) string {
	best, bestV := "", GlibcVersion(nil)
	for _, n := range needs {
		for _, v := range n.Versions {
			if !strings.HasPrefix(v, "GLIBC_") {
				continue
			}
			nums, ok := ParseGlibc(v)
			if ok && (bestV == nil || nums.Compare(bestV) > 0) {
				best, bestV = v, nums
			}
		}
	}
	return best
}
