package preflight

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/plugctl/plugctl/internal/advice"
	"github.com/plugctl/plugctl/internal/deps"
	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/plugctl/plugctl/internal/inspect"
	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/sanitize"
	"github.com/plugctl/plugctl/internal/testplugins"
)

// rustSymbol is a legacy-mangled Rust symbol of crate.
func rustSymbol(crate, item string) string {
	return "_ZN" + itoa(len(crate)) + crate + itoa(len(item)) + item + "17h0123456789abcdefE"
}

func itoa(n int) string { return strconv.Itoa(n) }

// A large library's exports are counted in two halves at once, with the
// counts of one pass: crates found in one half only, in both, and the
// plugin's own and std's left out.
func TestCrateCountsInHalves(t *testing.T) {
	var xs []Export
	for i := range 3*8192 + 5 {
		var name string
		switch {
		case i == 1:
			name = rustSymbol("first_half_only", "f")
		case i == 3*8192+4:
			name = rustSymbol("second_half_only", "f")
		case i%3 == 0:
			name = rustSymbol("host_"+itoa(i%5), "f"+itoa(i))
		case i%3 == 1:
			name = rustSymbol([]string{"std", "myplugin", "core"}[i%3], "g")
		default:
			name = "c_function_" + itoa(i)
		}
		xs = append(xs, Export{Name: sanitize.Untrusted(name)})
	}
	counts, mangled := crateCounts(xs, "myplugin")
	want, wantMangled := countCrates(xs, "myplugin")
	if fmt.Sprint(counts) != fmt.Sprint(want) || mangled != wantMangled {
		t.Errorf("in halves %v (%d mangled), in one pass %v (%d)", counts, mangled, want, wantMangled)
	}
	if counts["first_half_only"] != 1 || counts["second_half_only"] != 1 || counts["host_0"] == 0 || counts["myplugin"] != 0 {
		t.Errorf("counts %v", counts)
	}
}

// The host-code finding names the crates that export the most symbols
// first, at most three of them, and counts the rest.
func TestHostCodeCrates(t *testing.T) {
	exports := func(counts map[string]int) []Export {
		var xs []Export
		for c, n := range counts {
			for i := range n {
				xs = append(xs, Export{Name: sanitize.Untrusted(rustSymbol(c, "f"+itoa(i)))})
			}
		}
		return xs
	}
	for _, tt := range []struct {
		counts map[string]int
		want   string
	}{
		{map[string]int{"host_a": 1, "host_b": 3, "host_c": 2}, "exports 6 symbols besides its entry points, 6 of them Rust-mangled, from crates host_b, host_c, host_a:"},
		{map[string]int{"host_a": 1, "host_b": 3, "host_c": 2, "host_d": 1}, "from crates host_b, host_c, host_a and 1 more:"},
		{map[string]int{"host_e": 2, "host_d": 2, "std": 9, "myplugin": 9}, "from crates host_d, host_e:"},
		{map[string]int{"host_a": 1}, "exports 1 symbol besides its entry points, 1 of them Rust-mangled, from crate host_a:"},
	} {
		r := &Report{Exports: exports(tt.counts)}
		if got := r.hostCode("/x/libmyplugin.so"); !strings.Contains(got, tt.want) {
			t.Errorf("%v: %q, want %q", tt.counts, got, tt.want)
		}
	}
	r := &Report{Exports: exports(map[string]int{"std": 3, "myplugin": 2})}
	if got := r.hostCode("/x/libmyplugin.so"); got != "" {
		t.Errorf("only std and its own crate: %q", got)
	}
}

// A plugin that calls libc without naming it among its libraries still
// resolves those symbols: every host has libc loaded. What no library
// defines stays unresolved.
func TestUndefinedFromLibc(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("builds an ELF plugin")
	}
	out := filepath.Join(t.TempDir(), "libp.so")
	code := "int puts(const char *); int host_only(void);\nint f(void) { puts(\"x\"); return host_only(); }\n"
	testplugins.BuildC(t, out, code, "-nostdlib")
	var unresolved []string
	for _, f := range Check(out, Options{}).Findings {
		if f.ID == "unresolved-symbol" {
			unresolved = append(unresolved, string(f.Message))
		}
	}
	if len(unresolved) != 1 || !strings.Contains(unresolved[0], "host_only") {
		t.Errorf("unresolved: %q, want host_only alone", unresolved)
	}
}

func TestAbsPath(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if got := (&Report{Path: "x.so"}).absPath(); got != filepath.Join(wd, "x.so") {
		t.Errorf("absPath = %q", got)
	}
}

// A report gives the file's byte order; a DLL's load names ignore case,
// and its manifest is read though PE records no symbol sizes.
func TestForeignReports(t *testing.T) {
	dir := filepath.Join(testplugins.Dir(t), "cross")
	if r := Check(filepath.Join(dir, "libcross_ppc64.so"), Options{}); r.ByteOrder != "big" {
		t.Errorf("ppc64: byte order %q", r.ByteOrder)
	}
	if r := Check(filepath.Join(dir, "libcross_aarch64.so"), Options{}); r.ByteOrder != "little" {
		t.Errorf("aarch64: byte order %q", r.ByteOrder)
	}
	b, err := os.ReadFile(filepath.Join(dir, "cross.dll"))
	if err != nil {
		t.Fatal(err)
	}
	upper := filepath.Join(t.TempDir(), "CROSS.DLL")
	if err := os.WriteFile(upper, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r := Check(upper, Options{})
	if names := r.LoadNames(upper); names["cross.dll"] != upper {
		t.Errorf("CROSS.DLL: load names %v", names)
	}
	if r.Manifest == nil || r.Manifest.Manifest == nil {
		t.Errorf("cross.dll: manifest %+v", r.Manifest)
	}
	// An ELF soname keeps its case.
	elfNames := (&Report{SOName: "libA.so", file: &inspect.File{Format: inspect.ELF}}).LoadNames("/x/libA.so")
	if elfNames["libA.so"] != "/x/libA.so" || elfNames["liba.so"] != "" {
		t.Errorf("ELF load names %v", elfNames)
	}
}

// Found libraries have a path and the others none; in a tree, a library
// with no dependencies has no list of them.
func TestConvert(t *testing.T) {
	libs := []*deps.Lib{
		{Name: "a", Status: deps.Found, Path: "/a", Deps: []*deps.Lib{{Name: "c", Status: deps.Missing}}},
		{Name: "b", Status: deps.Missing},
		{Name: "d", Status: deps.Found, Path: "/d"},
	}
	out := convert(libs, true)
	if out[0].Path == nil || *out[0].Path != "/a" || out[1].Path != nil || len(out[0].Needs) != 1 || out[0].Needs[0].Path != nil {
		t.Errorf("convert: %+v", out)
	}
	if out[2].Needs != nil {
		t.Errorf("d has no dependencies: Needs %v", out[2].Needs)
	}
	if flat := convert(libs, false); flat[0].Needs != nil {
		t.Errorf("not a tree: Needs %v", flat[0].Needs)
	}
}

// Versions compare number by number; a missing number is 0.
func TestGlibcCompare(t *testing.T) {
	for _, tt := range []struct {
		a, b []int
		sign int
	}{
		{[]int{2, 3}, []int{2, 3, 1}, -1},
		{[]int{2, 3, 1}, []int{2, 3}, 1},
		{[]int{2, 3}, []int{2, 3, 0}, 0},
		{[]int{2, 34}, []int{2, 4}, 1},
	} {
		got := GlibcVersion(tt.a).Compare(tt.b)
		if got < 0 && tt.sign >= 0 || got > 0 && tt.sign <= 0 || got == 0 && tt.sign != 0 {
			t.Errorf("%v.Compare(%v) = %d", tt.a, tt.b, got)
		}
	}
	if got := newestGlibc([]inspect.VersionNeed{{Versions: []string{"GLIBC_2.3", "GLIBC_2.3.0"}}}); got != "GLIBC_2.3" {
		t.Errorf("newestGlibc of equal versions = %q, want the first", got)
	}
}

// A plugin named by a relative path, through a symlink to an absolute path
// in the same directory: the directory is checked once.
func TestWritableDirectoryOnce(t *testing.T) {
	if os.PathSeparator != '/' {
		t.Skip("Unix permissions")
	}
	dir := filepath.Join(t.TempDir(), "plugins")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(testplugins.Path(t, "libplain.so"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "libplain.so"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "libplain.so"), filepath.Join(dir, "link.so")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	r := Check("link.so", Options{})
	if len(r.Findings) != 1 || r.Findings[0].ID != "writable" {
		t.Errorf("findings %+v, want one: the directory", r.Findings)
	}
}

// The hint for a missing init_plugin follows what was found instead.
func TestEntryHint(t *testing.T) {
	for _, tt := range []struct {
		mangled string
		rust    bool
		want    string
	}{
		{"_Z11init_pluginPvPK13HostFunctions", false, `extern "C"`},
		{"_ZN6plugin11init_plugin17h0123456789abcdefE", true, "#[unsafe(no_mangle)] to init_plugin"},
		{"", true, "this is a Rust library"},
		{"", false, "with C linkage"},
	} {
		if got := advice.Entry(tt.mangled, tt.rust, hostapi.EntrySymbol, hostapi.EntryPrototype); !strings.Contains(got, tt.want) {
			t.Errorf("advice.Entry(%q, %v) = %q", tt.mangled, tt.rust, got)
		}
	}
}

func TestInvalidReason(t *testing.T) {
	if got := InvalidReason(inspect.ErrNotObject); got != "not a shared library (no ELF, PE or Mach-O header)" {
		t.Errorf("bare: %q", got)
	}
	wrapped := fmt.Errorf("%w: a directory", inspect.ErrNotObject)
	if got := InvalidReason(wrapped); got != "not a shared library (a directory)" {
		t.Errorf("wrapped: %q", got)
	}
}

// A missing optional library (a weak dylib) is a warning, not an error:
// the plugin loads without it. cross_rpath.dylib's load command for
// @rpath/libcrossgone.dylib becomes a weak one for @loader_path/gone.dylib,
// which does not exist. (A DLL's delay imports are optional too, but off
// Windows a DLL not beside the plugin is unchecked, not missing.)
func TestMissingOptionalLibrary(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testplugins.Dir(t), "cross", "cross_rpath.dylib"))
	if err != nil {
		t.Fatal(err)
	}
	name := bytes.Index(b, []byte("@rpath/libcrossgone.dylib\x00"))
	if name < 0 {
		t.Fatal("fixture: no @rpath/libcrossgone.dylib")
	}
	// The load command starts 24 bytes before its name: cmd, cmdsize,
	// name offset, timestamp, current and compatibility versions.
	cmd := name - 24
	if binary.LittleEndian.Uint32(b[cmd:]) != 0xc || binary.LittleEndian.Uint32(b[cmd+8:]) != 24 {
		t.Fatalf("fixture: no LC_LOAD_DYLIB at %d", cmd)
	}
	binary.LittleEndian.PutUint32(b[cmd:], 0x80000018) // LC_LOAD_WEAK_DYLIB
	copy(b[name:], "@loader_path/gone.dylib\x00\x00\x00")
	path := filepath.Join(t.TempDir(), "weak.dylib")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, f := range Check(path, Options{}).Findings {
		if strings.Contains(string(f.Message), "gone.dylib") {
			found = true
			if f.Severity != report.Warning || !strings.HasPrefix(string(f.Message), "optional library @loader_path/gone.dylib is not found") {
				t.Errorf("finding %+v, want a warning", f)
			}
		}
	}
	if !found {
		t.Error("no finding for gone.dylib")
	}
}

// Versions are read digit by digit, with or without GLIBC_; a part of
// more than six digits, or of anything but digits, is not a version.
func TestParseGlibc(t *testing.T) {
	for in, want := range map[string]GlibcVersion{
		"2.34.0": {2, 34, 0}, "GLIBC_2.31": {2, 31}, "123456.9": {123456, 9}, "3": {3},
	} {
		if got, ok := ParseGlibc(in); !ok || !slices.Equal(got, want) {
			t.Errorf("ParseGlibc(%q) = %v, %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "two", "2.", "2..3", "2.x", "GLIBC_", "1234567", "+2.1", "-2.1", "GLIBCXX_3.4"} {
		if v, ok := ParseGlibc(bad); ok {
			t.Errorf("ParseGlibc(%q) = %v", bad, v)
		}
	}
}
