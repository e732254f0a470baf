// Package testplugins finds the sample plugins that `make plugins` builds, for
// tests. It fails the test, rather than skipping it, when they are missing:
// a test that silently skips can never fail.
package testplugins

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Main runs a package's tests (m.Run) when the sample plugins are built,
// and otherwise fails the package at once with one line saying what to run,
// rather than every test that needs them with the same line. A package
// whose tests need the samples calls it from TestMain.
func Main(m *testing.M) {
	if err := Found(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// Dir returns the absolute path of the built sample plugins:
// $PLUGCTL_PLUGINS, or build/plugins at the top of the repository.
func Dir(t testing.TB) string {
	t.Helper()
	if err := Found(); err != nil {
		t.Fatal(err)
	}
	return dir()
}

func dir() string {
	dir := os.Getenv("PLUGCTL_PLUGINS")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", "build", "plugins")
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return dir
}

// Found says what to run when the samples are not built, or returns nil.
func Found() error {
	dir := dir()
	if _, err := os.Stat(filepath.Join(dir, "libplain"+Ext)); err != nil {
		return fmt.Errorf("sample plugins not found in %s: run `make plugins` (or `make test`) first", dir)
	}
	return nil
}

// Ext is the file name extension of the sample plugins built for this
// system: on Windows they are DLLs (libplain.dll, as mingw names them).
var Ext = map[bool]string{true: ".dll", false: ".so"}[runtime.GOOS == "windows"]

// Path returns the absolute path of the sample plugin file name.
func Path(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(Dir(t), name)
}

// BuildC compiles the C source code into the shared library out, with
// $CC (gcc by default, as `make plugins` uses) and args after the source.
// It fails the test when there is no compiler: building the samples needs
// one too.
func BuildC(t testing.TB, out, code string, args ...string) {
	t.Helper()
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "gcc"
	}
	src := filepath.Join(t.TempDir(), "src.c")
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cc, append([]string{"-shared", "-fPIC", "-o", out, src}, args...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", cmd, err, b)
	}
}
