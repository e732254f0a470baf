package scaffold

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/plugctl/plugctl/sdk"
)

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"hello", "my_plugin", "_x", "A1", strings.Repeat("a", 63)} {
		if err := CheckName(Rust, ok); err != nil {
			t.Errorf("CheckName(%q): %v", ok, err)
		}
	}
	for name, want := range map[string]string{
		"":                      "empty",
		"1st":                   "not an identifier",
		"my-plugin":             "not an identifier",
		"a b":                   "not an identifier",
		"héllo":                 "not an identifier",
		"../x":                  "not an identifier",
		"_":                     "alone",
		strings.Repeat("a", 64): "at most 63",
		"fn":                    "reserved in Rust",
		"std":                   "reserved in Rust",
		"plugctl_plugin":        "reserved in Rust",
	} {
		if err := CheckName(Rust, name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckName(rust, %q) = %v, want an error saying %q", name, err, want)
		}
	}
	// C has no crate: Rust's keywords are fine names.
	if err := CheckName(C, "fn"); err != nil {
		t.Errorf("CheckName(c, fn): %v", err)
	}
}

func paths(fs []File) []string {
	var p []string
	for _, f := range fs {
		p = append(p, f.Path)
	}
	return p
}

func TestFiles(t *testing.T) {
	for lang, want := range map[Lang][]string{
		C:    {".github/workflows/plugctl.yml", ".gitignore", "Makefile", "README.md", "hello.c", "plugctl.h"},
		Rust: {".github/workflows/plugctl.yml", ".gitignore", "Cargo.toml", "README.md", "plugctl-plugin/Cargo.toml", "plugctl-plugin/src/lib.rs", "src/lib.rs"},
	} {
		files, err := Files(Project{Lang: lang, Name: "hello", Ref: "v1.2.3"})
		if err != nil {
			t.Fatal(err)
		}
		if got := paths(files); !slices.Equal(got, want) {
			t.Errorf("%s: files %q, want %q", lang, got, want)
		}
		for _, f := range files {
			if bytes.Contains(f.Content, []byte("[[")) && !strings.HasSuffix(f.Path, ".rs") {
				t.Errorf("%s: %s holds a template action: %s", lang, f.Path, f.Content)
			}
			if strings.HasSuffix(f.Path, "plugctl.yml") && !bytes.Contains(f.Content, []byte("cmd/plugctl@v1.2.3")) {
				t.Errorf("%s: the workflow does not install plugctl v1.2.3:\n%s", lang, f.Content)
			}
			if strings.HasSuffix(f.Path, "README.md") && !bytes.Contains(f.Content, []byte(Project{Lang: lang, Name: "hello"}.Library("linux"))) {
				t.Errorf("%s: the README does not say where the library is:\n%s", lang, f.Content)
			}
		}
	}
	// The SDK is plugctl's own, byte for byte.
	files, _ := Files(Project{Lang: C, Name: "hello", Ref: "latest"})
	want, _ := sdk.Files.ReadFile("c/plugctl.h")
	if i := slices.IndexFunc(files, func(f File) bool { return f.Path == "plugctl.h" }); !bytes.Equal(files[i].Content, want) {
		t.Error("plugctl.h is not the SDK's header")
	}
	if _, err := Files(Project{Lang: "go", Name: "hello"}); err == nil || !strings.Contains(err.Error(), "want c or rust") {
		t.Errorf("Files(go): %v", err)
	}
	if _, err := Files(Project{Lang: C, Name: "my-plugin"}); err == nil {
		t.Error("Files accepts a name that is not an identifier")
	}
}

func TestLibrary(t *testing.T) {
	for _, tc := range []struct {
		lang       Lang
		goos, want string
	}{
		{C, "linux", "libhello.so"}, {C, "darwin", "libhello.dylib"}, {C, "windows", "libhello.dll"},
		{Rust, "linux", "target/release/libhello.so"}, {Rust, "darwin", "target/release/libhello.dylib"},
		{Rust, "windows", "target/release/hello.dll"},
	} {
		if got := (Project{Lang: tc.lang, Name: "hello"}).Library(tc.goos); got != tc.want {
			t.Errorf("%s on %s: %q, want %q", tc.lang, tc.goos, got, tc.want)
		}
	}
}

// Write refuses before writing anything when one file is there, and never
// replaces one.
func TestWriteRefuses(t *testing.T) {
	dir := t.TempDir()
	files := []File{{Path: "a/one", Content: []byte("1")}, {Path: "two", Content: []byte("2")}}
	if err := os.WriteFile(filepath.Join(dir, "two"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, files); !errors.Is(err, ErrExists) {
		t.Fatalf("Write over a file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); err == nil {
		t.Error("Write wrote before it refused")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "two")); string(b) != "mine" {
		t.Errorf("the file there is now %q", b)
	}
	if err := Write(filepath.Join(dir, "two"), files); !errors.Is(err, ErrExists) {
		t.Errorf("Write into a file: %v", err)
	}
	fresh := filepath.Join(dir, "new", "project")
	if err := Write(fresh, files); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(fresh, "a", "one")); string(b) != "1" {
		t.Errorf("a/one is %q", b)
	}
}
