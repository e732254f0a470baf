package sandbox

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": Off, "off": Off, "false": Off, "true": Strict, "strict": Strict, "on": Strict, "best-effort": BestEffort} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"maybe", "Strict", "best_effort"} {
		if _, err := ParseMode(bad); err == nil {
			t.Errorf("ParseMode(%q) accepted", bad)
		}
	}
}

// A policy crosses to the worker as one argument and comes back whole;
// the confined worker's marker is told apart, and so is any other word.
func TestPolicyArg(t *testing.T) {
	p := Policy{Read: []string{"/usr/lib", "/a dir/with spaces,=and;more"}, Write: []string{"/tmp/x"}, Layers: []Layer{Landlock, Seccomp}}
	got, ok, done, err := FromArg(p.Arg())
	if err != nil || !ok || done || !slices.Equal(got.Read, p.Read) || !slices.Equal(got.Write, p.Write) || !slices.Equal(got.Layers, p.Layers) {
		t.Fatalf("FromArg(Arg()) = %+v, %v, %v, %v", got, ok, done, err)
	}
	if !got.Has(Seccomp) || got.Has(Namespaces) {
		t.Errorf("Has: %+v", got.Layers)
	}
	if _, ok, done, err := FromArg(confined); !ok || !done || err != nil {
		t.Errorf("the confined marker: %v %v %v", ok, done, err)
	}
	if _, ok, _, _ := FromArg("/dev/fd/3"); ok {
		t.Error("an argument that is no policy is taken for one")
	}
	if _, ok, _, err := FromArg(argPrefix + "!!"); !ok || err == nil {
		t.Errorf("a damaged policy: ok %v, err %v", ok, err)
	}
}

// The test harness's Unavailable adds to what the kernel lacks.
func TestProbeKernelUnavailable(t *testing.T) {
	defer func(u []Layer) { Unavailable = u }(Unavailable)
	Unavailable = []Layer{Seccomp}
	if !slices.ContainsFunc(ProbeKernel(), func(m Missing) bool { return m.Layer == Seccomp && m.Why != "" && m.Fix != "" }) {
		t.Error("seccomp made unavailable is not missing")
	}
}

// Reads takes a directory for all below it, and a name for itself only.
func TestReads(t *testing.T) {
	p := Policy{Read: []string{"/usr/lib", "/opt/app/plugins", "/etc/ld.so.cache", "/srv/"}}
	for path, want := range map[string]bool{
		"/usr/lib": true, "/usr/lib/x86_64-linux-gnu": true, "/usr/lib64": false, "/usr": false,
		"/opt/app/plugins/deps/a": true, "/opt/app/plugins2": false,
		"/etc/ld.so.cache": true, "/etc/ld.so.cache.d": false,
		"/srv/x": true, "/srv": false,
	} {
		if got := p.Reads(path); got != want {
			t.Errorf("Reads(%q) = %v, want %v", path, got, want)
		}
	}
	if (Policy{}).Reads("/") {
		t.Error("an empty policy reads /")
	}
}

// Dirs gives a file's directory and, behind a symbolic link, the target's.
func TestDirs(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	link := filepath.Join(dir, "link")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(real, "lib.so"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if got := Dirs(filepath.Join(real, "lib.so")); !slices.Equal(got, []string{real}) {
		t.Errorf("Dirs(real) = %q", got)
	}
	if got := Dirs(filepath.Join(link, "lib.so")); !slices.Equal(got, []string{link, real}) {
		t.Errorf("Dirs(through the link) = %q, want %q", got, []string{link, real})
	}
}
