// Package scaffold writes a new plugin project in C or Rust that builds and
// passes plugctl verify --strict as generated, offline: the SDK (the C
// header, or the Rust crate's sources as a path dependency), a manifest, a
// build file, a README and a GitHub Actions workflow that runs the check.
package scaffold

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"text/template"

	"github.com/plugctl/plugctl/sdk"
)

// Lang is a project's language.
type Lang string

const (
	C    Lang = "c"
	Rust Lang = "rust"
)

// Langs are the languages New writes, in the order help lists them.
var Langs = []Lang{C, Rust}

// A Project is what to write.
type Project struct {
	Lang Lang
	Name string // a valid identifier (CheckName)
	// Ref is the plugctl version the workflow installs with go install:
	// a release tag, or "latest".
	Ref string
}

// A File is one file of a project: a slash-separated path relative to the
// project's directory.
type File struct {
	Path    string
	Content []byte
}

//go:embed all:templates
var templates embed.FS

// maxName is the longest name the manifest holds (PLUGIN_MANIFEST_NAME_LEN
// less its NUL).
const maxName = 63

var identifier = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })

// rustReserved are the names Cargo refuses for a package, or that would
// shadow a crate the project uses: Rust's keywords, the standard crates,
// and the SDK's.
var rustReserved = []string{
	"as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
	"false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
	"pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
	"unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
	"override", "priv", "try", "typeof", "unsized", "virtual", "yield",
	"alloc", "core", "proc_macro", "std", "test", "plugctl_plugin",
}

// CheckName says why name cannot name a project in lang, or nil.
func CheckName(lang Lang, name string) error {
	switch {
	case name == "":
		return errors.New("the name is empty")
	case !identifier().MatchString(name):
		return fmt.Errorf("%q is not an identifier: use letters, digits and _, not starting with a digit (it names the library, the manifest and, in Rust, the crate)", name)
	case name == "_":
		return errors.New(`"_" alone is not a name`)
	case len(name) > maxName:
		return fmt.Errorf("%q is %d bytes: the manifest holds at most %d", name, len(name), maxName)
	case lang == Rust && slices.Contains(rustReserved, name):
		return fmt.Errorf("%q is reserved in Rust (a keyword or a crate the project uses): Cargo would refuse it as the crate's name", name)
	}
	return nil
}

// Files returns p's files, rendered.
func Files(p Project) ([]File, error) {
	if !slices.Contains(Langs, p.Lang) {
		return nil, fmt.Errorf("no language %q: want %s", p.Lang, joinLangs())
	}
	if err := CheckName(p.Lang, p.Name); err != nil {
		return nil, err
	}
	var files []File
	root := "templates/" + string(p.Lang)
	err := fs.WalkDir(templates, root, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templates.ReadFile(name)
		if err != nil {
			return err
		}
		t, err := template.New(name).Delims("[[", "]]").Option("missingkey=error").Parse(string(b))
		if err != nil {
			return err
		}
		var out bytes.Buffer
		if err := t.Execute(&out, p); err != nil {
			return err
		}
		rel := strings.TrimPrefix(name, root+"/")
		// Names a template cannot have in an embedded tree, or that would
		// name a file after the project.
		rel = strings.Replace(rel, "NAME", p.Name, 1)
		if rel == "gitignore" {
			rel = ".gitignore"
		}
		files = append(files, File{Path: rel, Content: out.Bytes()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rendering the %s template: %w", p.Lang, err)
	}
	// The SDK, as plugctl carries it.
	sdkFiles := map[Lang]map[string]string{
		C:    {"c/plugctl.h": "plugctl.h"},
		Rust: {"rust/Cargo.toml": "plugctl-plugin/Cargo.toml", "rust/src/lib.rs": "plugctl-plugin/src/lib.rs"},
	}[p.Lang]
	for from, to := range sdkFiles {
		b, err := sdk.Files.ReadFile(from)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Path: to, Content: b})
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

// Library is where p's build writes the plugin on goos, relative to the
// project's directory (slash-separated).
func (p Project) Library(goos string) string {
	ext, prefix := ".so", "lib"
	switch goos {
	case "darwin":
		ext = ".dylib"
	case "windows":
		ext = ".dll"
		if p.Lang == Rust {
			prefix = ""
		}
	}
	lib := prefix + p.Name + ext
	if p.Lang == Rust {
		return path.Join("target", "release", lib)
	}
	return lib
}

// ErrExists is the error of Write when a file it would write is there.
var ErrExists = errors.New("already exists")

// Write writes files under dir, creating it and the directories below it.
// It refuses, before writing anything, when dir is a file or holds any of
// the files; and it never replaces a file that appears meanwhile.
func Write(dir string, files []File) error {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return fmt.Errorf("%s: %w and is not a directory", dir, ErrExists)
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s: %w; plugctl new never overwrites a file", p, ErrExists)
		}
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s: %w; plugctl new never overwrites a file", p, ErrExists)
			}
			return err
		}
		_, err = out.Write(f.Content)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

func joinLangs() string {
	s := make([]string, len(Langs))
	for i, l := range Langs {
		s[i] = string(l)
	}
	return strings.Join(s, " or ")
}
