package inspect

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/plugctl/plugctl/internal/testplugins"
)

// tool returns the first of names on PATH, or fails the test: the fixture
// toolchains (mingw-w64, llvm) that make plugins needs provide them.
func tool(t *testing.T, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	t.Fatalf("none of %v found: make tools says which packages provide them", names)
	return ""
}

func output(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return string(out)
}

// DLLs: the imported DLLs and the exported names, checked against
// mingw-w64's objdump.
func TestPELinkageMatchesObjdump(t *testing.T) {
	objdump := tool(t, "x86_64-w64-mingw32-objdump")
	exportName := regexp.MustCompile(`^\s*\[\s*\d+\] (\S+)$`)
	for _, name := range []string{"cross.dll", "cross_needs.dll", "crossdep.dll"} {
		path := filepath.Join(testplugins.Dir(t), "cross", name)
		f, err := Open(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var wantNeeded, wantExports []string
		inNames := false
		for _, line := range strings.Split(output(t, objdump, "-p", path), "\n") {
			if n, ok := strings.CutPrefix(strings.TrimSpace(line), "DLL Name: "); ok {
				wantNeeded = append(wantNeeded, n)
			}
			switch {
			case strings.HasPrefix(line, "[Ordinal/Name Pointer] Table"):
				inNames = true
			case inNames && exportName.MatchString(line):
				wantExports = append(wantExports, exportName.FindStringSubmatch(line)[1])
			case inNames:
				inNames = false
			}
		}
		var needed, exports []string
		for _, d := range f.Needed {
			needed = append(needed, d.Name)
		}
		for _, x := range f.Exports {
			exports = append(exports, x.Name)
		}
		slices.Sort(wantExports)
		if !slices.Equal(needed, wantNeeded) || !slices.Equal(exports, wantExports) || len(wantNeeded) == 0 || len(wantExports) == 0 {
			t.Errorf("%s: needs %q, exports %q; objdump says %q, %q", name, needed, exports, wantNeeded, wantExports)
		}
	}
}

// Mach-O: the dylibs used, the LC_RPATHs and the exports, checked against
// llvm-objdump, for one architecture and for the universal file.
func TestMachOLinkageMatchesObjdump(t *testing.T) {
	objdump := tool(t, "llvm-objdump", "llvm-objdump-19", "llvm-objdump-18", "llvm-objdump-17", "llvm-objdump-16", "llvm-objdump-15", "llvm-objdump-14")
	dylib := regexp.MustCompile(`^\t(\S+) \(`)
	export := regexp.MustCompile(`^0x[0-9A-F]+\s+_(\S+)$`)
	for _, name := range []string{"cross_rpath.dylib", "cross_arm64.dylib"} {
		path := filepath.Join(testplugins.Dir(t), "cross", name)
		f, err := Open(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var wantNeeded, wantRPath, wantExports []string
		// --dylibs-used lists the file's own LC_ID_DYLIB too, which
		// --dylib-id prints alone.
		id := strings.TrimSpace(strings.Split(output(t, objdump, "--macho", "--dylib-id", path), "\n")[1])
		for _, line := range strings.Split(output(t, objdump, "--macho", "--dylibs-used", path), "\n")[1:] {
			if m := dylib.FindStringSubmatch(line); m != nil && m[1] != id {
				wantNeeded = append(wantNeeded, m[1])
			}
		}
		if id != f.SOName {
			t.Errorf("%s: SOName %q, llvm-objdump says %q", name, f.SOName, id)
		}
		for _, line := range strings.Split(output(t, objdump, "--macho", "--rpaths", path), "\n")[1:] {
			if line != "" {
				wantRPath = append(wantRPath, line)
			}
		}
		for _, line := range strings.Split(output(t, objdump, "--macho", "--exports-trie", path), "\n") {
			if m := export.FindStringSubmatch(line); m != nil {
				wantExports = append(wantExports, m[1])
			}
		}
		slices.Sort(wantExports)
		var needed, exports []string
		for _, d := range f.Needed {
			needed = append(needed, d.Name)
		}
		for _, x := range f.Exports {
			exports = append(exports, x.Name)
		}
		if !slices.Equal(needed, wantNeeded) || !slices.Equal(f.RPath, wantRPath) || !slices.Equal(exports, wantExports) || len(wantExports) == 0 {
			t.Errorf("%s: needs %q, rpath %q, exports %q; llvm-objdump says %q, %q, %q", name, needed, f.RPath, exports, wantNeeded, wantRPath, wantExports)
		}
	}
}
