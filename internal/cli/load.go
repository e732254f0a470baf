package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"
	"github.com/plugctl/plugctl/internal/english"
	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/plugctl/plugctl/internal/launch"
	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/sanitize"
	"github.com/plugctl/plugctl/internal/verify"
	"github.com/plugctl/plugctl/internal/worker"
	"github.com/spf13/cobra"
)

type loadOptions struct {
	paths     []string
	wait      time.Duration
	format    string
	inProcess bool
	abi       abiFlags
	isolation
}

const loadLong = `Load each plugin, check its manifest if it has one, call its init_plugin
with plugctl's callback table, and print what it logs as it arrives, prefixed
with the plugin's name. One result line follows per plugin: "loaded ..." on
stdout, or an error and a hint on stderr. What the plugin wrote to its own
stdout and stderr follows, prefixed "[name] stdout:" and "[name] stderr:".

Each plugin runs in a worker process of its own (plugctl re-executed), as in
verify: a plugin that crashes, hangs past --timeout or exits gets an error
naming the signal or the status, and the next plugin still runs. Workers get
a clean environment (see plugctl verify --help; --env adds to it) and limits.

A plugin that left threads, processes, signal handlers or timers running
when init_plugin returned is watched for --settle (500ms) before "loaded" is
printed: one that crashes or exits meanwhile fails. What it changed in the
process it shares with its host (working directory, umask, signal handling,
descriptors, environment, locale, limits) is reported as warnings; closing or
replacing a descriptor the host had open is a failure.
--in-process loads every plugin into plugctl itself instead, as a host
application would: a plugin that crashes then ends plugctl (exit status 2).

Log lines are shown with control characters and escape sequences made
visible; misuse of the callbacks (NULL message, invalid UTF-8, over-long
message, unknown ctx) is reported as a warning against the plugin.

Exit status: 0 if every plugin loaded and init_plugin returned true, 1 if any
did not (crashed, hung, exited, refused), 2 for a usage error (or, with
--in-process, a plugin that crashed plugctl), 130 when interrupted.`

const loadExample = `  plugctl load ./target/release/libmy_plugin.so
  plugctl load --wait 2s build/plugins/*.so     # keep listening for thread logs
  plugctl load --env MYAPP_HOME=/opt/myapp plugin.so
  plugctl load --in-process plugin.so           # in plugctl itself, e.g. under gdb
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
				return usagef("invalid --wait %v: must not be negative", opts.wait)
			}
			if opts.inProcess {
				if cmd.Flags().Changed("sandbox") {
					return usagef("--sandbox confines workers; --in-process runs the plugins in plugctl itself")
				}
				return runLoadInProcess(cmd.Context(), s, opts)
			}
			return runLoad(cmd.Context(), s, opts)
		},
		ValidArgsFunction: libraryFiles,
	}
	cmd.Flags().DurationVar(&opts.wait, "wait", 0, "after starting the plugins, keep running this long so logs from their threads still arrive (Ctrl-C ends it early)")
	cmd.Flags().StringVar(&opts.format, "format", "text", "output format: text or json")
	cmd.Flags().BoolVar(&opts.inProcess, "in-process", false, "load the plugins into plugctl itself, not into worker processes")
	opts.isolation.flags(cmd.Flags())
	opts.abi.add(cmd)
	_ = cmd.RegisterFlagCompletionFunc("format", formatCompletion)
	return cmd
}

// loadResult is one plugin's result, from either mode.
type loadResult struct {
	path     string
	name     string
	manifest *hostapi.Manifest
	lines    int
	logs     []sanitize.Line
	warnings []report.Finding
	// state lists the warnings about what the plugin changed in, or left
	// in, its worker: printed with the result, not as they come.
	state   []report.Finding
	threads int
	settle  time.Duration
	err     *loadError // nil when it started
	stdout  *report.Output
	stderr  *report.Output

	plugin   *launch.Plugin // in process: its live record
	startErr error
}

// runLoad starts each plugin in a worker of its own, one after another.
func runLoad(ctx context.Context, s *Streams, opts *loadOptions) error {
	wc, cpu, err := opts.isolation.config()
	if err != nil {
		return err
	}
	d, host, err := opts.abi.load()
	if err != nil {
		return err
	}
	described := func(p worker.Plugin) worker.Plugin { return p }
	if d != nil {
		file, err := forWorkers(d, &opts.isolation)
		if err != nil {
			return err
		}
		described = func(p worker.Plugin) worker.Plugin { return p.Under(d, file, host) }
	}
	sb, err := opts.isolation.setUpSandbox(s, &wc, opts.paths, true)
	if err != nil {
		return err
	}
	defer sb.close()
	sink := &workerSink{s: s, text: opts.format == "text", name: paint(s.outColor, color.FgCyan), plugins: map[uint64]*loadResult{}}
	wc.Handler, wc.Names = sink, true
	ctx, stop := interruptible(ctx, s)
	defer stop()

	var live []*worker.Worker // kept for --wait
	defer func() {
		for _, w := range live {
			w.Close()
		}
	}()
	results := make([]*loadResult, 0, len(opts.paths))
	failed := 0
	for i, path := range opts.paths {
		if ctx.Err() != nil {
			break
		}
		r := &loadResult{path: path, name: launch.Name(path), logs: []sanitize.Line{}, warnings: []report.Finding{}}
		id := uint64(i + 1)
		sink.add(id, r)
		out, after := runOne(ctx, wc, described(worker.Plugin{ID: id, Path: path, HostAPI: hostapi.Version, CPULimit: cpu}), opts.timeout, opts.settle, &live, opts.wait > 0)
		sink.finish(id, out, after, r)
		if out.Verdict == worker.Canceled || (after != nil && after.Verdict == worker.Canceled) {
			break
		}
		results = append(results, r)
		if r.err != nil {
			failed++
		}
		if opts.format == "text" {
			sink.print(r)
		}
	}
	if opts.wait > 0 && len(live) > 0 && ctx.Err() == nil {
		select {
		case <-time.After(opts.wait):
		case <-ctx.Done():
		}
	}
	for _, w := range live {
		w.Close()
	}
	live = nil
	sink.close()
	reportOrphans(s)
	if opts.format == "json" {
		if err := writeLoadJSON(s, results, sb, runABI(d, host)); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return &interruptedError{"interrupted; the workers were killed"}
	}
	if failed > 0 {
		return errReported
	}
	return nil
}

// runOne runs p in a new worker, watches it for its settle period when it
// left something running, and keeps the worker in live when keep is set and
// the plugin started. after is the settle period's outcome, or nil.
func runOne(ctx context.Context, wc worker.Config, p worker.Plugin, timeout, settle time.Duration, live *[]*worker.Worker, keep bool) (out worker.Outcome, after *worker.Outcome) {
	w, err := worker.Start(wc)
	if err != nil {
		return worker.NotStarted(err), nil
	}
	out = w.Run(ctx, p, timeout)
	if out.Settling() {
		a := w.Settle(ctx, settle)
		after = &a
	}
	if keep && w.Alive() && out.Verdict == worker.Passed && (after == nil || after.Verdict == worker.Passed) {
		*live = append(*live, w)
	} else {
		w.Close()
	}
	return out, after
}

// reportOrphans ends what plugins left in workers that died and warns of
// each process it ended.
func reportOrphans(s *Streams) {
	for _, p := range worker.EndOrphans() {
		s.warnf("ended process %d (%s), which a plugin left running in a worker that died", p.PID, sanitize.String(p.Command))
	}
}

// workerSink shows what plugins in workers send, as it comes, and collects
// it for the results.
type workerSink struct {
	s       *Streams
	text    bool
	name    func(string) string
	mu      sync.Mutex
	plugins map[uint64]*loadResult
	closed  bool
}

func (k *workerSink) add(id uint64, r *loadResult) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.plugins[id] = r
}

func (k *workerSink) close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.closed = true
}

// with calls f with the result of request id, under the lock, unless the
// run is over or the id is unknown.
func (k *workerSink) with(id uint64, f func(r *loadResult)) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if r := k.plugins[id]; r != nil && !k.closed {
		f(r)
	}
}

func (k *workerSink) Named(id uint64, name sanitize.Line) {
	k.with(id, func(r *loadResult) {
		if name != "" {
			r.name = string(name)
		}
	})
}

func (k *workerSink) Log(id uint64, text sanitize.Line) {
	k.with(id, func(r *loadResult) {
		r.lines++
		if len(r.logs) < hostapi.MaxKeptLogs {
			r.logs = append(r.logs, text)
		}
		if k.text {
			printLog(k.s.Out, k.name("["+r.name+"]"), text)
		}
	})
}

func (k *workerSink) Warn(id uint64, kind, text sanitize.Line) {
	k.with(id, func(r *loadResult) {
		w := report.NewWarning(report.ID(kind), text)
		r.warnings = append(r.warnings, w)
		if k.text {
			k.s.warnf("%s: %s", sanitize.String(r.path), w.Message)
		}
	})
}

// finish records a worker's outcome in r, with its settle period's (after,
// or nil), judged as verify judges them.
func (k *workerSink) finish(id uint64, out worker.Outcome, after *worker.Outcome, r *loadResult) {
	j := verify.Judge(out, after, outputLimit)
	k.mu.Lock()
	defer k.mu.Unlock()
	if res := out.Result; res != nil {
		r.name, r.manifest = sanitize.String(res.Name), res.Manifest
	}
	switch final := j.Final; {
	case j.Status == report.Pass:
	case final.Result != nil && final.Result.Error != nil && final.Phase != report.PhaseSettle:
		e := final.Result.Error
		r.err = &loadError{Kind: report.Kind(sanitize.String(string(e.Kind))), Message: sanitize.Clean(e.Detail), Hint: sanitize.Clean(e.Hint)}
	default:
		r.err = &loadError{Kind: failureKind(j), Message: j.Reason, Hint: j.Hint}
	}
	r.state = append(r.state, j.Warnings...)
	r.warnings = append(r.warnings, r.state...)
	r.threads, r.settle = j.Threads, j.Settle
	stdout, stderr := report.Capture(j.Stdout.Data, j.Stdout.Total), report.Capture(j.Stderr.Data, j.Stderr.Total)
	if stdout.Bytes > 0 {
		r.stdout = &stdout
	}
	if stderr.Bytes > 0 {
		r.stderr = &stderr
	}
}

// failureKind is error.kind in load's JSON for a plugin that did not pass
// for a reason of the worker's own finding.
func failureKind(j verify.Judgement) report.Kind {
	switch o := j.Final; {
	case j.Change != "": // the host's descriptors closed or replaced
		return report.Kind(j.Change)
	case o.Forged != "":
		return report.KindChannelForged
	case o.Channel != "":
		return report.KindChannelLost
	case o.Verdict == worker.Crashed:
		return report.KindCrash
	case o.Verdict == worker.TimedOut:
		return report.KindTimeout
	case o.Verdict == worker.Canceled:
		return report.KindInterrupted
	case o.Verdict == worker.NotRun:
		return report.KindNotRun
	}
	return report.KindExited
}

// print writes r's result line, then what the plugin printed.
func (k *workerSink) print(r *loadResult) {
	k.mu.Lock()
	defer k.mu.Unlock()
	printResult(k.s, r)
	for _, w := range r.state {
		k.s.warnf("%s: %s", sanitize.String(r.path), w)
	}
	for _, o := range []struct {
		name string
		out  *report.Output
	}{{"stdout", r.stdout}, {"stderr", r.stderr}} {
		if o.out != nil {
			printOutput(k.s, "", k.name("["+r.name+"]")+" "+o.name, *o.out)
		}
	}
}

// runLoadInProcess loads every plugin into this process.
func runLoadInProcess(ctx context.Context, s *Streams, opts *loadOptions) error {
	var sink hostapi.Sink = discard{}
	if opts.format == "text" {
		sink = newTextSink(s)
	}
	d, version, err := opts.abi.load()
	if err != nil {
		return err
	}
	a, err := launch.V1(hostapi.Version)
	if d != nil {
		a, err = launch.Described(d, version)
	}
	if err != nil {
		return fmt.Errorf("making the host's callback table: %w", err)
	}
	host := hostapi.NewHost(a.Encoded(), sink)

	results := make([]*loadResult, 0, len(opts.paths))
	failed := 0
	for _, path := range opts.paths {
		p, err := launch.Start(host, a, path)
		r := inProcessResult(path, p, err)
		results = append(results, r)
		if err != nil {
			failed++
		}
		if opts.format == "text" {
			printResult(s, r)
		}
	}
	if opts.wait > 0 && len(results) > failed {
		ctx, stop := interruptible(ctx, s)
		select {
		case <-time.After(opts.wait):
		case <-ctx.Done():
		}
		stop()
	}
	if opts.format == "json" {
		// Threads may still log: take the records again.
		for i, path := range opts.paths {
			if p := results[i]; p.plugin != nil {
				results[i] = inProcessResult(path, p.plugin, p.startErr)
			}
		}
		if err := writeLoadJSON(s, results, nil, runABI(d, version)); err != nil {
			return err
		}
	}
	if failed > 0 {
		return errReported
	}
	return nil
}

func inProcessResult(path string, p *launch.Plugin, err error) *loadResult {
	r := &loadResult{path: path, name: launch.Name(path), logs: []sanitize.Line{}, warnings: []report.Finding{}, plugin: p, startErr: err}
	if p != nil {
		r.name, r.manifest, r.lines = p.Name(), p.Manifest, p.Lines()
		r.logs = append(r.logs, p.Logs()...)
		for _, w := range p.Warnings() {
			r.warnings = append(r.warnings, report.NewWarning(w.Kind.ID(), sanitize.Clean(w.Detail)))
		}
	}
	if err != nil {
		// launch.StartChecked returns only *launch.Error; anything else
		// is still a load that failed, never a kind of its own.
		r.err = &loadError{Kind: report.KindLoadFailed, Message: sanitize.Clean(err.Error())}
		var le *launch.Error
		if errors.As(err, &le) {
			r.err = &loadError{Kind: le.Kind, Message: sanitize.Clean(le.Detail), Hint: sanitize.Clean(le.Hint)}
		}
	}
	return r
}

func printResult(s *Streams, r *loadResult) {
	if r.err != nil {
		s.errorf("%s: %s", sanitize.String(r.path), r.err.Message)
		if r.err.Hint != "" {
			s.hintf("%s", r.err.Hint)
		}
		return
	}
	what := sanitize.String(r.name)
	details := []string{"no manifest"}
	if m := r.manifest; m != nil {
		if m.Version != "" {
			what += " " + sanitize.String(m.Version)
		}
		details = []string{fmt.Sprintf("manifest: API %d", m.APIVersion)}
	}
	details = append(details, english.Count(r.lines, "log line"))
	if n := len(r.warnings); n > 0 {
		details = append(details, english.Count(n, "warning"))
	}
	ok := paint(s.outColor, color.FgGreen, color.Bold)("loaded")
	fmt.Fprintf(s.Out, "%s %s from %s (%s)\n", ok, what, sanitize.String(r.path), strings.Join(details, ", "))
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

func (t *textSink) Log(p *hostapi.Plugin, msg sanitize.Line) {
	name := "?"
	if p != nil {
		name = p.Name()
	}
	printLog(t.s.Out, t.name("["+name+"]"), msg)
}

// printLog prints a line a plugin logged after its label. The line is a
// sanitize.Line: it was made safe where it came in, once.
func printLog(w io.Writer, label string, line sanitize.Line) {
	fmt.Fprintf(w, "%s %s\n", label, line)
}

func (t *textSink) Warn(p *hostapi.Plugin, w hostapi.Warning) {
	if p == nil {
		t.s.warnf("a plugin: %s", w)
		return
	}
	t.s.warnf("%s: %s", p.Source(), w)
}

type discard struct{}

func (discard) Log(*hostapi.Plugin, sanitize.Line)    {}
func (discard) Warn(*hostapi.Plugin, hostapi.Warning) {}

// The JSON document of plugctl load --format json; docs/cli.md describes it.
type loadReport struct {
	HostAPIVersion uint32         `json:"host_api_version"`
	ABI            *abiRun        `json:"abi,omitempty"` // with --abi
	Sandbox        *sandboxReport `json:"sandbox"`
	Plugins        []loadPlugin   `json:"plugins"`
}

type loadPlugin struct {
	Path     string            `json:"path"`
	Name     string            `json:"name"`
	Status   report.LoadStatus `json:"status"`
	Error    *loadError        `json:"error"`
	Manifest *hostapi.Manifest `json:"manifest"`
	LogLines int               `json:"log_lines"`
	Logs     []sanitize.Line   `json:"logs"`
	Warnings []report.Finding  `json:"warnings"`
	// In a worker: threads left running when init_plugin returned, and how
	// long plugctl watched the plugin after that.
	ThreadsLeft int            `json:"threads_left,omitempty"`
	SettleMS    float64        `json:"settle_ms,omitempty"`
	Stdout      *report.Output `json:"stdout,omitempty"` // what the plugin wrote to fd 1, in a worker
	Stderr      *report.Output `json:"stderr,omitempty"`
}

type loadError struct {
	Kind    report.Kind   `json:"kind"`
	Message sanitize.Line `json:"message"`
	Hint    sanitize.Line `json:"hint,omitempty"`
}

func writeLoadJSON(s *Streams, results []*loadResult, sb *sandboxReport, a *abiRun) error {
	rep := loadReport{HostAPIVersion: hostapi.Version, ABI: a, Sandbox: sb, Plugins: []loadPlugin{}}
	for _, r := range results {
		jp := loadPlugin{Path: r.path, Name: r.name, Status: report.Loaded, Error: r.err, Manifest: r.manifest,
			LogLines: r.lines, Logs: r.logs, Warnings: r.warnings, Stdout: r.stdout, Stderr: r.stderr,
			ThreadsLeft: r.threads, SettleMS: float64(r.settle.Microseconds()) / 1000}
		if r.err != nil {
			jp.Status = report.NotLoaded
		}
		rep.Plugins = append(rep.Plugins, jp)
	}
	return writeJSON(s, rep)
}
