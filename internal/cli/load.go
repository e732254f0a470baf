package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/fatih/color"
	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/plugctl/plugctl/internal/launch"
	"github.com/spf13/cobra"
)

type loadOptions struct {
	paths  []string
	wait   time.Duration
	format string
}

const loadLong = `Load each plugin into this process, check its manifest if it has one, call
its init_plugin with plugctl's callback table, and print what it logs as it
arrives, prefixed with the plugin's name. One result line follows per plugin:
"loaded ..." on stdout, or an error and a hint on stderr.

The plugin's code runs inside plugctl: a plugin that crashes ends plugctl too,
with the Go runtime's crash report naming the signal, and exit status 2.
Log lines are shown with control characters and escape sequences made
visible; misuse of the callbacks (NULL message, invalid UTF-8, over-long
message, unknown ctx) is reported as a warning against the plugin.

Exit status: 0 if every plugin loaded and init_plugin returned true, 1 if any
did not, 2 for a usage error or a plugin that crashed plugctl.`

const loadExample = `  plugctl load ./target/release/libmy_plugin.so
  plugctl load --wait 2s build/plugins/*.so     # keep listening for thread logs
  plugctl load --format json plugin.so | jq .`

func newLoadCmd(s *Streams) *cobra.Command {
	opts := &loadOptions{}
	cmd := &cobra.Command{
		Use:     "load PATH...",
		Short:   "Load plugins, start them and show what they log",
		Long:    loadLong,
		Example: loadExample,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.paths = args
			if err := checkFormat(opts.format); err != nil {
				return err
			}
			if opts.wait < 0 {
				return fmt.Errorf("invalid --wait %v: must not be negative", opts.wait)
			}
			return runLoad(cmd.Context(), s, opts)
		},
		ValidArgsFunction: libraryFiles,
	}
	cmd.Flags().DurationVar(&opts.wait, "wait", 0, "after starting the plugins, keep running this long so logs from their threads still arrive (Ctrl-C ends it early)")
	cmd.Flags().StringVar(&opts.format, "format", "text", "output format: text or json")
	_ = cmd.RegisterFlagCompletionFunc("format", formatCompletion)
	return cmd
}

func runLoad(ctx context.Context, s *Streams, opts *loadOptions) error {
	var sink hostapi.Sink = discard{}
	if opts.format == "text" {
		sink = newTextSink(s)
	}
	host := hostapi.NewHost(hostapi.Version, sink)

	results := make([]loadResult, 0, len(opts.paths))
	failed, started := 0, 0
	for _, path := range opts.paths {
		p, err := launch.Start(host, path)
		results = append(results, loadResult{path: path, plugin: p, err: err})
		if err != nil {
			failed++
		} else {
			started++
		}
		if opts.format == "text" {
			printResult(s, results[len(results)-1])
		}
	}
	if opts.wait > 0 && started > 0 {
		if ctx == nil {
			ctx = context.Background()
		}
		ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
		select {
		case <-time.After(opts.wait):
		case <-ctx.Done():
		}
		stop()
	}
	if opts.format == "json" {
		if err := writeLoadJSON(s, results); err != nil {
			s.errorf("writing output: %v", err)
			return &exitError{ExitFailed}
		}
	}
	if failed > 0 {
		return &exitError{ExitFailed}
	}
	return nil
}

type loadResult struct {
	path   string
	plugin *launch.Plugin // nil when init_plugin never ran
	err    error
}

func printResult(s *Streams, r loadResult) {
	if r.err != nil {
		var le *launch.Error
		if errors.As(r.err, &le) {
			s.errorf("%s", le.Error())
			if le.Hint != "" {
				s.hintf("%s", le.Hint)
			}
		} else {
			s.errorf("%s: %v", r.path, r.err)
		}
		return
	}
	p := r.plugin
	what := p.Name()
	details := []string{"no manifest"}
	if m := p.Manifest; m != nil {
		if m.Version != "" {
			what += " " + m.Version
		}
		details = []string{fmt.Sprintf("manifest: API %d", m.APIVersion)}
	}
	details = append(details, plural(p.Lines(), "log line"))
	if n := p.WarningCount(); n > 0 {
		details = append(details, plural(n, "warning"))
	}
	ok := paint(s.outColor, color.FgGreen, color.Bold)("loaded")
	fmt.Fprintf(s.Out, "%s %s from %s (%s)\n", ok, what, r.path, strings.Join(details, ", "))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// textSink prints log lines to stdout and warnings to stderr as they arrive.
// hostapi serialises the calls.
type textSink struct {
	s    *Streams
	name func(string) string
}

func newTextSink(s *Streams) *textSink {
	return &textSink{s: s, name: paint(s.outColor, color.FgCyan)}
}

func (t *textSink) Log(p *hostapi.Plugin, msg string) {
	name := "?"
	if p != nil {
		name = p.Name()
	}
	fmt.Fprintf(t.s.Out, "%s %s\n", t.name("["+name+"]"), msg)
}

func (t *textSink) Warn(p *hostapi.Plugin, w hostapi.Warning) {
	if p == nil {
		t.s.warnf("a plugin: %s", w)
		return
	}
	t.s.warnf("%s: %s", p.Source(), w)
}

type discard struct{}

func (discard) Log(*hostapi.Plugin, string)           {}
func (discard) Warn(*hostapi.Plugin, hostapi.Warning) {}

// The JSON document of plugctl load --format json; docs/cli.md describes it.
type loadReport struct {
	HostAPIVersion uint32       `json:"host_api_version"`
	Plugins        []loadPlugin `json:"plugins"`
}

type loadPlugin struct {
	Path     string            `json:"path"`
	Name     string            `json:"name"`
	Status   string            `json:"status"` // "loaded" or "failed"
	Error    *loadError        `json:"error"`
	Manifest *hostapi.Manifest `json:"manifest"`
	LogLines int               `json:"log_lines"`
	Logs     []string          `json:"logs"`
	Warnings []jsonWarning     `json:"warnings"`
}

type loadError struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

type jsonWarning struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

func writeLoadJSON(s *Streams, results []loadResult) error {
	rep := loadReport{HostAPIVersion: hostapi.Version, Plugins: []loadPlugin{}}
	for _, r := range results {
		jp := loadPlugin{Path: r.path, Name: launch.Name(r.path), Status: "loaded", Logs: []string{}, Warnings: []jsonWarning{}}
		if p := r.plugin; p != nil {
			jp.Name, jp.Manifest, jp.LogLines = p.Name(), p.Manifest, p.Lines()
			jp.Logs = append(jp.Logs, p.Logs()...)
			for _, w := range p.Warnings() {
				jp.Warnings = append(jp.Warnings, jsonWarning{w.Kind.String(), w.Detail})
			}
		}
		if r.err != nil {
			jp.Status = "failed"
			jp.Error = &loadError{Kind: "error", Message: r.err.Error()}
			var le *launch.Error
			if errors.As(r.err, &le) {
				jp.Error = &loadError{Kind: string(le.Kind), Message: le.Detail, Hint: le.Hint}
			}
		}
		rep.Plugins = append(rep.Plugins, jp)
	}
	enc := json.NewEncoder(s.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
