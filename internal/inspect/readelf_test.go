package inspect

import (
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/plugctl/plugctl/internal/testplugins"
)

// What inspect reads of an ELF file's linkage, checked against binutils
// (readelf, nm) on the sample plugins: the needed libraries, soname, search
// paths, unversioned undefined symbols and symbol versions needed and
// defined. binutils comes with gcc, which builds the samples.
func TestLinkageMatchesReadelf(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the sample plugins are built for linux/amd64 here")
	}
	for _, tool := range []string{"readelf", "nm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: it comes with binutils, which gcc needs", tool)
		}
	}
	files := []string{"libplain.so", "libsdk_rust.so", "libundefined.so", "librpath.so", "librunpath.so",
		"libtransitive.so", "librpath_soname.so", "libinherit_runpath.so", "libneeds_version.so",
		"deps/ver1/libverdep.so", "deps/a/libplugdep.so", "program"}
	var seen linkage // all that readelf found, so the test cannot pass empty
	for _, name := range files {
		path := testplugins.Path(t, name)
		f, err := Open(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := readelf(t, path)
		seen.needed = append(seen.needed, want.needed...)
		seen.rpath = append(seen.rpath, want.rpath...)
		seen.runpath = append(seen.runpath, want.runpath...)
		seen.undefined = append(seen.undefined, want.undefined...)
		seen.versionNeeds = append(seen.versionNeeds, want.versionNeeds...)
		seen.versionDefs = append(seen.versionDefs, want.versionDefs...)
		seen.soname += want.soname
		var needed []string
		for _, d := range f.Needed {
			needed = append(needed, d.Name)
		}
		check := func(what string, got, want []string) {
			t.Helper()
			if !slices.Equal(got, want) {
				t.Errorf("%s: %s = %q, readelf says %q", name, what, got, want)
			}
		}
		check("Needed", needed, want.needed)
		check("SOName", []string{f.SOName}, []string{want.soname})
		check("RPath", f.RPath, want.rpath)
		check("RunPath", f.RunPath, want.runpath)
		check("Undefined", sorted(f.Undefined), want.undefined)
		var needs []string
		for _, vn := range f.VersionNeeds {
			for _, v := range vn.Versions {
				needs = append(needs, vn.Library+" "+v)
			}
		}
		check("VersionNeeds", needs, want.versionNeeds)
		check("VersionDefs", f.VersionDefs, want.versionDefs)
	}
	if len(seen.needed) < 10 || len(seen.rpath) < 2 || len(seen.runpath) < 2 || len(seen.undefined) < 2 ||
		len(seen.versionNeeds) < 5 || len(seen.versionDefs) < 1 || seen.soname == "" {
		t.Errorf("readelf found too little to compare: %+v", seen)
	}
}

type linkage struct {
	needed, rpath, runpath, undefined, versionNeeds, versionDefs []string
	soname                                                       string
}

var (
	dynLine     = regexp.MustCompile(`\((NEEDED|SONAME|RPATH|RUNPATH)\)\s+[^\[]*\[(.*)\]$`)
	verFile     = regexp.MustCompile(`^\s*0x?[0-9a-f]+: Version: \d+\s+File: (\S+)`)
	verNeedName = regexp.MustCompile(`^\s*0x[0-9a-f]+:\s+Name: (\S+)\s+Flags`)
	verDef      = regexp.MustCompile(`^\s*0x?[0-9a-f]+: Rev: \d+\s+Flags: (\S+)\s+Index: \d+\s+Cnt: \d+\s+Name: (\S+)`)
)

func readelf(t *testing.T, path string) linkage {
	t.Helper()
	run := func(name string, args ...string) []string {
		out, err := exec.Command(name, append(args, path)...).Output()
		if err != nil {
			t.Fatalf("%s %s: %v", name, path, err)
		}
		return strings.Split(string(out), "\n")
	}
	var l linkage
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, ":")
	}
	for _, line := range run("readelf", "-d", "--wide") {
		m := dynLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		switch m[1] {
		case "NEEDED":
			l.needed = append(l.needed, m[2])
		case "SONAME":
			l.soname = m[2]
		case "RPATH":
			l.rpath = split(m[2])
		case "RUNPATH":
			l.runpath = split(m[2])
		}
	}
	file := ""
	for _, line := range run("readelf", "-V", "--wide") {
		if m := verFile.FindStringSubmatch(line); m != nil {
			file = m[1]
		} else if m := verNeedName.FindStringSubmatch(line); m != nil {
			l.versionNeeds = append(l.versionNeeds, file+" "+m[1])
		} else if m := verDef.FindStringSubmatch(line); m != nil && m[1] != "BASE" {
			l.versionDefs = append(l.versionDefs, m[2])
		}
	}
	// nm -D: "U name" is undefined and unversioned; "U name@V" is versioned,
	// "w name" weak.
	for _, line := range run("nm", "-D", "--undefined-only") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "U" && !strings.Contains(f[1], "@") {
			l.undefined = append(l.undefined, f[1])
		}
	}
	slices.Sort(l.undefined)
	return l
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
