package deps

import (
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/plugctl/plugctl/internal/inspect"
)

// elfObject is a library in the breadth-first walk, as ld.so keeps it.
type elfObject struct {
	path   string
	f      *inspect.File
	loader *elfObject // the object whose dependency it is; nil for the plugin
	lib    *Lib       // nil for the plugin
}

func (r *Resolver) resolveELF(path string, f *inspect.File) []*Lib {
	want := ident{class: byte(elf.ELFCLASS32), data: byte(elf.ELFDATA2LSB), machine: f.Machine}
	if f.Bits == 64 {
		want.class = byte(elf.ELFCLASS64)
	}
	if f.ByteOrder == binary.BigEndian {
		want.data = byte(elf.ELFDATA2MSB)
	}
	// On another OS, or for another machine, only the target's loader can
	// say where its libraries are; look anyway, but do not call them missing.
	foreign := runtime.GOOS != "linux" && runtime.GOOS != "freebsd" || f.CheckHost() != nil
	root := &elfObject{path: path, f: f}
	var direct []*Lib
	loaded := map[string]*Lib{}
	queue := []*elfObject{root}
	for len(queue) > 0 {
		o := queue[0]
		queue = queue[1:]
		for _, dep := range o.f.Needed {
			l := &Lib{Name: dep.Name, NeededBy: o.path}
			if prev, ok := loaded[dep.Name]; ok {
				l.Path, l.Status, l.Via, l.Damaged, l.Repeat = prev.Path, prev.Status, prev.Via, prev.Damaged, true
			} else {
				r.searchELF(l, o, want)
				loaded[dep.Name] = l
				if l.Status == Missing && foreign {
					l.Status = Unchecked
				}
				if l.Status == Found {
					if df := r.openDep(l, inspect.ELF); df != nil {
						if df.SOName != "" && loaded[df.SOName] == nil {
							loaded[df.SOName] = l
						}
						l.MissingVersions = missingVersions(o.f, dep.Name, df)
						queue = append(queue, &elfObject{path: l.Path, f: df, loader: o, lib: l})
					}
				}
			}
			if o.lib == nil {
				direct = append(direct, l)
			} else {
				o.lib.Deps = append(o.lib.Deps, l)
			}
		}
	}
	return direct
}

// missingVersions returns the versions f requires from the library it calls
// name that the library found for it, df, does not define. A library that
// defines no versions at all satisfies any: the loader only warns.
func missingVersions(f *inspect.File, name string, df *inspect.File) []string {
	if len(df.VersionDefs) == 0 {
		return nil
	}
	var missing []string
	for _, vn := range f.VersionNeeds {
		if vn.Library != name {
			continue
		}
		for _, v := range vn.Versions {
			if !slices.Contains(df.VersionDefs, v) {
				missing = append(missing, v)
			}
		}
	}
	return missing
}

// searchELF fills in where ld.so finds l.Name for the object o, whose
// process has the ELF identity want.
func (r *Resolver) searchELF(l *Lib, o *elfObject, want ident) {
	l.Status = Missing
	if strings.Contains(l.Name, "/") {
		p := l.Name
		if !filepath.IsAbs(p) {
			p, _ = filepath.Abs(p)
		}
		if r.candidate(l, p, want) {
			l.Via = "path"
		}
		return
	}
	try := func(dirs []string, via string) bool {
		for _, d := range dirs {
			if r.candidate(l, filepath.Join(d, l.Name), want) {
				l.Via = via
				return true
			}
		}
		return false
	}
	// An object with a RUNPATH ignores RPATHs; otherwise its RPATH is
	// searched, then that of each object up the chain that loaded it (as
	// glibc does, whether or not those have a RUNPATH).
	if len(o.f.RunPath) == 0 {
		for c := o; c != nil; c = c.loader {
			if try(expandDST(c.f.RPath, c.path, c.f), "RPATH") {
				return
			}
		}
	}
	if try(r.libraryPath, "LD_LIBRARY_PATH") ||
		try(expandDST(o.f.RunPath, o.path, o.f), "RUNPATH") ||
		try(r.ldSoConf(), "ld.so.conf") {
		return
	}
	try(r.defaults(o.f), "default directory")
}

// candidate reports whether path is a library ld.so would take for a
// process of identity want, noting it in l.
func (r *Resolver) candidate(l *Lib, path string, want ident) bool {
	c := r.identify(path)
	if !c.regular {
		return false
	}
	if c.err != nil || c.id != want {
		l.Skipped = append(l.Skipped, path)
		return false
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs // an empty or relative search path element is the current directory
	}
	l.Path, l.Status = path, Found
	return true
}

// identified is what candidate learns of a path; the Resolver keeps it, since
// every plugin's search passes the same directories.
type identified struct {
	regular bool
	id      ident
	err     error
}

func (r *Resolver) identify(path string) identified {
	return r.idents.get(path, func() (c identified) {
		if c.regular = regular(path); c.regular {
			c.id, c.err = readIdent(path)
		}
		return c
	})
}

// ident is what ld.so compares before taking a candidate: class, byte order
// and machine.
type ident struct {
	class, data byte
	machine     uint16
}

func readIdent(path string) (ident, error) {
	fh, _, err := inspect.OpenRegular(path)
	if err != nil {
		return ident{}, err
	}
	defer fh.Close()
	var b [20]byte
	if _, err := fh.ReadAt(b[:], 0); err != nil {
		return ident{}, err
	}
	if string(b[:4]) != elf.ELFMAG {
		return ident{}, os.ErrInvalid
	}
	id := ident{class: b[elf.EI_CLASS], data: b[elf.EI_DATA]}
	if elf.Data(id.data) == elf.ELFDATA2MSB {
		id.machine = binary.BigEndian.Uint16(b[18:])
	} else {
		id.machine = binary.LittleEndian.Uint16(b[18:])
	}
	return id, nil
}

// expandDST expands the dynamic string tokens in the search path dirs of the
// object at path: $ORIGIN (its directory), $LIB and $PLATFORM, bare or in
// braces. An empty element is the current directory.
func expandDST(dirs []string, path string, f *inspect.File) []string {
	if len(dirs) == 0 {
		return nil
	}
	origin := filepath.Dir(path)
	out := make([]string, 0, len(dirs))
	for _, d := range dirs {
		if d == "" {
			d = "."
		}
		for _, t := range []struct {
			token string
			value func() string // libDir looks at the file system: only when needed
		}{
			{"ORIGIN", func() string { return origin }}, {"LIB", func() string { return libDir(f) }}, {"PLATFORM", func() string { return platform(f) }},
		} {
			if strings.Contains(d, "$"+t.token) || strings.Contains(d, "${"+t.token+"}") {
				v := t.value()
				d = strings.ReplaceAll(d, "${"+t.token+"}", v)
				d = replaceToken(d, "$"+t.token, v)
			}
		}
		out = append(out, d)
	}
	return out
}

// replaceToken replaces token where it is not followed by more of a name:
// $LIB in "$LIBDIR" is not the token.
func replaceToken(s, token, value string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, token)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(token)
		if end < len(s) && (s[end] == '_' || s[end] >= 'A' && s[end] <= 'Z' || s[end] >= 'a' && s[end] <= 'z' || s[end] >= '0' && s[end] <= '9') {
			b.WriteString(s[:end])
		} else {
			b.WriteString(s[:i])
			b.WriteString(value)
		}
		s = s[end:]
	}
}

// triplet returns the Debian multiarch directory name for f's target.
func triplet(f *inspect.File) string {
	switch f.Arch {
	case "x86_64":
		return "x86_64-linux-gnu"
	case "i386":
		return "i386-linux-gnu"
	case "aarch64":
		return "aarch64-linux-gnu"
	case "arm":
		return "arm-linux-gnueabihf"
	case "ppc64le":
		return "powerpc64le-linux-gnu"
	case "ppc64":
		return "powerpc64-linux-gnu"
	case "riscv64":
		return "riscv64-linux-gnu"
	case "s390x":
		return "s390x-linux-gnu"
	case "loongarch64":
		return "loongarch64-linux-gnu"
	}
	return f.Arch + "-linux-gnu"
}

// libDir is what $LIB expands to: the multiarch directory on Debian and its
// derivatives, lib64 on 64-bit systems that have one, lib otherwise.
func libDir(f *inspect.File) string {
	if isDir("/usr/lib/" + triplet(f)) {
		return "lib/" + triplet(f)
	}
	if f.Bits == 64 && isDir("/usr/lib64") {
		return "lib64"
	}
	return "lib"
}

// platform is what $PLATFORM expands to (the kernel's AT_PLATFORM).
func platform(f *inspect.File) string {
	if f.Arch == "i386" {
		return "i686"
	}
	return f.Arch
}

// defaults returns the loader's built-in directories for f: the multiarch
// ones, lib64 or lib32 by class, then /lib and /usr/lib. Candidates of the
// wrong class are skipped, so listing more than one system uses is harmless.
func (r *Resolver) defaults(f *inspect.File) []string {
	if r.defaultDirs != nil {
		return r.defaultDirs
	}
	t := triplet(f)
	dirs := []string{"/lib/" + t, "/usr/lib/" + t}
	if f.Bits == 64 {
		dirs = append(dirs, "/lib64", "/usr/lib64")
	} else {
		dirs = append(dirs, "/lib32", "/usr/lib32")
	}
	return append(dirs, "/lib", "/usr/lib")
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
