package cli

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/fatih/color"
	"github.com/plugctl/plugctl/internal/deps"
	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/plugctl/plugctl/internal/inspect"
	"github.com/plugctl/plugctl/internal/jsonout"
	"github.com/plugctl/plugctl/internal/preflight"
	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/sanitize"
	"github.com/spf13/cobra"
)

type inspectOptions struct {
	paths  []string
	format string
	tree   bool
	abi    abiFlags
}

const inspectLong = `Report what each file is without loading it: no plugin code runs, so any file
from any system can be inspected safely. Sections:

  identity      format, architecture, bitness, OS, kind, whether this host
                can load it, the newest glibc symbol version it requires
  manifest      the static plugin_manifest, decoded and checked
  exports       the exported symbols, functions and data, with the ABI's own
  dependencies  each needed library and where the loader would find it
                (--tree: the whole tree, each library's needs under it)
  findings      problems, each with a severity, an explanation and a hint

With --abi FILE, the file is checked against a described ABI
(docs/abi-description.md) instead of plugctl's own: its entry point, and the
version it shows (a descriptor laid out for the file's own system, or the
entry symbol's name) against --host-version by the description's rule.

Dependencies are resolved as this system's loader would: for ELF, DT_RPATH,
LD_LIBRARY_PATH, DT_RUNPATH, /etc/ld.so.conf and the default directories,
with $ORIGIN, $LIB and $PLATFORM. Libraries of files for other systems that
only the target can resolve are shown as unchecked.

Exit status: 0 if every file was read and has no error finding, 1 otherwise,
2 for a usage error.`

const inspectExample = `  plugctl inspect target/release/libmy_plugin.so
  plugctl inspect --tree build/plugin.so
  plugctl inspect --format json dist/plugin.dll | jq '.files[0].findings'`

func newInspectCmd(s *Streams) *cobra.Command {
	opts := &inspectOptions{}
	cmd := &cobra.Command{
		Use:     "inspect PATH...",
		Short:   "Show what a plugin file is, exports and needs, without loading it",
		Long:    inspectLong,
		Example: inspectExample,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.paths = args
			if err := checkFormat(opts.format); err != nil {
				return err
			}
			return runInspect(s, opts)
		},
		ValidArgsFunction: libraryFiles,
	}
	cmd.Flags().StringVar(&opts.format, "format", "text", "output format: text, json or sarif")
	cmd.Flags().BoolVar(&opts.tree, "tree", false, "show the transitive dependency tree")
	opts.abi.add(cmd)
	_ = cmd.RegisterFlagCompletionFunc("format", formatCompletion)
	return cmd
}

func runInspect(s *Streams, opts *inspectOptions) error {
	d, host, err := opts.abi.load()
	if err != nil {
		return err
	}
	start := time.Now()
	res, dirs := deps.New(deps.Options{}), &preflight.Dirs{}
	defer dirs.Close()
	reports := make([]*preflight.Report, len(opts.paths))
	failed := false
	for i, p := range opts.paths {
		reports[i] = preflight.Check(p, preflight.Options{Resolver: res, Dirs: dirs, Tree: opts.tree, ABI: d, HostVersion: host})
		failed = failed || reports[i].HasErrors()
	}
	var result error
	if failed {
		result = errReported
	}
	s, flush := s.buffered()
	defer flush()
	switch opts.format {
	case "json":
		if err := writeJSON(s, filesDoc[*preflight.Report]{Host: thisHost(), Files: reports}); err != nil {
			return err
		}
	case "sarif":
		if err := writeSARIF(s, start, inspectResults(reports), nil, result); err != nil {
			return err
		}
	default:
		for i, r := range reports {
			if i > 0 {
				fmt.Fprintln(s.Out)
			}
			printReport(s, r, opts.tree)
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return result
}

// filesDoc is the JSON document of inspect and list (docs/cli.md).
type filesDoc[T any] struct {
	Host  hostDoc `json:"host"`
	Files []T     `json:"files"`
}

type hostDoc struct {
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	APIVersion uint32 `json:"api_version"`
}

func thisHost() hostDoc {
	return hostDoc{OS: runtime.GOOS, Arch: inspect.HostArch(), APIVersion: hostapi.Version}
}

func writeJSON(s *Streams, v any) error {
	if err := jsonout.Write(s.Out, v); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

// reportPainter colours a report's parts when stdout is a terminal.
type reportPainter struct {
	head, ok, warn, bad, dim func(string) string
}

func newReportPainter(on bool) reportPainter {
	return reportPainter{
		head: paint(on, color.Bold),
		ok:   paint(on, color.FgGreen),
		warn: paint(on, color.FgYellow),
		bad:  paint(on, color.FgRed, color.Bold),
		dim:  paint(on, color.Faint),
	}
}

func (p reportPainter) status(st report.FileStatus) string {
	switch st {
	case report.Plugin:
		return p.ok(string(st))
	case report.NotPlugin:
		return p.warn("not a plugin")
	}
	return p.bad(string(st))
}

func printReport(s *Streams, r *preflight.Report, tree bool) {
	p := newReportPainter(s.outColor)
	w := s.Out
	fmt.Fprintln(w, p.head(r.Path.String()))
	kv := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(kv, "  %s\t%s\n", k, v) }
	if r.Format != "" {
		desc := fmt.Sprintf("%s %d-bit %s-endian %s, %s, %s", r.Format, r.Bits, r.ByteOrder, r.Kind, sanitize.String(r.Arch), r.OS)
		if len(r.Archs) > 0 {
			desc += " (universal: " + sanitize.String(strings.Join(r.Archs, ", ")) + ")"
		}
		row("file", desc)
	}
	st := p.status(r.Status)
	if r.Reason != "" {
		st += ": " + string(r.Reason)
	}
	row("status", st)
	if r.Format != "" {
		if r.LoadsHere {
			row("loads here", "yes")
		} else {
			row("loads here", p.bad("no"))
		}
	}
	if r.Rust {
		row("built by", "rustc")
	}
	if r.SOName != "" {
		row("soname", r.SOName.String())
	}
	if r.Glibc != "" {
		row("glibc", sanitize.String(r.Glibc)+" or newer")
	}
	if len(r.RPath) > 0 {
		name := "rpath"
		if r.Format == string(inspect.MachO) {
			name = "LC_RPATH"
		}
		row(name, sanitize.Join(r.RPath, ":"))
	}
	if len(r.RunPath) > 0 {
		row("runpath", sanitize.Join(r.RunPath, ":"))
	}
	if a := r.ABI; a != nil {
		row("abi", abiLine(p, a))
	}
	kv.Flush()
	if r.Format == "" {
		printFindings(w, p, r.Findings)
		return
	}
	if r.Damaged() {
		fmt.Fprintln(w, p.head("tables"))
		fmt.Fprintln(w, "  "+p.bad("unreadable")+": its manifest, exports and dependencies are not known (see the findings)")
		printFindings(w, p, r.Findings)
		return
	}

	switch m := r.Manifest; {
	case m == nil && r.ABI != nil:
		// plugctl's own manifest: nothing to say of another ABI's plugin.
	case m == nil:
		fmt.Fprintln(w, p.head("manifest"))
		fmt.Fprintln(w, "  none: the file exports no plugin_manifest; its API version is known only once init_plugin runs")
	default:
		fmt.Fprintln(w, p.head("manifest"))
		kv = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		if m.Manifest != nil {
			row("name", m.Name)
			row("version", m.Version)
			row("api", fmt.Sprintf("%d (manifest layout %d, HostFunctions %d bytes)", m.APIVersion, m.Layout, m.TableSize))
		}
		if m.Error != "" {
			row("refused", p.bad(string(m.Error)))
		} else {
			row("accepted", p.ok("yes")+fmt.Sprintf(" (this host speaks API %d)", hostapi.Version))
		}
		kv.Flush()
	}

	fmt.Fprintf(w, "%s (%d)\n", p.head("exports"), len(r.Exports))
	printExports(w, r.Exports)

	fmt.Fprintf(w, "%s (%d)\n", p.head("dependencies"), len(r.Needed))
	kv = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	printNeeded(kv, p, r.Needed, 1, tree)
	kv.Flush()

	printFindings(w, p, r.Findings)
}

// maxNameColumn is the widest the exports' name column grows: a longer
// name (a Rust or C++ symbol runs to hundreds of columns) is written whole,
// its kind after it, and does not widen every other row. JSON has every
// name as it is.
const maxNameColumn = 60

// printExports writes the export table: name, kind and note in columns.
func printExports(w io.Writer, exports []preflight.Export) {
	names := make([]string, len(exports))
	nameWidth, kindWidth := 0, 0
	for i, x := range exports {
		names[i] = x.Name.String()
		if n := utf8.RuneCountInString(names[i]); n <= maxNameColumn {
			nameWidth = max(nameWidth, n)
		}
		kindWidth = max(kindWidth, len(x.Kind))
	}
	var line []byte
	for i, x := range exports {
		note := x.Role
		if x.Forward != "" {
			note = "forwarded to " + x.Forward.String()
		}
		if x.Weak {
			note = strings.TrimPrefix(note+", weak", ", ")
		}
		line = append(line[:0], "  "...)
		line = append(line, names[i]...)
		line = appendPad(line, nameWidth-utf8.RuneCountInString(names[i])+2)
		line = append(line, x.Kind...)
		// Padded even before an empty note, as text/tabwriter pads.
		line = appendPad(line, kindWidth-len(x.Kind)+2)
		line = append(line, note...)
		line = append(line, '\n')
		w.Write(line)
	}
}

// appendPad appends n spaces to b, and at least two.
func appendPad(b []byte, n int) []byte {
	for range max(n, 2) {
		b = append(b, ' ')
	}
	return b
}

func printNeeded(w io.Writer, p reportPainter, libs []*preflight.Needed, depth int, tree bool) {
	indent := strings.Repeat("  ", depth)
	for _, n := range libs {
		var where string
		switch {
		case n.Path != nil:
			where = n.Path.String() + p.dim(" ("+n.Via+")")
		case n.Status == string(deps.Missing):
			where = p.bad("not found")
		case n.Status == string(deps.System):
			where = p.dim("system library")
		default:
			where = p.dim("unchecked: resolved on the target system")
		}
		if n.Optional {
			where += p.dim(" [optional]")
		}
		if len(n.MissingVersions) > 0 {
			where += p.bad(" lacks " + sanitize.Join(n.MissingVersions, ", "))
		}
		if n.Repeat {
			where += p.dim(" [listed above]")
		}
		fmt.Fprintf(w, "%s%s\t%s\n", indent, n.Name.String(), where)
		if tree {
			printNeeded(w, p, n.Needs, depth+1, tree)
		}
	}
}

func printFindings(w io.Writer, p reportPainter, fs []report.Finding) {
	fmt.Fprintln(w, p.head("findings"))
	if len(fs) == 0 {
		fmt.Fprintln(w, "  none")
		return
	}
	for _, f := range fs {
		sev := p.warn(string(f.Severity))
		if f.Severity == report.Error {
			sev = p.bad(string(f.Severity))
		}
		fmt.Fprintf(w, "  %s %s: %s\n", sev, f.ID, f.Message)
		if f.Hint != "" {
			fmt.Fprintf(w, "    hint: %s\n", f.Hint)
		}
	}
}

func checkFormat(f string) error {
	if f != "text" && f != "json" && f != "sarif" {
		return usagef("invalid --format %q: want text, json or sarif", f)
	}
	return nil
}

var formatCompletion = cobra.FixedCompletions([]string{"text", "json", "sarif"}, cobra.ShellCompDirectiveNoFileComp)

func libraryFiles(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{"so", "dylib", "dll"}, cobra.ShellCompDirectiveFilterFileExt
}
