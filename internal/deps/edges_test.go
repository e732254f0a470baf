package deps

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/plugctl/plugctl/internal/inspect"
	"github.com/plugctl/plugctl/internal/testplugins"
)

// A library already loaded satisfies a later DT_NEEDED of its soname,
// though no file of that name exists: plugin.so needs libsoa.so, whose
// soname is libsoa.so.1, and libsob.so, which needs libsoa.so.1.
func TestLoadedSonameSatisfiesLaterNeed(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("ld.so's rule")
	}
	dir := t.TempDir()
	lib := filepath.Join(dir, "lib")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	build := func(out string, args ...string) {
		t.Helper()
		testplugins.BuildC(t, out, "int x(void) { return 1; }\n", args...)
	}
	soa, sob, plugin := filepath.Join(lib, "libsoa.so"), filepath.Join(lib, "libsob.so"), filepath.Join(dir, "plugin.so")
	build(soa, "-Wl,-soname,libsoa.so.1")
	build(sob, "-Wl,--no-as-needed", soa, "-Wl,-soname,libsob.so") // needs libsoa.so.1
	build(soa, "-Wl,-soname,libsoa.so")
	build(plugin, "-Wl,--no-as-needed", soa, sob, "-Wl,--enable-new-dtags,-rpath,$ORIGIN/lib")
	build(soa, "-Wl,-soname,libsoa.so.1") // found as libsoa.so, known as libsoa.so.1

	f, err := inspect.Open(plugin)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"libsoa.so", "libsob.so"}; !slices.Equal(needed(f)[:min(2, len(f.Needed))], want) {
		t.Fatalf("plugin.so needs %v, want %v", needed(f), want)
	}
	libs := New(Options{}).Resolve(plugin, f)
	var l *Lib
	Walk(libs, func(x *Lib) {
		if x.Name == "libsoa.so.1" {
			l = x
		}
	})
	if l == nil || l.Status != Found || l.Path != soa || !l.Repeat {
		t.Errorf("libsoa.so.1 needed by libsob.so: %+v, want the libsoa.so already loaded", l)
	}
	if out, err := exec.Command("ldd", plugin).CombinedOutput(); err != nil || strings.Contains(string(out), "not found") {
		t.Errorf("ldd disagrees: %v\n%s", err, out)
	}
}

func needed(f *inspect.File) []string {
	var names []string
	for _, d := range f.Needed {
		names = append(names, d.Name)
	}
	return names
}

// A library that requires versions of two libraries misses, in each, only
// the versions it requires of that one; a library that defines no versions
// satisfies any.
func TestMissingVersions(t *testing.T) {
	f := &inspect.File{VersionNeeds: []inspect.VersionNeed{
		{Library: "liba.so", Versions: []string{"A_1", "A_2"}},
		{Library: "libb.so", Versions: []string{"B_1"}},
	}}
	if got := missingVersions(f, "liba.so", &inspect.File{VersionDefs: []string{"A_1"}}); !slices.Equal(got, []string{"A_2"}) {
		t.Errorf("liba.so defining A_1: missing %v, want [A_2]", got)
	}
	if got := missingVersions(f, "liba.so", &inspect.File{}); got != nil {
		t.Errorf("liba.so defining no versions: missing %v", got)
	}
}

// The loader's own directories depend on the class of the process.
func TestDefaultDirs(t *testing.T) {
	r := New(Options{})
	for bits, want := range map[int]string{64: "/lib64", 32: "/lib32"} {
		dirs := r.defaults(&inspect.File{Bits: bits, Arch: "x86_64"})
		other := map[string]string{"/lib64": "/lib32", "/lib32": "/lib64"}[want]
		if !slices.Contains(dirs, want) || slices.Contains(dirs, other) || dirs[len(dirs)-1] != "/usr/lib" {
			t.Errorf("%d-bit: %v", bits, dirs)
		}
	}
}

func TestIsDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if !isDir(dir) || isDir(file) || isDir(filepath.Join(dir, "missing")) {
		t.Error("isDir")
	}
}

// chain writes n copies of the fixture at src, copy i named by name(i),
// each needing copy i+1 by the name at old in src, replaced by need(i+1):
// a chain of libraries deeper than any walk goes.
func chain(t *testing.T, src, old string, n int, name, need func(int) string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testplugins.Dir(t), "cross", src))
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(b, []byte(old+"\x00"))
	if at < 0 {
		t.Fatalf("%s does not name %s", src, old)
	}
	dir := t.TempDir()
	for i := range n {
		c := slices.Clone(b)
		repl := need(i + 1)
		if len(repl) > len(old) {
			t.Fatalf("%s is longer than %s", repl, old)
		}
		copy(c[at:at+len(old)], append([]byte(repl), make([]byte, len(old)-len(repl))...))
		if err := os.WriteFile(filepath.Join(dir, name(i)), c, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, name(0))
}

// levels returns how deep the chain of libraries named with prefix goes,
// and whether the deepest was walked further.
func levels(libs []*Lib, prefix string) (n int, walked bool) {
	for {
		i := slices.IndexFunc(libs, func(l *Lib) bool { return strings.Contains(l.Name, prefix) })
		if i < 0 {
			return n, false
		}
		n++
		if libs[i].Status != Found {
			return n, true
		}
		if libs[i].Deps == nil {
			return n, false
		}
		libs = libs[i].Deps
	}
}

// A dependency's own dependencies are walked, to maxDepth levels and no
// further: DLLs, and Mach-O dylibs through @loader_path.
func TestWalkDepth(t *testing.T) {
	for _, tt := range []struct {
		src, old, prefix string
		name, need       func(int) string
	}{
		{"cross_needs.dll", "crossdep.dll", "c00",
			func(i int) string { return fmt.Sprintf("c%07d.dll", i) },
			func(i int) string { return fmt.Sprintf("c%07d.dll", i) }},
		{"cross_rpath.dylib", "@rpath/libcrossdep.dylib", "/m",
			func(i int) string { return fmt.Sprintf("m%03d.dylib", i) },
			func(i int) string { return fmt.Sprintf("@loader_path/m%03d.dylib", i) }},
	} {
		root := chain(t, tt.src, tt.old, maxDepth+5, tt.name, tt.need)
		f, err := inspect.Open(root)
		if err != nil {
			t.Fatal(err)
		}
		n, walked := levels(New(Options{}).Resolve(root, f), tt.prefix)
		if n != maxDepth || walked {
			t.Errorf("%s: a chain of %d walked %d levels deep (further: %v), want %d", tt.src, maxDepth+5, n, walked, maxDepth)
		}
	}
}

// A relative path is made absolute: what needs each library is named in
// full.
func TestResolveRelativePath(t *testing.T) {
	t.Chdir(testplugins.Dir(t))
	f, err := inspect.Open("librpath.so")
	if err != nil {
		t.Fatal(err)
	}
	libs := New(Options{}).Resolve("librpath.so", f)
	if len(libs) == 0 || libs[0].NeededBy != filepath.Join(testplugins.Dir(t), "librpath.so") {
		t.Errorf("needed by %q", libs[0].NeededBy)
	}
}
