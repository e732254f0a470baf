package cli

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/plugctl/plugctl/internal/deps"
	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/plugctl/plugctl/internal/preflight"
	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/sanitize"
	"github.com/spf13/cobra"
)

type listOptions struct {
	dirs      []string
	format    string
	all       bool
	recursive bool
	abi       abiFlags
}

const listLong = `List the plugin files in each directory, one line each, without loading
them: the file, the name, version and API version from its manifest ("no
manifest" when it has none), its architecture, and a status:

  plugin        has an entry point and should load on this host
  not a plugin  a library without an init_plugin export
  incompatible  a plugin this host cannot load: another platform, an API
                version it does not speak, a dependency that is missing
  invalid       not a usable library: malformed, an executable, a broken
                manifest, unreadable

With --abi FILE, plugins are checked against a described ABI
(docs/abi-description.md) instead of plugctl's own: its entry point, and
the version the file shows (a descriptor, the entry symbol's name) against
--host-version (default: the description's newest) by its rule; API is
then that version, with "!" when the host's does not accept it.

Candidates are the files with this host's library extension (.so, .dylib or
.dll); --all takes every system's. Files that are not libraries are listed as
invalid; they never stop the listing. A PATH that is a file is listed itself.

Exit status: 0 if no file is invalid or incompatible, 1 otherwise (or when a
directory cannot be read), 2 for a usage error.`

const listExample = `  plugctl list ~/.local/lib/myapp/plugins
  plugctl list -r --all dist/
  plugctl list --format json plugins/ | jq -r '.files[] | select(.status != "plugin") | .path'`

func newListCmd(s *Streams) *cobra.Command {
	opts := &listOptions{}
	cmd := &cobra.Command{
		Use:     "list DIR...",
		Short:   "List the plugins in directories, without loading them",
		Long:    listLong,
		Example: listExample,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.dirs = args
			if err := checkFormat(opts.format); err != nil {
				return err
			}
			return runList(s, opts)
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveFilterDirs
		},
	}
	cmd.Flags().StringVar(&opts.format, "format", "text", "output format: text, json or sarif")
	cmd.Flags().BoolVar(&opts.all, "all", false, "take the library files of every system (.so, .dylib, .bundle, .dll), not only this host's")
	cmd.Flags().BoolVarP(&opts.recursive, "recursive", "r", false, "descend into subdirectories (symbolic links to directories are not followed)")
	opts.abi.add(cmd)
	_ = cmd.RegisterFlagCompletionFunc("format", formatCompletion)
	return cmd
}

// listEntry is one line of plugctl list, and its JSON object (docs/cli.md).
type listEntry struct {
	Path     sanitize.Untrusted   `json:"path"`
	Status   report.FileStatus    `json:"status"`
	Reason   sanitize.Line        `json:"reason,omitempty"`
	Format   string               `json:"format,omitempty"`
	Arch     string               `json:"arch,omitempty"`
	OS       string               `json:"os,omitempty"`
	Manifest *preflight.Manifest  `json:"manifest"`
	ABI      *preflight.ABIReport `json:"abi,omitempty"`
}

func runList(s *Streams, opts *listOptions) error {
	d, host, err := opts.abi.load()
	if err != nil {
		return err
	}
	exts := libraryExtensions(runtime.GOOS)
	if opts.all {
		exts = []string{".so", ".dylib", ".bundle", ".dll"}
	}
	start := time.Now()
	paths, errs := findAll(s, opts.dirs, exts, opts.recursive)
	failed := len(errs) > 0
	entries := checkAll(paths, preflight.Options{ABI: d, HostVersion: host})
	for _, e := range entries {
		failed = failed || e.Status == report.Invalid || e.Status == report.Incompatible
	}
	var result error
	if failed {
		result = errReported
	}
	s, flush := s.buffered()
	defer flush()
	switch opts.format {
	case "json":
		if err := writeJSON(s, listDoc{Host: thisHost(), Files: entries, Errors: errs}); err != nil {
			return err
		}
	case "sarif":
		if err := writeSARIF(s, start, listResults(entries), errs, result); err != nil {
			return err
		}
	default:
		printList(s, entries)
	}
	if err := flush(); err != nil {
		return err
	}
	return result
}

// listDoc is the document of plugctl list --format json (docs/cli.md).
type listDoc struct {
	Host   hostDoc     `json:"host"`
	Files  []listEntry `json:"files"`
	Errors []pathError `json:"errors"`
}

// pathError is a PATH argument, or a directory below one, that could not be
// read. list and verify report it on stderr and in their JSON ("errors"),
// so that a document whose exit status says failure says why.
// A directory's entries are names nobody checked: Path prints sanitized.
type pathError struct {
	Path    sanitize.Untrusted `json:"path"`
	Message string             `json:"message"`
}

func (e pathError) Error() string { return e.Path.String() + ": " + sanitize.String(e.Message) }

// findAll returns the candidates under each of dirs, and the paths that
// could not be read, each also reported as an error on s (never nil).
func findAll(s *Streams, dirs, exts []string, recursive bool) ([]string, []pathError) {
	var paths []string
	errs := []pathError{}
	for _, dir := range dirs {
		found, bad := candidates(dir, exts, recursive)
		paths = append(paths, found...)
		for _, e := range bad {
			s.errorf("%v", e)
		}
		errs = append(errs, bad...)
	}
	return paths, errs
}

// libraryExtensions returns the extensions of loadable libraries on goos.
func libraryExtensions(goos string) []string {
	switch goos {
	case "windows":
		return []string{".dll"}
	case "darwin", "ios":
		return []string{".dylib", ".so", ".bundle"}
	}
	return []string{".so"}
}

// candidates returns the files under dir with one of exts, sorted, and the
// paths it could not read. A dir that is a file is its own candidate,
// whatever its name.
func candidates(dir string, exts []string, recursive bool) ([]string, []pathError) {
	bad := func(p string, err error) pathError { return pathError{sanitize.Untrusted(p), pathErr(err).Error()} }
	st, err := os.Stat(dir)
	if err != nil {
		return nil, []pathError{bad(dir, err)}
	}
	if !st.IsDir() {
		return []string{dir}, nil
	}
	// WalkDir does not follow a root that is a link to a directory; a
	// trailing separator makes it. Links below the root are not followed.
	root := dir
	if lst, err := os.Lstat(dir); err == nil && lst.Mode()&fs.ModeSymlink != 0 {
		root = dir + string(filepath.Separator)
	}
	var found []string
	var errs []pathError
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			errs = append(errs, bad(p, err))
			return nil
		}
		if d.IsDir() {
			if p != root && !recursive {
				return filepath.SkipDir
			}
			return nil
		}
		if slices.Contains(exts, strings.ToLower(filepath.Ext(p))) {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		return nil, []pathError{bad(dir, err)}
	}
	slices.Sort(found)
	return found, errs
}

// pathErr drops the path an *fs.PathError repeats, and says "no such file
// or directory" for a path that does not exist on every system (Windows
// words it its own way).
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, fs.ErrNotExist) {
		return errNoSuchPath
	}
	return err
}

// errNoSuchPath is a missing path; errors.Is(errNoSuchPath, fs.ErrNotExist).
var errNoSuchPath = noSuchPath{}

type noSuchPath struct{}

func (noSuchPath) Error() string        { return "no such file or directory" }
func (noSuchPath) Is(target error) bool { return target == fs.ErrNotExist }

// checkAll checks the files in parallel, sharing one dependency resolver,
// and returns the entries in the order of paths.
func checkAll(paths []string, opts preflight.Options) []listEntry {
	entries := make([]listEntry, len(paths))
	opts.Resolver, opts.Dirs = deps.New(deps.Options{}), &preflight.Dirs{}
	defer opts.Dirs.Close()
	inParallel(len(paths), func(i int) {
		r := preflight.Check(paths[i], opts)
		entries[i] = listEntry{Path: r.Path, Status: r.Status, Reason: r.Reason, Format: r.Format,
			Arch: r.Arch, OS: r.OS, Manifest: r.Manifest, ABI: r.ABI}
	})
	return entries
}

// inParallel calls fn(i) for each i below n on GOMAXPROCS goroutines, and
// returns when every call has. Each goroutine takes the next i itself: no
// hand-off per item.
func inParallel(n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

func printList(s *Streams, entries []listEntry) {
	if len(entries) == 0 {
		s.warnf("no library files found (plugctl list takes files with this host's library extension; --all takes every system's)")
		return
	}
	p := newReportPainter(s.outColor)
	// The columns as text/tabwriter aligns them (each as wide as its
	// widest cell and two spaces, the status free), measured first and
	// then written line by line: tabwriter holds the whole table in
	// memory before it writes a line. Every cell is sanitized text, none
	// holding a byte tabwriter would treat specially.
	var widths [len(listHeader) - 1]int
	measure := func(cells [len(listHeader)]string) {
		for i := range widths {
			widths[i] = max(widths[i], utf8.RuneCountInString(cells[i]))
		}
	}
	measure(listHeader)
	for _, e := range entries {
		measure(listRow(p, e))
	}
	var line []byte
	write := func(cells [len(listHeader)]string) {
		line = line[:0]
		for i, c := range cells[:len(widths)] {
			line = append(line, c...)
			line = appendPad(line, widths[i]-utf8.RuneCountInString(c)+2)
		}
		line = append(line, cells[len(widths)]...)
		s.Out.Write(append(line, '\n'))
	}
	write(listHeader)
	for _, e := range entries {
		write(listRow(p, e))
	}
}

var listHeader = [...]string{"FILE", "NAME", "VERSION", "API", "ARCH", "STATUS"}

// listRow is the cells of e's line in plugctl list's table.
func listRow(p reportPainter, e listEntry) [len(listHeader)]string {
	name, ver, api := "no manifest", "-", "-"
	if m := e.Manifest; m != nil {
		name = "bad manifest"
		if m.Manifest != nil {
			name, ver, api = m.Name, m.Version, strconv.FormatUint(uint64(m.APIVersion), 10)
			if m.APIVersion != hostapi.Version && m.Error != "" {
				api += "!"
			}
		}
	}
	if a := e.ABI; a != nil {
		// With --abi, API is the described ABI's version the file
		// shows, "!" when the host's version does not accept it.
		api = orDash(a.Version)
		if a.Compatible != nil && !*a.Compatible {
			api += "!"
		}
	}
	arch := e.Arch
	if arch == "" {
		arch = "-"
	} else if e.OS != runtime.GOOS && !(e.OS == "linux" && runtime.GOOS == "freebsd") {
		arch = e.OS + "/" + arch
	}
	st := p.status(e.Status)
	if e.Reason != "" {
		st += ": " + string(e.Reason)
	}
	return [...]string{e.Path.String(), orDash(name), orDash(ver), api, sanitize.String(arch), st}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
