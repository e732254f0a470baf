package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The committed reference is what gendocs writes from the code: a flag
// added, removed or reworded without make docs fails here.
func TestReferenceUpToDate(t *testing.T) {
	tmp := t.TempDir()
	if err := write(tmp); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"reference", "man"} {
		want := files(t, filepath.Join(tmp, dir))
		have := files(t, filepath.Join("..", "..", "docs", dir))
		if len(want) == 0 {
			t.Fatalf("gendocs wrote nothing in %s", dir)
		}
		for name, b := range want {
			if got, ok := have[name]; !ok {
				t.Errorf("docs/%s/%s is missing: run make docs", dir, name)
			} else if !bytes.Equal(got, b) {
				t.Errorf("docs/%s/%s is out of date: run make docs", dir, name)
			}
		}
		for name := range have {
			if _, ok := want[name]; !ok {
				t.Errorf("docs/%s/%s documents no command: run make docs", dir, name)
			}
		}
	}
}

// Every command has its pages, the root's names every other.
func TestReferenceCoversCommands(t *testing.T) {
	tmp := t.TempDir()
	if err := write(tmp); err != nil {
		t.Fatal(err)
	}
	md := files(t, filepath.Join(tmp, "reference"))
	for _, name := range []string{"plugctl.md", "plugctl_load.md", "plugctl_inspect.md", "plugctl_list.md", "plugctl_verify.md", "plugctl_new.md", "plugctl_completion.md"} {
		if _, ok := md[name]; !ok {
			t.Errorf("no %s", name)
		}
	}
	if !bytes.Contains(md["plugctl_verify.md"], []byte("--report stringArray")) {
		t.Error("plugctl_verify.md does not list --report")
	}
	man := files(t, filepath.Join(tmp, "man"))
	if !bytes.Contains(man["plugctl-verify.1"], []byte(`.TH "PLUGCTL" "1" "Dec 2026"`)) {
		t.Errorf("plugctl-verify.1's header: %.80q", man["plugctl-verify.1"])
	}
}

func files(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = b
	}
	return m
}
