package cli

import (
	"fmt"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/plugctl/plugctl/internal/sanitize"
	"github.com/plugctl/plugctl/internal/scaffold"
	"github.com/spf13/cobra"
)

const newLong = `Write a new plugin project in DIR (default: NAME) that builds and passes
plugctl verify --strict as generated, with no network:

  c      NAME.c (init_plugin and the manifest), plugctl.h (the SDK's header),
         a Makefile: make writes libNAME.so (.dylib on macOS) in DIR
  rust   src/lib.rs (export_plugin!: init_plugin and the manifest),
         Cargo.toml (a cdylib), plugctl-plugin/ (the SDK crate's sources, a
         path dependency until it is published): cargo build --release
         writes target/release/libNAME.so

Both get a README that says how to build and check the plugin, a
.gitignore, and .github/workflows/plugctl.yml, which builds the plugin and
runs plugctl verify --strict on every push.

NAME names the library, the manifest and (Rust) the crate: an identifier
(letters, digits and _, not starting with a digit), at most 63 bytes. DIR
may exist if it holds none of the files; plugctl new never overwrites one.

Exit status: 0 when the project was written, 1 when it could not be (a file
is in the way), 2 for a usage error (no --lang, a name that is not an
identifier).`

const newExample = `  plugctl new --lang c hello && make -C hello && plugctl verify --strict hello/libhello.so
  plugctl new --lang rust my_plugin plugins/my_plugin`

func newNewCmd(s *Streams) *cobra.Command {
	var lang string
	cmd := &cobra.Command{
		Use:     "new --lang c|rust NAME [DIR]",
		Short:   "Write a new plugin project that builds and passes verify --strict",
		Long:    newLong,
		Example: newExample,
		Args:    cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if len(args) == 2 {
				dir = args[1]
			}
			return runNew(s, scaffold.Lang(lang), args[0], dir)
		},
		// NAME is new: nothing to complete; DIR is a directory.
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 1 {
				return nil, cobra.ShellCompDirectiveFilterDirs
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
	}
	langs := make([]string, len(scaffold.Langs))
	for i, l := range scaffold.Langs {
		langs[i] = string(l)
	}
	cmd.Flags().StringVar(&lang, "lang", "", "the project's language: "+strings.Join(langs, " or ")+" (required)")
	_ = cmd.RegisterFlagCompletionFunc("lang", cobra.FixedCompletions(langs, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runNew(s *Streams, lang scaffold.Lang, name, dir string) error {
	switch {
	case lang == "":
		return usagef("--lang is required: c or rust")
	case !slices.Contains(scaffold.Langs, lang):
		return usagef("invalid --lang %q: want c or rust", sanitize.String(string(lang)))
	}
	if err := scaffold.CheckName(lang, name); err != nil {
		return usagef("invalid NAME: %s", sanitize.String(err.Error()))
	}
	p := scaffold.Project{Lang: lang, Name: name, Ref: releaseRef(plugctlVersion())}
	files, err := scaffold.Files(p)
	if err != nil {
		return err
	}
	if err := scaffold.Write(dir, files); err != nil {
		return &hintedError{fmt.Errorf("%s", sanitize.String(err.Error())), "name another DIR, or remove the files in the way"}
	}
	fmt.Fprintf(s.Out, "wrote a %s plugin project in %s:\n", map[scaffold.Lang]string{scaffold.C: "C", scaffold.Rust: "Rust"}[lang], sanitize.String(dir))
	for _, f := range files {
		fmt.Fprintf(s.Out, "  %s\n", sanitize.String(filepath.Join(dir, filepath.FromSlash(f.Path))))
	}
	lib := filepath.Join(dir, filepath.FromSlash(p.Library(runtime.GOOS)))
	build := map[scaffold.Lang]string{scaffold.C: "make -C " + dir, scaffold.Rust: "cargo build --release --manifest-path " + filepath.Join(dir, "Cargo.toml")}[lang]
	fmt.Fprintf(s.Out, "next: %s && plugctl verify --strict %s\n", sanitize.String(build), sanitize.String(lib))
	return nil
}

// releaseVersion matches a release's version: what go install can fetch.
var releaseVersion = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^v\d+\.\d+\.\d+$`) })

// releaseRef is the version a generated workflow installs: this plugctl's
// when it is a release, else the latest.
func releaseRef(v string) string {
	if releaseVersion().MatchString(v) {
		return v
	}
	return "latest"
}
