package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/plugctl/plugctl/internal/abi"
	"github.com/plugctl/plugctl/internal/english"
	"github.com/plugctl/plugctl/internal/preflight"
	"github.com/plugctl/plugctl/internal/sandbox"
	"github.com/plugctl/plugctl/internal/sanitize"
	"github.com/spf13/cobra"
)

const abiLong = `A plugin ABI description is a C header that declares a host's interface
(the entry point's prototype, the callback table, descriptor structs) and a
TOML file that says what C cannot: the entry symbol and what the host passes
it, how host and plugin agree on a version (a callback, a descriptor, a
handshake or the symbol's name), the compatibility rule, and what each host
callback does. plugctl's own ABI, version 1, is the built-in one; see
docs/abi-description.md to describe yours.`

const abiShowLong = `Show a description as plugctl reads it: the entry point, the version
exchange and rule, and the callback table with each member's offset for a
target (default: this system; --target OS/ARCH for another, like
windows/386). Without --abi, the built-in plugctl ABI, version 1.

Exit status: 0 shown, 1 the description is invalid (its errors are at
file:line:column), 2 a usage error.`

const abiCheckLong = `Check descriptions: FILE is a description's TOML file; a DIR is every
*.toml in it. Each is read, its header parsed in pure Go and laid out for
every target plugctl knows (linux, windows and darwin on amd64 and arm64,
linux and windows on 386), or for --target's; callbacks are checked against
what this system's worker can make. Each fault is reported at
file:line:column.

Exit status: 0 every description is valid, 1 one is not (or cannot be read,
or none was found), 2 a usage error.`

type abiOptions struct {
	file   string
	target string
	format string
}

func newABICmd(s *Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "abi",
		Short: "Show and check plugin ABI descriptions",
		Long:  abiLong,
		Args:  cobra.NoArgs,
	}
	show := &abiOptions{}
	showCmd := &cobra.Command{
		Use:     "show",
		Short:   "Show a description: entry point, version exchange, callback table",
		Long:    abiShowLong,
		Example: "  plugctl abi show\n  plugctl abi show --abi myhost.toml --target windows/386 --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runABIShow(s, show)
		},
	}
	showCmd.Flags().StringVar(&show.file, "abi", "", "the description's TOML file (default: the built-in plugctl ABI, version 1)")
	_ = showCmd.RegisterFlagCompletionFunc("abi", tomlFiles)
	show.flags(showCmd, "lay it out for OS/ARCH (default: this system)")

	check := &abiOptions{}
	checkCmd := &cobra.Command{
		Use:     "check FILE|DIR...",
		Short:   "Check descriptions, with errors at file:line:column",
		Long:    abiCheckLong,
		Example: "  plugctl abi check abi/myhost.toml\n  plugctl abi check --target linux/amd64 abi/",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runABICheck(s, check, args)
		},
		ValidArgsFunction: tomlFiles,
	}
	check.flags(checkCmd, "check the layout for OS/ARCH only (default: every target)")
	diff := &abiOptions{}
	diffCmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "What breaks plugins between two host versions' descriptions",
		Long:  abiDiffLong,
		Example: "  plugctl abi diff abi/v1/myhost.toml abi/v2/myhost.toml\n" +
			"  plugctl abi diff --target windows/386 old.toml new.toml",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runABIDiff(s, diff, args[0], args[1])
		},
		ValidArgsFunction: tomlFiles,
	}
	diff.flags(diffCmd, "compare the layouts for OS/ARCH only (default: every target)")
	cmd.AddCommand(showCmd, checkCmd, diffCmd)
	return cmd
}

const abiDiffLong = `Compare two descriptions, OLD and NEW, of two versions of a host: what a
plugin built against OLD meets in a host of NEW, and whether a plugin built
against NEW can tell a host of OLD. Each change is "breaks" or "compatible":
a callback removed, moved, retyped or inserted, a descriptor field moved,
another entry point, version exchange or a stricter rule break plugins;
appending callbacks is compatible only when the table carries its size or
version, or plugins ask the host's version. Layouts are compared for every
target (or --target's); a change on some targets only names them.

Exit status: 0 nothing breaks plugins, 1 something does (or a description
is invalid), 2 a usage error.`

// abiChangeDoc is one change in abi diff --format json.
type abiChangeDoc struct {
	Change  string   `json:"change"`
	Breaks  bool     `json:"breaks"`
	Targets []string `json:"targets"`
}

// flags adds --target (with its help) and --format to an abi command.
func (o *abiOptions) flags(cmd *cobra.Command, targetHelp string) {
	cmd.Flags().StringVar(&o.target, "target", "", targetHelp)
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text or json")
	_ = cmd.RegisterFlagCompletionFunc("target", targetCompletion)
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
}

// targets checks --format and returns the targets --target names: every
// target without it.
func (o *abiOptions) targets() ([]abi.Target, error) {
	if o.format != "text" && o.format != "json" {
		return nil, usagef("invalid --format %q: want text or json", sanitize.String(o.format))
	}
	if o.target == "" {
		return abi.Targets, nil
	}
	t, err := parseTarget(o.target)
	if err != nil {
		return nil, err
	}
	return []abi.Target{t}, nil
}

func runABIDiff(s *Streams, opts *abiOptions, oldFile, newFile string) error {
	targets, err := opts.targets()
	if err != nil {
		return err
	}
	old, err := loadABI(oldFile)
	if err != nil {
		return abiError(oldFile, err)
	}
	new, err := loadABI(newFile)
	if err != nil {
		return abiError(newFile, err)
	}
	// The same change on several targets is one change that names them.
	var changes []abiChangeDoc
	index := map[abi.Change]int{}
	for _, t := range targets {
		cs, err := abi.Diff(old, new, t)
		if err != nil {
			return abiError(t.String(), err)
		}
		for _, c := range cs {
			i, ok := index[c]
			if !ok {
				i = len(changes)
				index[c] = i
				changes = append(changes, abiChangeDoc{Change: c.What, Breaks: c.Breaks})
			}
			changes[i].Targets = append(changes[i].Targets, t.String())
		}
	}
	breaking := 0
	for _, c := range changes {
		if c.Breaks {
			breaking++
		}
	}
	if opts.format == "json" {
		if err := writeJSON(s, struct {
			Old     string         `json:"old"`
			New     string         `json:"new"`
			Changes []abiChangeDoc `json:"changes"`
		}{oldFile, newFile, append([]abiChangeDoc{}, changes...)}); err != nil {
			return err
		}
	} else {
		p := newReportPainter(s.outColor)
		for _, c := range changes {
			mark := p.ok("compatible")
			if c.Breaks {
				mark = p.bad("breaks    ")
			}
			where := ""
			if len(c.Targets) < len(targets) {
				where = p.dim(" (" + strings.Join(c.Targets, ", ") + ")")
			}
			fmt.Fprintf(s.Out, "%s  %s%s\n", mark, sanitize.String(c.Change), where)
		}
		fmt.Fprintf(s.Out, "%s -> %s: %s, %d breaking\n", sanitize.String(oldFile), sanitize.String(newFile), english.Count(len(changes), "change"), breaking)
	}
	if breaking > 0 {
		return errReported
	}
	return nil
}

// abiFlags are --abi and --host-version, for the commands that check
// plugins against a described ABI. matrix: --host-version takes several.
type abiFlags struct {
	file, host string
	matrix     bool
}

func (a *abiFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&a.file, "abi", "", "check against the plugin ABI this description's TOML file describes (docs/abi-description.md), not plugctl's own")
	usage := "with --abi: the host version to check against (default: the description's newest)"
	if a.matrix {
		usage = "with --abi: the host versions to run each plugin against, as V[,V...] or all (default: the description's newest)"
	}
	cmd.Flags().StringVar(&a.host, "host-version", "", usage)
	_ = cmd.RegisterFlagCompletionFunc("abi", tomlFiles)
}

// load reads --abi's description and the one host version asked for; nil
// without --abi.
func (a *abiFlags) load() (*abi.Description, abi.Version, error) {
	d, vs, err := a.loadAll()
	if err != nil || d == nil {
		return nil, abi.Version{}, err
	}
	return d, vs[0], nil
}

// loadAll reads --abi's description and the host versions asked for, in
// the description's order; nil without --abi.
func (a *abiFlags) loadAll() (*abi.Description, []abi.Version, error) {
	if a.file == "" {
		if a.host != "" {
			return nil, nil, usagef("--host-version needs --abi")
		}
		return nil, nil, nil
	}
	d, err := abi.Load(a.file, runtimeTarget())
	if err != nil {
		return nil, nil, abiError(a.file, err)
	}
	if a.host == "" {
		return d, []abi.Version{d.Newest()}, nil
	}
	if a.matrix && a.host == "all" {
		return d, d.Versions, nil
	}
	asked := strings.Split(a.host, ",")
	if len(asked) > 1 && !a.matrix {
		return nil, nil, usagef("invalid --host-version %q: one version here (plugctl verify runs several)", sanitize.String(a.host))
	}
	var vs []abi.Version
	for _, s := range asked {
		v, err := abi.ParseVersion(strings.TrimSpace(s))
		if err != nil || !d.HasVersion(v) {
			var defined []string
			for _, v := range d.Versions {
				defined = append(defined, v.String())
			}
			return nil, nil, usagef("invalid --host-version %q: %s defines %s", sanitize.String(s), sanitize.String(d.Name), strings.Join(defined, ", "))
		}
		if !slices.Contains(vs, v) {
			vs = append(vs, v)
		}
	}
	slices.SortFunc(vs, func(x, y abi.Version) int { return slices.Index(d.Versions, x) - slices.Index(d.Versions, y) })
	return d, vs, nil
}

// forWorkers returns the absolute path of d's TOML file, which workers
// read, and lets a sandboxed worker read it and the header.
func forWorkers(d *abi.Description, o *isolation) (string, error) {
	file, err := filepath.Abs(d.File)
	if err != nil {
		return "", err
	}
	header, err := filepath.Abs(d.HeaderFile)
	if err != nil {
		return "", err
	}
	if mode, _ := sandbox.ParseMode(o.sandbox); mode != sandbox.Off {
		o.sandboxRead = append(o.sandboxRead, file, header)
	}
	return file, nil
}

// abiLine says in a line what a file shows of a described ABI.
func abiLine(p reportPainter, a *preflight.ABIReport) string {
	s := sanitize.String(a.Name) + ", host version " + a.HostVersion
	switch {
	case a.Entry == "":
		return s + ": " + p.bad("no entry point")
	case a.Compatible == nil && (a.Exchange == string(abi.KindCallback) || a.Exchange == string(abi.KindHandshake)):
		return s + ": exports " + a.Entry.String() + "; the version is told at run time"
	case a.Compatible == nil:
		return s + ": exports " + a.Entry.String() + "; its version is not known"
	case *a.Compatible:
		return s + ": built for " + a.Version + ", " + p.ok("compatible")
	}
	return s + ": built for " + a.Version + ", " + p.bad("incompatible")
}

func tomlFiles(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{"toml"}, cobra.ShellCompDirectiveFilterFileExt
}

func targetCompletion(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	var ts []string
	for _, t := range abi.Targets {
		ts = append(ts, t.String())
	}
	return ts, cobra.ShellCompDirectiveNoFileComp
}

// runtimeTarget is the system plugctl runs on, as a description target.
func runtimeTarget() abi.Target { return abi.Target{OS: runtime.GOOS, Arch: runtime.GOARCH} }

// parseTarget reads --target; "" is every target (all) or this system.
func parseTarget(s string) (abi.Target, error) {
	os, arch, ok := strings.Cut(s, "/")
	t := abi.Target{OS: os, Arch: arch}
	if !ok || !slices.Contains(abi.Targets, t) {
		names := make([]string, len(abi.Targets))
		for i, t := range abi.Targets {
			names[i] = t.String()
		}
		return t, usagef("invalid --target %q: want one of %s", sanitize.String(s), strings.Join(names, ", "))
	}
	return t, nil
}

// loadABI reads --abi's description, or the built-in one.
func loadABI(file string) (*abi.Description, error) {
	if file == "" {
		return abi.V1(runtimeTarget())
	}
	return abi.Load(file, runtimeTarget())
}

// abiError is a description's faults as plugctl reports them.
func abiError(file string, err error) error {
	var es abi.Errors
	if errors.As(err, &es) {
		return &hintedError{fmt.Errorf("%s is not a valid ABI description:\n%s", sanitize.String(file), sanitize.String(es.Error())),
			"plugctl abi check " + sanitize.String(file) + " lists every fault; docs/abi-description.md describes the format"}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the path is said once
	}
	return fmt.Errorf("%s: %s", sanitize.String(file), sanitize.String(err.Error()))
}

func runABIShow(s *Streams, opts *abiOptions) error {
	if opts.format != "text" && opts.format != "json" {
		return usagef("invalid --format %q: want text or json", sanitize.String(opts.format))
	}
	t := runtimeTarget()
	if opts.target != "" {
		var err error
		if t, err = parseTarget(opts.target); err != nil {
			return err
		}
	}
	d, err := loadABI(opts.file)
	if err != nil {
		name := opts.file
		if name == "" {
			name = "the built-in description"
		}
		return abiError(name, err)
	}
	l, err := d.Layout(t)
	if err != nil {
		return abiError(d.File, err)
	}
	doc := abiDoc(d, l)
	if opts.format == "json" {
		return writeJSON(s, doc)
	}
	writeABIText(s, doc)
	return nil
}

// abiShowDoc is plugctl abi show --format json's document.
type abiShowDoc struct {
	Name     string         `json:"name"`
	File     string         `json:"file"`
	Header   string         `json:"header"`
	Target   string         `json:"target"`
	Versions []string       `json:"versions"`
	Entry    abiEntryDoc    `json:"entry"`
	Version  abiExchangeDoc `json:"version"`
	Table    *abiTableDoc   `json:"table"`
}

type abiEntryDoc struct {
	Symbol    string   `json:"symbol"`
	Prototype string   `json:"prototype"`
	Field     string   `json:"field,omitempty"`
	Offset    *int64   `json:"offset,omitempty"`
	Args      []string `json:"args"`
	Success   string   `json:"success"`
}

type abiExchangeDoc struct {
	Exchange string        `json:"exchange"`
	Rule     string        `json:"rule"`
	Symbol   string        `json:"symbol,omitempty"`
	Fields   []abiFieldDoc `json:"fields,omitempty"`
	Packed   []int         `json:"packed,omitempty"`
}

type abiFieldDoc struct {
	Role   string `json:"role"` // version, major or minor
	Path   string `json:"path"`
	Offset int64  `json:"offset"`
	Size   int64  `json:"size"`
}

type abiTableDoc struct {
	Type    string         `json:"type"`
	Size    int64          `json:"size"`
	Members []abiMemberDoc `json:"members"`
}

type abiMemberDoc struct {
	Name   string `json:"name"`
	Offset int64  `json:"offset"`
	Size   int64  `json:"size"`
	Type   string `json:"type"`
	Does   string `json:"does,omitempty"`
}

func abiDoc(d *abi.Description, l *abi.Layout) abiShowDoc {
	doc := abiShowDoc{Name: d.Name, File: d.File, Header: d.HeaderFile, Target: l.Target.String(), Versions: []string{}}
	for _, v := range d.Versions {
		doc.Versions = append(doc.Versions, v.String())
	}
	doc.Entry = abiEntryDoc{Symbol: d.Entry.Symbol, Prototype: l.Entry, Field: d.Entry.Field, Success: string(l.Success), Args: []string{}}
	if d.Entry.Field != "" {
		doc.Entry.Offset = &l.EntryOffset
	}
	for _, a := range d.Entry.Args {
		doc.Entry.Args = append(doc.Entry.Args, string(a))
	}
	x := d.Exchange
	doc.Version = abiExchangeDoc{Exchange: string(x.Kind), Rule: string(x.Rule), Symbol: x.Symbol, Packed: x.Packed}
	for _, f := range []struct {
		role string
		f    abi.Field
	}{{"version", l.VersionField}, {"major", l.MajorField}, {"minor", l.MinorField}} {
		if f.f.Path != "" {
			doc.Version.Fields = append(doc.Version.Fields, abiFieldDoc{f.role, f.f.Path, f.f.Offset, f.f.Size})
		}
	}
	if d.Table != nil {
		t := &abiTableDoc{Type: d.Table.Type, Size: l.TableSize, Members: []abiMemberDoc{}}
		for _, m := range l.Members {
			t.Members = append(t.Members, abiMemberDoc{m.Name, m.Offset, m.Size, m.Type, string(m.Does)})
		}
		doc.Table = t
	}
	return doc
}

// exchangeWords says how a description's host and plugins agree on a
// version.
var exchangeWords = map[string]string{
	"callback":    "the plugin asks the host (a callback returns the host's version) and decides",
	"descriptor":  "the plugin exports its version in a data object, which the host reads first",
	"handshake":   "the host calls a function of the plugin's that returns its version, then decides",
	"symbol-name": "the version is in the entry symbol's name: the host looks up its own",
}

var ruleWords = map[string]string{
	"exact":    "the same version",
	"minor":    "the same major version, the plugin's minor no newer than the host's",
	"major":    "the same major version, any minor",
	"at-most":  "the plugin's version no newer than the host's",
	"at-least": "the plugin's version no older than the host's",
}

func writeABIText(s *Streams, d abiShowDoc) {
	p := newReportPainter(s.outColor)
	w := s.Out
	fmt.Fprintf(w, "%s  %s\n", p.head(sanitize.String(d.Name)+" ABI"), p.dim("("+sanitize.String(d.File)+", header "+sanitize.String(d.Header)+")"))
	fmt.Fprintf(w, "versions: %s; laid out for %s\n", strings.Join(d.Versions, ", "), d.Target)
	fmt.Fprintf(w, "entry:    %s\n", sanitize.String(d.Entry.Prototype))
	if d.Entry.Field != "" {
		fmt.Fprintf(w, "          the member %s of %s, at offset %d\n", sanitize.String(d.Entry.Field), sanitize.String(d.Entry.Symbol), *d.Entry.Offset)
	} else if d.Entry.Symbol != "" {
		fmt.Fprintf(w, "          exported as %s\n", sanitize.String(d.Entry.Symbol))
	}
	if len(d.Entry.Args) > 0 {
		fmt.Fprintf(w, "          called with: %s\n", strings.Join(d.Entry.Args, ", "))
	}
	fmt.Fprintf(w, "          started when it returns: %s\n", d.Entry.Success)
	fmt.Fprintf(w, "version:  %s\n", exchangeWords[d.Version.Exchange])
	if d.Version.Symbol != "" {
		fmt.Fprintf(w, "          from %s\n", sanitize.String(d.Version.Symbol))
	}
	for _, f := range d.Version.Fields {
		fmt.Fprintf(w, "          %s: %s, %d bytes at offset %d\n", f.Role, sanitize.String(f.Path), f.Size, f.Offset)
	}
	if len(d.Version.Packed) == 2 {
		fmt.Fprintf(w, "          packed: major << %d | minor << %d\n", d.Version.Packed[0], d.Version.Packed[1])
	}
	fmt.Fprintf(w, "          compatible: %s\n", ruleWords[d.Version.Rule])
	if d.Table == nil {
		fmt.Fprintln(w, "table:    none")
		return
	}
	fmt.Fprintf(w, "table:    %s, %d bytes\n", sanitize.String(d.Table.Type), d.Table.Size)
	for _, m := range d.Table.Members {
		does := ""
		if m.Does != "" {
			does = "  " + p.dim("does "+m.Does)
		}
		fmt.Fprintf(w, "  %4d  %s%s\n", m.Offset, sanitize.String(m.Type), does)
	}
}

// abiCheckDoc is one description's result in abi check --format json.
type abiCheckDoc struct {
	File   string        `json:"file"`
	Name   string        `json:"name,omitempty"`
	Valid  bool          `json:"valid"`
	Errors []abiErrorDoc `json:"errors"`
}

type abiErrorDoc struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

func runABICheck(s *Streams, opts *abiOptions, args []string) error {
	targets, err := opts.targets()
	if err != nil {
		return err
	}
	var files []string
	var docs []abiCheckDoc
	for _, a := range args {
		st, err := os.Stat(a)
		if err == nil && st.IsDir() {
			found, _ := filepath.Glob(filepath.Join(a, "*.toml"))
			if len(found) == 0 {
				docs = append(docs, abiCheckDoc{File: a, Errors: []abiErrorDoc{{File: a, Message: "no description (*.toml) in this directory"}}})
			}
			files = append(files, found...)
			continue
		}
		files = append(files, a)
	}
	for _, f := range files {
		docs = append(docs, checkOne(f, targets))
	}
	bad := 0
	for _, d := range docs {
		if !d.Valid {
			bad++
		}
	}
	if opts.format == "json" {
		if err := writeJSON(s, struct {
			Descriptions []abiCheckDoc `json:"descriptions"`
		}{docs}); err != nil {
			return err
		}
	} else {
		p := newReportPainter(s.outColor)
		for _, d := range docs {
			if d.Valid {
				fmt.Fprintf(s.Out, "%s  %s (%s)\n", p.ok("ok     "), sanitize.String(d.File), sanitize.String(d.Name))
				continue
			}
			fmt.Fprintf(s.Out, "%s  %s\n", p.bad("invalid"), sanitize.String(d.File))
			for _, e := range d.Errors {
				fmt.Fprintf(s.Out, "    %s\n", sanitize.String(e.String()))
			}
		}
	}
	if bad > 0 {
		s.errorf("%d of %d descriptions invalid", bad, len(docs))
		return errReported
	}
	return nil
}

func (e abiErrorDoc) String() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Message)
	}
	return e.File + ": " + e.Message
}

// checkOne reads the description at file and lays it out for targets.
func checkOne(file string, targets []abi.Target) abiCheckDoc {
	doc := abiCheckDoc{File: file, Errors: []abiErrorDoc{}}
	add := func(err error) {
		var es abi.Errors
		if errors.As(err, &es) {
			for _, e := range es {
				doc.Errors = append(doc.Errors, abiErrorDoc{e.File, e.Line, e.Col, e.Msg})
			}
			return
		}
		msg := err.Error()
		if errors.Is(err, fs.ErrNotExist) {
			msg = "no such file"
		}
		doc.Errors = append(doc.Errors, abiErrorDoc{File: file, Message: strings.TrimPrefix(msg, file+": ")})
	}
	d, err := abi.Load(file, runtimeTarget())
	if err != nil {
		add(err)
		return doc
	}
	doc.Name = d.Name
	seen := map[string]bool{}
	for _, t := range targets {
		if _, err := d.Layout(t); err != nil {
			// The same fault on every target is said once.
			if !seen[err.Error()] {
				seen[err.Error()] = true
				add(err)
			}
		}
	}
	doc.Valid = len(doc.Errors) == 0
	return doc
}
