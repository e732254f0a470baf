package deps

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/plugctl/plugctl/internal/inspect"
	"github.com/plugctl/plugctl/internal/testplugins"
)

// lddDirect runs ldd on path with LD_LIBRARY_PATH set to libraryPath and
// returns what it resolved each name to (real paths; "" for not found).
func lddDirect(t *testing.T, path, libraryPath string) map[string]string {
	t.Helper()
	cmd := exec.Command("ldd", path)
	cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+libraryPath)
	out, err := cmd.Output()
	if err != nil && len(out) == 0 {
		t.Fatalf("ldd %s: %v", path, err)
	}
	got := map[string]string{}
	for _, m := range lddLine.FindAllStringSubmatch(string(out), -1) {
		if m[2] == "not found" {
			got[m[1]] = ""
		} else {
			got[m[1]] = realPath(t, m[2])
		}
	}
	// The dynamic loader itself is listed by path, without "=>": a needed
	// ld-linux-*.so.2 is the loader already in the process.
	for _, m := range lddLoader.FindAllStringSubmatch(string(out), -1) {
		got[filepath.Base(m[1])] = realPath(t, m[1])
	}
	return got
}

var (
	lddLine   = regexp.MustCompile(`(?m)^\s*(\S+) => (not found|\S+)`)
	lddLoader = regexp.MustCompile(`(?m)^\s*(/\S+) \(0x[0-9a-f]+\)$`)
)

func realPath(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatalf("EvalSymlinks(%s): %v", p, err)
	}
	return r
}

// compareWithLdd checks that every direct dependency of path resolves where
// ldd resolves it, and returns what path needs.
func compareWithLdd(t *testing.T, path, libraryPath string) []*Lib {
	t.Helper()
	return compareLdd(t, path, libraryPath, false)
}

// compareTreeWithLdd does the same for every library in path's dependency
// tree, direct or not.
func compareTreeWithLdd(t *testing.T, path, libraryPath string) []*Lib {
	t.Helper()
	return compareLdd(t, path, libraryPath, true)
}

func compareLdd(t *testing.T, path, libraryPath string, tree bool) []*Lib {
	t.Helper()
	f, err := inspect.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	libs := New(Options{LibraryPath: &libraryPath}).Resolve(path, f)
	want := lddDirect(t, path, libraryPath)
	check := func(l *Lib) {
		w, ok := want[l.Name]
		if !ok {
			t.Errorf("%s: ldd does not list %s", path, l.Name)
			return
		}
		got := ""
		if l.Status == Found {
			got = realPath(t, l.Path)
		}
		if got != w {
			t.Errorf("%s: %s (needed by %s) resolved to %q (%s), ldd says %q", path, l.Name, filepath.Base(l.NeededBy), got, l.Via, w)
		}
	}
	if tree {
		Walk(libs, check)
	} else {
		for _, l := range libs {
			check(l)
		}
	}
	return libs
}

// The system's own libraries: each direct dependency must resolve to the
// file ldd reports.
func TestSystemLibrariesMatchLdd(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("ldd and glibc's search rules are Linux's")
	}
	if _, err := exec.LookPath("ldd"); err != nil {
		t.Fatal("ldd not found: it comes with glibc (Debian's libc-bin)")
	}
	var libs []string
	for _, dir := range []string{"/lib/" + triplet(&inspect.File{Arch: inspect.HostArch()}), "/usr/lib64", "/usr/lib"} {
		matches, _ := filepath.Glob(filepath.Join(dir, "lib*.so.*"))
		for _, m := range matches {
			if st, err := os.Lstat(m); err == nil && st.Mode().IsRegular() {
				libs = append(libs, m)
			}
		}
		if len(libs) > 0 {
			break
		}
	}
	if len(libs) < 10 {
		t.Fatalf("found only %d system libraries to compare", len(libs))
	}
	// Every library would take long under ldd; a spread of 60 covers the
	// common dependency shapes (libc, libm, libstdc++, libgcc_s, ...).
	step := max(1, len(libs)/60)
	checked, deps := 0, 0
	for i := 0; i < len(libs); i += step {
		f, err := inspect.Open(libs[i])
		if err != nil || f.CheckHost() != nil || f.Kind != inspect.SharedLibrary {
			continue
		}
		deps += len(compareWithLdd(t, libs[i], ""))
		checked++
	}
	if checked < 10 || deps < 10 {
		t.Fatalf("compared only %d libraries with %d dependencies", checked, deps)
	}
	t.Logf("compared %d libraries, %d direct dependencies", checked, deps)
}

// The samples with RPATH and RUNPATH: the two orders relative to
// LD_LIBRARY_PATH, $ORIGIN, and a 32-bit decoy that must be skipped.
func TestSearchOrderMatchesLdd(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("needs the linux/amd64 sample plugins")
	}
	dir := testplugins.Dir(t)
	a, b, decoy := filepath.Join(dir, "deps", "a"), filepath.Join(dir, "deps", "b"), filepath.Join(dir, "deps", "i386")
	tests := []struct {
		plugin, libraryPath, want, via string
	}{
		{"librpath.so", "", a, "RPATH"},
		{"librpath.so", b, a, "RPATH"}, // RPATH before LD_LIBRARY_PATH
		{"librunpath.so", "", a, "RUNPATH"},
		{"librunpath.so", b, b, "LD_LIBRARY_PATH"}, // LD_LIBRARY_PATH before RUNPATH
		{"librunpath.so", decoy + ":" + b, b, "LD_LIBRARY_PATH"},
		{"librunpath.so", decoy, a, "RUNPATH"},
	}
	for _, tt := range tests {
		libs := compareWithLdd(t, filepath.Join(dir, tt.plugin), tt.libraryPath)
		i := slices.IndexFunc(libs, func(l *Lib) bool { return l.Name == "libplugdep.so" })
		if i < 0 {
			t.Fatalf("%s does not need libplugdep.so", tt.plugin)
		}
		l := libs[i]
		if filepath.Dir(l.Path) != tt.want || l.Via != tt.via {
			t.Errorf("%s with LD_LIBRARY_PATH=%q: %s via %s, want in %s via %s", tt.plugin, tt.libraryPath, l.Path, l.Via, tt.want, tt.via)
		}
		if strings.HasPrefix(tt.libraryPath, decoy) && (len(l.Skipped) != 1 || filepath.Dir(l.Skipped[0]) != decoy) {
			t.Errorf("%s: skipped %v, want the i386 decoy", tt.plugin, l.Skipped)
		}
	}
}

// The libraries of files for other systems: Mach-O @rpath through
// @loader_path, DLLs beside the plugin, and what only the target can say.
func TestForeignDependencies(t *testing.T) {
	dir := filepath.Join(testplugins.Dir(t), "cross")
	r := New(Options{})
	status := func(file string) map[string]Status {
		t.Helper()
		f, err := inspect.Open(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]Status{}
		for _, l := range r.Resolve(filepath.Join(dir, file), f) {
			got[l.Name] = l.Status
		}
		return got
	}
	mac := status("cross_rpath.dylib")
	if mac["@rpath/libcrossdep.dylib"] != Found || mac["@rpath/libcrossgone.dylib"] != Missing {
		t.Errorf("cross_rpath.dylib: %v", mac)
	}
	dll := status("cross_needs.dll")
	if dll["KERNEL32.dll"] != System || dll["msvcrt.dll"] != System || dll["crossdep.dll"] != Found {
		t.Errorf("cross_needs.dll: %v", dll)
	}
	// A DLL that is not beside the plugin may be on the target's PATH.
	f, err := inspect.Open(filepath.Join(dir, "cross_needs.dll"))
	if err != nil {
		t.Fatal(err)
	}
	alone := filepath.Join(t.TempDir(), "cross_needs.dll")
	libs := r.Resolve(alone, f)
	if runtime.GOOS != "windows" && libs[2].Status != Unchecked {
		t.Errorf("crossdep.dll away from the plugin: %s", libs[2].Status)
	}
}

// A missing library of a file for another architecture is not missing: only
// the target system can tell.
func TestForeignELFUnchecked(t *testing.T) {
	f := &inspect.File{Format: inspect.ELF, Kind: inspect.SharedLibrary, Arch: "riscv64", Bits: 64, OS: "linux",
		Needed: []inspect.Dependency{{Name: "libplugctl-nowhere.so.1"}}}
	libs := New(Options{}).Resolve(testplugins.Path(t, "libplain.so"), f)
	if len(libs) != 1 || libs[0].Status != Unchecked {
		t.Errorf("got %+v", libs[0])
	}
}

// The tail of the search order, in directories of the test's own: an empty
// LD_LIBRARY_PATH element is the current directory, then ld.so.conf's
// directories, then the default ones.
func TestSearchOrderTail(t *testing.T) {
	lib, err := os.ReadFile(filepath.Join(testplugins.Dir(t), "deps", "a", "libplugdep.so"))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for _, d := range []string{"cwd", "conf", "default"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, d, "libplugdep.so"), lib, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	plugin := testplugins.Path(t, "libplain.so")
	f, err := inspect.Open(plugin)
	if err != nil {
		t.Fatal(err)
	}
	f.Needed = []inspect.Dependency{{Name: "libplugdep.so"}}
	t.Chdir(filepath.Join(root, "cwd"))
	tests := []struct {
		libraryPath string
		conf        []string
		dir, via    string
	}{
		{"/nonexistent:", []string{filepath.Join(root, "conf")}, "cwd", "LD_LIBRARY_PATH"},
		{"/nonexistent", []string{filepath.Join(root, "conf")}, "conf", "ld.so.conf"},
		{"", []string{}, "default", "default directory"},
	}
	for _, tt := range tests {
		r := New(Options{LibraryPath: &tt.libraryPath, ConfDirs: tt.conf, DefaultDirs: []string{filepath.Join(root, "default")}})
		l := r.Resolve(plugin, f)[0]
		if l.Status != Found || filepath.Base(filepath.Dir(realPath(t, l.Path))) != tt.dir || l.Via != tt.via {
			t.Errorf("LD_LIBRARY_PATH=%q conf=%v: %s %s via %s, want in %s via %s", tt.libraryPath, tt.conf, l.Status, l.Path, l.Via, tt.dir, tt.via)
		}
	}
}

// The Windows search order for a plugin's DLLs: the plugin's directory, the
// application's, System32, ignoring case; never the current directory or
// PATH. (On Windows, New fills in the two directories; here they are given.)
func TestWindowsSearchOrder(t *testing.T) {
	root := t.TempDir()
	dir := func(name string, dlls ...string) string {
		d := filepath.Join(root, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, dll := range dlls {
			if err := os.WriteFile(filepath.Join(d, dll), []byte("MZ"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	plugin := dir("plugin", "Beside.DLL")
	app := dir("app", "beside.dll", "inapp.dll", "both.dll")
	sys := dir("sys", "inapp.dll", "both.dll", "insys.dll")
	cwd := dir("cwd", "incwd.dll")
	t.Chdir(cwd)
	t.Setenv("PATH", cwd)
	f := &inspect.File{Format: inspect.PE, Needed: []inspect.Dependency{
		{Name: "beside.dll"}, {Name: "inapp.dll"}, {Name: "INSYS.dll"}, {Name: "incwd.dll"}, {Name: "kernel32.dll"},
		{Name: "both.dll"},
	}}
	r := New(Options{AppDir: app, System32: sys})
	want := []struct {
		status Status
		via    string
		dir    string
	}{
		{Found, "plugin directory", plugin}, {Found, "application directory", app},
		{Found, "System32", sys}, {Missing, "", ""}, {System, "", ""},
		{Found, "application directory", app},
	}
	for i, l := range r.Resolve(filepath.Join(plugin, "p.dll"), f) {
		w := want[i]
		if l.Status != w.status || l.Via != w.via || (w.dir != "" && filepath.Dir(l.Path) != w.dir) {
			t.Errorf("%s: %s via %q at %q, want %s via %q in %s", l.Name, l.Status, l.Via, l.Path, w.status, w.via, w.dir)
		}
	}
	// Without the two directories (off Windows), what is not beside the
	// plugin is for the target system to say.
	libs := New(Options{}).Resolve(filepath.Join(plugin, "p.dll"), f)
	if runtime.GOOS != "windows" && (libs[1].Status != Unchecked || libs[0].Status != Found) {
		t.Errorf("off Windows: beside.dll %s, inapp.dll %s; want found, unchecked", libs[0].Status, libs[1].Status)
	}
}

// find returns the library named name in libs' tree, or nil.
func find(libs []*Lib, name string) *Lib {
	var found *Lib
	Walk(libs, func(l *Lib) {
		if found == nil && l.Name == name && !l.Repeat {
			found = l
		}
	})
	return found
}

// A library the plugin loads inherits the plugin's DT_RPATH, not its
// DT_RUNPATH: libinhmid.so, with no search path of its own, finds
// libplugdep.so through the first and not the second, as ldd says.
func TestInheritedSearchPathMatchesLdd(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("needs the linux/amd64 sample plugins")
	}
	dir := testplugins.Dir(t)
	rpath := compareTreeWithLdd(t, filepath.Join(dir, "libinherit_rpath.so"), "")
	if l := find(rpath, "libplugdep.so"); l == nil || l.Status != Found || l.Via != "RPATH" ||
		filepath.Dir(l.Path) != filepath.Join(dir, "deps", "a") {
		t.Errorf("libinherit_rpath.so: libplugdep.so is %+v, want found in deps/a through the inherited RPATH", l)
	}
	runpath := compareTreeWithLdd(t, filepath.Join(dir, "libinherit_runpath.so"), "")
	if l := find(runpath, "libplugdep.so"); l == nil || l.Status != Missing {
		t.Errorf("libinherit_runpath.so: libplugdep.so is %+v, want missing (a RUNPATH is not inherited)", l)
	}
}

// With both a DT_RPATH and a DT_RUNPATH, the loader ignores the DT_RPATH.
// No linker writes both, so the test makes the file: librpath_soname.so has
// DT_RPATH $ORIGIN/deps/a and the soname "$ORIGIN/deps/b", whose tag is
// changed to DT_RUNPATH in a copy beside the plugins' deps directory.
func TestRunpathTurnsRpathOff(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("needs the linux/amd64 sample plugins")
	}
	dir := testplugins.Dir(t)
	b, err := os.ReadFile(filepath.Join(dir, "librpath_soname.so"))
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	dyn := ef.Section(".dynamic")
	if dyn == nil {
		t.Fatal("librpath_soname.so has no .dynamic")
	}
	changed := false
	for off := dyn.Offset; off+16 <= dyn.Offset+dyn.Size; off += 16 {
		if binary.LittleEndian.Uint64(b[off:]) == uint64(elf.DT_SONAME) {
			binary.LittleEndian.PutUint64(b[off:], uint64(elf.DT_RUNPATH))
			changed = true
		}
	}
	if !changed {
		t.Fatal("librpath_soname.so has no DT_SONAME to turn into a DT_RUNPATH")
	}
	tmp := t.TempDir()
	path := filepath.Join(tmp, "libboth.so")
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "deps"), filepath.Join(tmp, "deps")); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ libraryPath, want, via string }{
		{"", "b", "RUNPATH"},
		{filepath.Join(dir, "deps", "a"), "a", "LD_LIBRARY_PATH"},
	} {
		libs := compareTreeWithLdd(t, path, tt.libraryPath)
		if l := find(libs, "libplugdep.so"); l == nil || l.Via != tt.via || filepath.Base(filepath.Dir(l.Path)) != tt.want {
			t.Errorf("LD_LIBRARY_PATH=%q: libplugdep.so is %+v, want in deps/%s through %s", tt.libraryPath, l, tt.want, tt.via)
		}
	}
}

// A token is replaced only where no more of a name follows it: letters,
// digits and '_' continue a name ($LIBDIR is not $LIB); the characters
// next to those ranges in ASCII do not.
func TestReplaceTokenEndsAtAName(t *testing.T) {
	for _, c := range "AZaz09_" {
		in := "/x/$LIB" + string(c)
		if got := replaceToken(in, "$LIB", "lib64"); got != in {
			t.Errorf("replaceToken(%q) = %q: %q continues the name", in, got, c)
		}
	}
	for _, c := range "@[`{/:-." {
		in := "/x/$LIB" + string(c)
		if got, want := replaceToken(in, "$LIB", "lib64"), "/x/lib64"+string(c); got != want {
			t.Errorf("replaceToken(%q) = %q, want %q", in, got, want)
		}
	}
	if got := replaceToken("$LIB/$LIB", "$LIB", "l"); got != "l/l" {
		t.Errorf("two tokens: %q", got)
	}
}

// A DLL found beside the plugin has its own imports resolved in turn.
func TestDLLDependenciesOfDependencies(t *testing.T) {
	dir := filepath.Join(testplugins.Dir(t), "cross")
	f, err := inspect.Open(filepath.Join(dir, "cross_needs.dll"))
	if err != nil {
		t.Fatal(err)
	}
	dep := find(New(Options{}).Resolve(filepath.Join(dir, "cross_needs.dll"), f), "crossdep.dll")
	if dep == nil || dep.Status != Found || len(dep.Deps) == 0 {
		t.Fatalf("crossdep.dll: %+v, want found with its own imports", dep)
	}
	for _, l := range dep.Deps {
		if l.Status != System || l.NeededBy != dep.Path {
			t.Errorf("crossdep.dll needs %s: %s, needed by %s; want a system DLL needed by crossdep.dll", l.Name, l.Status, l.NeededBy)
		}
	}
}
