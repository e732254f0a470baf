package deps

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/plugctl/plugctl/internal/inspect"
)

// machoImage is an image in the walk, with the chain of images that loaded
// it: @rpath searches the LC_RPATHs of all of them.
type machoImage struct {
	path   string
	f      *inspect.File
	loader *machoImage
}

func (r *Resolver) resolveMachO(path string, f *inspect.File) []*Lib {
	seen := map[string]*Lib{}
	var walk func(img *machoImage, depth int) []*Lib
	walk = func(img *machoImage, depth int) []*Lib {
		var libs []*Lib
		for _, dep := range img.f.Needed {
			l := &Lib{Name: dep.Name, NeededBy: img.path, Optional: dep.Optional}
			libs = append(libs, l)
			if prev, ok := seen[dep.Name]; ok {
				l.Path, l.Status, l.Via, l.Damaged, l.Repeat = prev.Path, prev.Status, prev.Via, prev.Damaged, true
				continue
			}
			seen[dep.Name] = l
			r.searchMachO(l, img)
			if l.Status != Found || depth+1 >= maxDepth {
				continue
			}
			if df := r.openDep(l, inspect.MachO); df != nil {
				l.Deps = walk(&machoImage{path: l.Path, f: df, loader: img}, depth+1)
			}
		}
		return libs
	}
	return walk(&machoImage{path: path, f: f}, 0)
}

// maxDepth bounds a dependency walk: the tree holds at most this many
// levels of libraries. Real trees are a few levels deep.
const maxDepth = 64

func (r *Resolver) searchMachO(l *Lib, img *machoImage) {
	name := l.Name
	l.Status = Missing
	found := func(p, via string) bool {
		if regular(p) {
			l.Path, l.Status, l.Via = filepath.Clean(p), Found, via
			return true
		}
		return false
	}
	switch {
	case strings.HasPrefix(name, "/usr/lib/") || strings.HasPrefix(name, "/System/"):
		// In the dyld shared cache, not on disk, since macOS 11.
		l.Status = System
	case strings.HasPrefix(name, "@loader_path/"):
		found(filepath.Join(filepath.Dir(img.path), strings.TrimPrefix(name, "@loader_path/")), "@loader_path")
	case strings.HasPrefix(name, "@rpath/"):
		rest := strings.TrimPrefix(name, "@rpath/")
		unknown := false
		for c := img; c != nil; c = c.loader {
			for _, rp := range c.f.RPath {
				switch {
				case strings.HasPrefix(rp, "@loader_path"):
					rp = filepath.Dir(c.path) + strings.TrimPrefix(rp, "@loader_path")
				case strings.HasPrefix(rp, "@executable_path"):
					unknown = true // the host application's directory
					continue
				case runtime.GOOS != "darwin":
					unknown = true // an absolute path on the target system
					continue
				}
				if found(filepath.Join(rp, rest), "@rpath") {
					return
				}
			}
		}
		if unknown {
			l.Status = Unchecked
		}
	case strings.HasPrefix(name, "@executable_path/"):
		l.Status = Unchecked
	default:
		if !found(name, "path") && runtime.GOOS != "darwin" {
			l.Status = Unchecked
		}
	}
}

func (r *Resolver) resolvePE(path string, f *inspect.File) []*Lib {
	dir := filepath.Dir(path)
	seen := map[string]*Lib{}
	var walk func(p string, f *inspect.File, depth int) []*Lib
	walk = func(p string, f *inspect.File, depth int) []*Lib {
		var libs []*Lib
		for _, dep := range f.Needed {
			l := &Lib{Name: dep.Name, NeededBy: p, Optional: dep.Optional, Status: Unchecked}
			libs = append(libs, l)
			key := strings.ToLower(dep.Name)
			if prev, ok := seen[key]; ok {
				l.Path, l.Status, l.Via, l.Damaged, l.Repeat = prev.Path, prev.Status, prev.Via, prev.Damaged, true
				continue
			}
			seen[key] = l
			if systemDLL(key) {
				l.Status = System
				continue
			}
			r.searchPE(l, dir)
			if l.Status == Found && depth+1 < maxDepth {
				if df := r.openDep(l, inspect.PE); df != nil {
					l.Deps = walk(l.Path, df, depth+1)
				}
			}
		}
		return libs
	}
	return walk(path, f, 0)
}

// searchPE looks for the DLL l names the way plugctl's loader does on
// Windows (LoadLibraryEx with LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR |
// LOAD_LIBRARY_SEARCH_DEFAULT_DIRS): in the plugin's directory dir (for its
// dependencies' dependencies too), then the application's directory, then
// System32. Never the current directory or PATH: nobody can plant a DLL
// there for plugctl to load. Off Windows (no application directory or
// System32 to look in) only the plugin's directory can be looked in; a DLL
// not there may be in the target's System32: unchecked.
func (r *Resolver) searchPE(l *Lib, dir string) {
	if match := findFold(dir, l.Name); match != "" {
		l.Path, l.Status, l.Via = match, Found, "plugin directory"
		return
	}
	if r.appDir == "" && r.system32 == "" {
		return
	}
	l.Status = Missing
	for _, d := range []struct{ dir, via string }{{r.appDir, "application directory"}, {r.system32, "System32"}} {
		if d.dir == "" {
			continue
		}
		if match := findFold(d.dir, l.Name); match != "" {
			l.Path, l.Status, l.Via = match, Found, d.via
			return
		}
	}
}

// findFold returns the file in dir named name, ignoring case, or "".
func findFold(dir, name string) string {
	if p := filepath.Join(dir, name); regular(p) {
		return p
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		if strings.EqualFold(e.Name(), name) && e.Type().IsRegular() {
			return filepath.Join(dir, e.Name())
		}
	}
	return ""
}

// systemDLL reports whether the lower-case DLL name is part of Windows: the
// API sets and the system libraries plugins commonly import.
func systemDLL(name string) bool {
	if strings.HasPrefix(name, "api-ms-win-") || strings.HasPrefix(name, "ext-ms-") {
		return true
	}
	switch name {
	case "kernel32.dll", "kernelbase.dll", "ntdll.dll", "user32.dll", "gdi32.dll", "advapi32.dll",
		"shell32.dll", "ole32.dll", "oleaut32.dll", "ws2_32.dll", "bcrypt.dll", "crypt32.dll",
		"secur32.dll", "userenv.dll", "shlwapi.dll", "comdlg32.dll", "comctl32.dll", "version.dll",
		"winmm.dll", "msvcrt.dll", "ucrtbase.dll", "iphlpapi.dll", "dbghelp.dll", "psapi.dll",
		"rpcrt4.dll", "setupapi.dll", "imm32.dll", "ntdll", "synchronization.dll", "bcryptprimitives.dll":
		return true
	}
	return false
}
