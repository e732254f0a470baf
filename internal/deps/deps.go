// Package deps finds the libraries a plugin needs the way the platform's
// loader would, without loading anything: it reads file headers and looks at
// directories, and never runs code.
//
// For ELF files on Linux it follows glibc's ld.so: a name with a slash is a
// path; otherwise DT_RPATH (of the object and, up the chain, of the objects
// that loaded it, unless the object has a DT_RUNPATH), LD_LIBRARY_PATH, the
// object's own DT_RUNPATH, the directories of /etc/ld.so.conf, and the
// default directories, expanding $ORIGIN, $LIB and $PLATFORM, and skipping
// candidates of another class, byte order or machine. Libraries are loaded
// once: a name that an earlier library in breadth-first order was loaded by,
// or that is an earlier library's soname, resolves to it.
//
// For Mach-O it expands @loader_path and @rpath from the LC_RPATH commands
// of the image and its loaders; system libraries (/usr/lib, /System) live in
// the dyld shared cache and are not looked for. For PE it follows the order
// plugctl's own loader uses on Windows: the plugin's directory, the
// application's directory, System32, and never the current directory or
// PATH; the system DLLs and API sets are not looked for. What only the
// target system can say (a DLL in the target's System32, @executable_path,
// a file for another architecture) is reported as unchecked, not missing.
package deps

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/plugctl/plugctl/internal/inspect"
)

// Status is what became of a needed library.
type Status string

const (
	Found     Status = "found"
	Missing   Status = "missing"
	System    Status = "system"    // part of the target OS, not looked for
	Unchecked Status = "unchecked" // only the target system's loader can resolve it
)

// Lib is one needed library and, when it was found, what it needs in turn.
type Lib struct {
	Name     string // as the needing file names it
	Path     string // absolute; empty unless Status is Found
	Status   Status
	Via      string // where it was found: "RPATH", "LD_LIBRARY_PATH", "RUNPATH", "ld.so.conf", "default directory", "path", "@rpath", "@loader_path", "plugin directory", "application directory", "System32"
	Optional bool   // a weak dylib or a delay-loaded DLL: the file loads without it
	NeededBy string // the path of the file that needs it
	// Skipped are the candidates passed over as the wrong class, byte order
	// or machine.
	Skipped []string
	// MissingVersions are the symbol versions the needing file requires that
	// the found library does not define.
	MissingVersions []string
	// Damaged says why the library found cannot be loaded although it is
	// there: its headers point to linking tables it does not hold
	// (inspect.File.Damaged; a debug-info file, say). Its own needs are
	// unknown, so the walk stops there.
	Damaged string
	// Repeat is true when the library was already loaded earlier in the
	// walk: its dependencies are listed there.
	Repeat bool
	Deps   []*Lib
}

// Options says what environment to resolve in. The zero value is this
// process's environment.
type Options struct {
	// LibraryPath is LD_LIBRARY_PATH; nil means this process's.
	LibraryPath *string
	// ConfDirs are the ld.so.conf directories; nil means read
	// /etc/ld.so.conf on first use.
	ConfDirs []string
	// DefaultDirs overrides the loader's default directories, for tests.
	DefaultDirs []string
	// AppDir and System32 are the directories a DLL is looked for in after
	// the plugin's own, on Windows; empty means plugctl's own directory and
	// %SystemRoot%\System32.
	AppDir, System32 string
}

// Resolver resolves dependencies and caches what it reads, so that one
// Resolver serves many files cheaply. It is safe for concurrent use.
type Resolver struct {
	libraryPath []string
	confOnce    sync.Once
	confDirs    []string
	defaultDirs []string
	appDir      string // Windows: the application's directory
	system32    string // Windows: the system directory

	files   cache[fileResult]
	exports cache[map[string]bool]
	idents  cache[identified] // search candidates, by path as searched
}

// cache maps a path to what reading it gave, filled on demand; it is safe
// for concurrent use. Two goroutines that miss the same path at once both
// read it (a read of one file), and the first result stored is the one
// every caller gets.
type cache[V any] struct {
	mu sync.Mutex
	m  map[string]V
}

func (c *cache[V]) get(path string, read func() V) V {
	c.mu.Lock()
	v, ok := c.m[path]
	c.mu.Unlock()
	if ok {
		return v
	}
	v = read()
	c.mu.Lock()
	defer c.mu.Unlock()
	if first, ok := c.m[path]; ok {
		return first
	}
	if c.m == nil {
		c.m = map[string]V{}
	}
	c.m[path] = v
	return v
}

type fileResult struct {
	f   *inspect.File
	err error
}

// New returns a Resolver for opts.
func New(opts Options) *Resolver {
	r := &Resolver{confDirs: opts.ConfDirs, defaultDirs: opts.DefaultDirs}
	lp := os.Getenv("LD_LIBRARY_PATH")
	if opts.LibraryPath != nil {
		lp = *opts.LibraryPath
	}
	if lp != "" {
		// glibc splits on both; an empty element is the current directory.
		for _, d := range strings.Split(strings.ReplaceAll(lp, ";", ":"), ":") {
			if d == "" {
				d = "."
			}
			r.libraryPath = append(r.libraryPath, d)
		}
	}
	if opts.ConfDirs != nil {
		r.confOnce.Do(func() {})
	}
	r.appDir, r.system32 = opts.AppDir, opts.System32
	if runtime.GOOS == "windows" {
		if exe, err := os.Executable(); err == nil && r.appDir == "" {
			r.appDir = filepath.Dir(exe)
		}
		if root := os.Getenv("SystemRoot"); root != "" && r.system32 == "" {
			r.system32 = filepath.Join(root, "System32")
		}
	}
	return r
}

func (r *Resolver) ldSoConf() []string {
	r.confOnce.Do(func() { r.confDirs = ReadLdSoConf("/etc/ld.so.conf") })
	return r.confDirs
}

// open reads the object file at path once per Resolver.
func (r *Resolver) open(path string) (*inspect.File, error) {
	res := r.files.get(path, func() fileResult {
		f, err := inspect.OpenLinkage(path)
		return fileResult{f, err}
	})
	return res.f, res.err
}

// openDep reads the library l was found at, if it is of format: nil when
// it cannot be read, is of another format, or is damaged (l.Damaged then
// says how), for a walk that goes on into its needs.
func (r *Resolver) openDep(l *Lib, format inspect.Format) *inspect.File {
	df, err := r.open(l.Path)
	if err != nil || df.Format != format {
		return nil
	}
	if len(df.Damaged) > 0 {
		l.Damaged = df.Damaged[0].Error()
		return nil
	}
	return df
}

// Exports returns the names the library at path exports, read once per
// Resolver; empty when it cannot be read.
func (r *Resolver) Exports(path string) map[string]bool {
	return r.exports.get(path, func() map[string]bool {
		set := map[string]bool{}
		if f, err := inspect.Open(path); err == nil {
			for _, x := range f.Exports {
				set[x.Name] = true
			}
		}
		return set
	})
}

// Resolve returns the libraries the file f at path needs, each with the
// libraries it needs in turn. path should be absolute.
func (r *Resolver) Resolve(path string, f *inspect.File) []*Lib {
	if !filepath.IsAbs(path) {
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
	}
	switch f.Format {
	case inspect.ELF:
		return r.resolveELF(path, f)
	case inspect.MachO:
		return r.resolveMachO(path, f)
	case inspect.PE:
		return r.resolvePE(path, f)
	}
	return nil
}

// Walk calls fn for every library in libs and their dependencies, depth
// first, in order.
func Walk(libs []*Lib, fn func(*Lib)) {
	for _, l := range libs {
		fn(l)
		Walk(l.Deps, fn)
	}
}

func regular(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
