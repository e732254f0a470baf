package preflight

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/plugctl/plugctl/internal/deps"
	"github.com/plugctl/plugctl/internal/inspect"
	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/testplugins"
)

// Each sample gets the status and exactly the findings it should: one sample
// per finding fires it, and the clean samples fire none.
func TestSampleFindings(t *testing.T) {
	tests := []struct {
		file     string
		status   report.FileStatus
		findings []string
	}{
		{"libplain.so", report.Plugin, nil},
		{"libsdk_hello.so", report.Plugin, nil},
		{"libplain_rust.so", report.Plugin, nil},
		{"libsdk_rust.so", report.Plugin, nil},
		{"librpath.so", report.Plugin, nil},
		{"libmangled.so", report.NotPlugin, []string{"mangled-entry-point"}},
		{"libnoentry.so", report.NotPlugin, []string{"no-entry-point"}},
		{"libstd_dylib.so", report.Incompatible, []string{"rust-std-dylib"}},
		{"liblinks_host.so", report.Plugin, []string{"host-code-linked"}},
		{"cross/libcross_aarch64.so", report.Incompatible, []string{"wrong-platform"}},
		{"cross/cross_universal.dylib", report.Incompatible, []string{"wrong-platform"}},
		{"libfuture.so", report.Incompatible, []string{"manifest-api-version"}},
		{"libtable_size.so", report.Incompatible, []string{"manifest-table-size"}},
		{"libmanifest_short.so", report.Invalid, []string{"manifest-invalid"}},
		{"libbad_magic.so", report.Invalid, []string{"manifest-invalid"}},
		{"libneeds_missing.so", report.Incompatible, []string{"missing-dependency"}},
		{"libtransitive.so", report.Incompatible, []string{"missing-dependency"}},
		{"libneeds_version.so", report.Incompatible, []string{"missing-symbol-version"}},
		{"libundefined.so", report.Incompatible, []string{"unresolved-symbol"}},
		{"program", report.Invalid, []string{"not-a-library"}},
		{"no-such-file.so", report.Invalid, []string{"unreadable"}},
	}
	dir := testplugins.Dir(t)
	for _, tt := range tests {
		r := Check(filepath.Join(dir, tt.file), Options{})
		var ids []string
		for _, f := range r.Findings {
			if f.ID != "writable" { // depends on how the checkout was made
				ids = append(ids, string(f.ID))
			}
		}
		if r.Status != tt.status || !slices.Equal(ids, tt.findings) {
			t.Errorf("%s: %s %v, want %s %v (%s)", tt.file, r.Status, ids, tt.status, tt.findings, r.Reason)
		}
		if r.HasErrors() != (tt.status != report.Plugin) {
			t.Errorf("%s: HasErrors = %v", tt.file, r.HasErrors())
		}
	}
}

func TestManifestDecoded(t *testing.T) {
	r := Check(testplugins.Path(t, "libsdk_rust.so"), Options{})
	m := r.Manifest
	if m == nil || m.Manifest == nil || m.Name != "sdk-rust" || m.Version != "0.3.1" || m.APIVersion != 1 || m.Error != "" {
		t.Fatalf("manifest %+v", m)
	}
	if r := Check(testplugins.Path(t, "libplain.so"), Options{}); r.Manifest != nil {
		t.Errorf("libplain.so: manifest %+v", r.Manifest)
	}
}

func TestNewestGlibc(t *testing.T) {
	got := newestGlibc([]inspect.VersionNeed{
		{Library: "libc.so.6", Versions: []string{"GLIBC_2.2.5", "GLIBC_2.34", "GLIBC_2.3.4"}},
		{Library: "libm.so.6", Versions: []string{"GLIBC_2.29"}},
		{Library: "libstdc++.so.6", Versions: []string{"GLIBCXX_3.4.32", "CXXABI_1.3", "GLIBC_2.99x"}},
	})
	if got != "GLIBC_2.34" {
		t.Errorf("newestGlibc = %q", got)
	}
	if newestGlibc(nil) != "" {
		t.Error("no needs: want empty")
	}
}

func TestWritableDirectory(t *testing.T) {
	if os.PathSeparator != '/' {
		t.Skip("Unix permissions")
	}
	dir := filepath.Join(t.TempDir(), "plugins")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil { // past the umask
		t.Fatal(err)
	}
	b, err := os.ReadFile(testplugins.Path(t, "libplain.so"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "libplain.so")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r := Check(p, Options{})
	if len(r.Findings) != 1 || r.Findings[0].ID != "writable" || r.Findings[0].Severity != report.Warning || r.Status != report.Plugin {
		t.Errorf("findings %+v", r.Findings)
	}
}

// A whole report, dependencies resolved: with a fresh resolver (one file on
// the command line) and with one shared across files (list).
func BenchmarkCheck(b *testing.B) {
	path := testplugins.Path(b, "librunpath.so")
	b.Run("fresh", func(b *testing.B) {
		for b.Loop() {
			Check(path, Options{})
		}
	})
	b.Run("shared", func(b *testing.B) {
		res := deps.New(deps.Options{})
		for b.Loop() {
			Check(path, Options{Resolver: res})
		}
	})
	// As plugctl list checks a directory of small plugins.
	plain := testplugins.Path(b, "libplain.so")
	b.Run("list", func(b *testing.B) {
		opts := Options{Resolver: deps.New(deps.Options{}), Dirs: &Dirs{}}
		for b.Loop() {
			Check(plain, opts)
		}
	})
}

// Undefined symbols: on this system's own libraries, the unresolved-symbol
// findings name exactly the symbols `ldd -r` (which relocates everything)
// says are undefined, including the libraries that expect symbols from the
// program that loads them (libthread_db, libunwind-ptrace).
func TestUndefinedMatchesLddR(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("compares with glibc's ldd on linux/amd64")
	}
	libs, _ := filepath.Glob("/lib/x86_64-linux-gnu/lib*.so.*")
	if len(libs) < 10 {
		t.Fatalf("found only %d system libraries", len(libs))
	}
	var sample []string
	for i, l := range libs {
		base := filepath.Base(l)
		if i%15 == 0 || strings.HasPrefix(base, "libthread_db") || strings.HasPrefix(base, "libunwind-ptrace") {
			sample = append(sample, l)
		}
	}
	res := deps.New(deps.Options{})
	undefined := regexp.MustCompile(`(?m)^undefined symbol: (\S+)\s`)
	flagged := 0
	for _, lib := range sample {
		r := Check(lib, Options{Resolver: res})
		if r.Kind != "shared library" || !r.LoadsHere {
			continue
		}
		var got []string
		for _, f := range r.Findings {
			if f.ID == "unresolved-symbol" {
				got = append(got, strings.TrimSuffix(strings.Fields(string(f.Message))[2], ":"))
			}
		}
		out, _ := exec.Command("ldd", "-r", lib).CombinedOutput()
		var want []string
		for _, m := range undefined.FindAllStringSubmatch(string(out), -1) {
			want = append(want, m[1])
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, slices.Compact(want)) {
			t.Errorf("%s: flagged %v, ldd -r says %v", lib, got, want)
		}
		flagged += len(got)
	}
	if flagged == 0 {
		t.Error("no library in the sample has an undefined symbol: the comparison proves nothing")
	}
}

// LoadNames gives each library the plugin brings, direct or not, under the
// name it is needed by; the two plugins that need libplugdep.so from
// different directories disagree on that name only.
func TestLoadNames(t *testing.T) {
	a := Check(testplugins.Path(t, "librpath.so"), Options{}).LoadNames("/x/librpath.so")
	b := Check(testplugins.Path(t, "libuses_b.so"), Options{}).LoadNames("/x/libuses_b.so")
	dir := testplugins.Dir(t)
	if a["libplugdep.so"] != filepath.Join(dir, "deps/a/libplugdep.so") || b["libplugdep.so"] != filepath.Join(dir, "deps/b/libplugdep.so") {
		t.Errorf("libplugdep.so: %q and %q", a["libplugdep.so"], b["libplugdep.so"])
	}
	if a["libc.so.6"] == "" || a["libc.so.6"] != b["libc.so.6"] {
		t.Errorf("libc.so.6: %q and %q", a["libc.so.6"], b["libc.so.6"])
	}
	// A plugin with no soname adds no name of its own.
	for name, path := range a {
		if name == "" || path == "/x/librpath.so" {
			t.Errorf("names %v", a)
		}
	}
}

// What the findings say, which is what a plugin author reads: who needs a
// missing library, and the figures of a plugin that links its host.
func TestFindingWords(t *testing.T) {
	dir := testplugins.Dir(t)
	message := func(file, id string) (string, *Report) {
		t.Helper()
		r := Check(filepath.Join(dir, file), Options{})
		for _, f := range r.Findings {
			if string(f.ID) == id {
				return string(f.Message), r
			}
		}
		t.Fatalf("%s: no %s finding", file, id)
		return "", nil
	}
	// A library two levels down names the library that needs it; one the
	// plugin needs itself does not.
	if m, r := message("libtransitive.so", "missing-dependency"); m != "libplugctl_gone.so is not found, needed by "+filepath.Join(dir, "deps", "mid", "libplugmid.so") || string(r.Reason) != m {
		t.Errorf("transitive: %q (reason %q)", m, r.Reason)
	}
	if m, _ := message("libneeds_missing.so", "missing-dependency"); m != "libplugctl_gone.so is not found" {
		t.Errorf("direct: %q", m)
	}
	if m, _ := message("libneeds_version.so", "missing-symbol-version"); !strings.HasPrefix(m, "it needs symbol version VERDEP_2 from libverdep.so, which ") {
		t.Errorf("missing version: %q", m)
	}
	// The figures: the exports besides init_plugin, the Rust-mangled ones
	// among them, and the one crate they come from.
	m, r := message("liblinks_host.so", "host-code-linked")
	abi, mangled := 0, 0
	for _, x := range r.Exports {
		if x.Role != "" {
			abi++
		}
		if inspect.IsRustMangled(string(x.Name)) {
			mangled++
		}
	}
	want := fmt.Sprintf("exports %d symbols besides its entry points, %d of them Rust-mangled, from crate host_app: it probably links the host's code statically",
		len(r.Exports)-abi, mangled)
	if abi != 1 || mangled < 100 || m != want {
		t.Errorf("links host (%d ABI exports, %d mangled):\n got %q\nwant %q", abi, mangled, m, want)
	}
}

// The first finding of the worst severity gives the report its reason; a
// later one of the same rank does not replace it.
func TestReasonIsTheFirstWorst(t *testing.T) {
	r := &Report{Status: report.Plugin}
	r.add(report.Warning, "w", "a warning", "")
	r.add(report.Error, "e1", "first error", "", report.Incompatible)
	r.add(report.Error, "e2", "second error", "", report.Incompatible)
	if r.Status != report.Incompatible || r.Reason != "first error" {
		t.Errorf("status %s, reason %q", r.Status, r.Reason)
	}
	r.add(report.Error, "e3", "worse", "", report.Invalid)
	if r.Status != report.Invalid || r.Reason != "worse" {
		t.Errorf("status %s, reason %q; want invalid, worse", r.Status, r.Reason)
	}
}

// Who can replace the code plugctl loads: a file or directory writable by
// its group or by others is named, with who; a sticky directory (like
// /tmp) lets others add files but not replace this one; a link is
// followed to the directory of the file it names.
func TestWritableByWhom(t *testing.T) {
	if os.PathSeparator != '/' {
		t.Skip("Unix permissions")
	}
	b, err := os.ReadFile(testplugins.Path(t, "libplain.so"))
	if err != nil {
		t.Fatal(err)
	}
	setup := func(t *testing.T, dirMode, fileMode os.FileMode) (dir, file string) {
		dir = filepath.Join(t.TempDir(), "d")
		file = filepath.Join(dir, "libp.so")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(file, fileMode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, dirMode); err != nil {
			t.Fatal(err)
		}
		return dir, file
	}
	writable := func(r *Report) []string {
		var msgs []string
		for _, f := range r.Findings {
			if f.ID == "writable" {
				msgs = append(msgs, string(f.Message))
			}
		}
		return msgs
	}
	for _, tt := range []struct {
		name              string
		dirMode, fileMode os.FileMode
		want              []string // message prefixes, file then directory
	}{
		{"private", 0o755, 0o644, nil},
		{"group-writable file", 0o755, 0o664, []string{"the plugin file %s is writable by its group (-rw-rw-r--)"}},
		{"world-writable file", 0o755, 0o646, []string{"the plugin file %s is writable by other users (-rw-r--rw-)"}},
		{"group-writable directory", 0o775, 0o644, []string{"the plugin's directory %d is writable by its group (drwxrwxr-x)"}},
		{"sticky world-writable directory", 0o777 | os.ModeSticky, 0o644, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir, file := setup(t, tt.dirMode, tt.fileMode)
			got := writable(Check(file, Options{}))
			if len(got) != len(tt.want) {
				t.Fatalf("findings %q, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				w = strings.NewReplacer("%s", file, "%d", dir).Replace(w)
				if !strings.HasPrefix(got[i], w+": anyone who can write it can replace the code plugctl loads") {
					t.Errorf("finding %q, want %q", got[i], w)
				}
			}
		})
	}
	// A link in a private directory to a file in a group-writable one.
	target, file := setup(t, 0o775, 0o644)
	link := filepath.Join(t.TempDir(), "libp.so")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	got := writable(Check(link, Options{}))
	if len(got) != 1 || !strings.HasPrefix(got[0], "the directory of the file it links to, "+target+" is writable by its group") {
		t.Errorf("through a link: %q", got)
	}
	// A directory that is a link to the group-writable one: both are
	// named, for each file of a run that shares Dirs.
	dirLink := filepath.Join(t.TempDir(), "linked")
	if err := os.Symlink(target, dirLink); err != nil {
		t.Fatal(err)
	}
	dirs := &Dirs{}
	for range 2 {
		got = writable(Check(filepath.Join(dirLink, "libp.so"), Options{Dirs: dirs}))
		if len(got) != 2 || !strings.HasPrefix(got[0], "the plugin's directory "+dirLink+" is writable by its group") ||
			!strings.HasPrefix(got[1], "the directory of the file it links to, "+target+" is writable by its group") {
			t.Errorf("through a linked directory: %q", got)
		}
	}
}

// A finding's message quotes names read from the file: it is sanitized
// where it is made, so that JSON carries it escaped too, and so does the
// reason it gives the report.
func TestFindingsAreSanitizedWhereMade(t *testing.T) {
	r := &Report{Status: report.Plugin}
	r.add(report.Error, report.MissingDependency, "lib\x1b[2Jx.so is not found", "install lib\x1b]0;t\x07.so", report.Incompatible)
	f := r.Findings[0]
	if f.Message != `lib\x1b[2Jx.so is not found` || f.Hint != `install lib\x1b]0;t\x07.so` || r.Reason != f.Message {
		t.Errorf("finding %+v, reason %q", f, r.Reason)
	}
}
