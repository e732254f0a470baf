package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"
	"github.com/plugctl/plugctl/internal/abi"
	"github.com/plugctl/plugctl/internal/deps"
	"github.com/plugctl/plugctl/internal/english"
	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/sanitize"
	"github.com/plugctl/plugctl/internal/verify"
	"github.com/spf13/cobra"
)

type verifyOptions struct {
	paths           []string
	format          string
	recursive       bool
	allowEmpty      bool
	jobs            int
	isolationMode   string
	hostAPI         uint32
	requireManifest bool
	maxGlibc        string
	strict          bool
	shard           string
	reports         []string // --report FORMAT=FILE
	abi             abiFlags
	isolation
	progressAfter time.Duration // a progress bar appears on a terminal after this long
}

const verifyLong = `Verify plugins for CI: check each plugin file the way inspect does, apply the
policy flags, then load it in a worker process (plugctl itself, re-executed)
and call its init_plugin with the host's callback table. No plugin code runs
in the verifying process: a plugin that crashes, hangs, exits or floods its
output gets a verdict and the run goes on.

A pass is final only once the plugin has settled. One that left nothing in
its worker that can run its code (no thread of its own, no process, no
signal handler, no timer) has settled when init_plugin returns. One that
did is watched for --settle (500ms) in a worker that runs nothing else: a
crash or an exit meanwhile is its verdict, and what it still has running
then is named. A line of the text report appears only once its verdict is
final.

Verdicts:
  pass     init_plugin returned true, and the plugin settled (with
           --strict: and drew no warnings)
  fail     a check failed: preflight (not a library, wrong platform, missing
           dependency, no init_plugin, manifest refused), policy, load, init
           (init_plugin returned false, the plugin ended the process, closed
           or replaced a descriptor of the host's or the worker's channel,
           or wrote to that channel), settle (the same after init_plugin
           returned), or strict
  crash    the worker died of a signal (SIGSEGV, SIGABRT, ...), while
           loading, in init_plugin, or in the settle period
  timeout  still loading or in init_plugin after --timeout; killed

Warnings do not fail a plugin unless --strict: preflight warnings; callback
misuse (NULL message, invalid UTF-8, over-long message, control characters,
unknown ctx, calls after init_plugin returned); what the plugin changed in
the process it shares with a host (working directory, umask, signal
handlers and the calling thread's signal mask, descriptors left open, the
environment, the locale, resource limits, timers); processes it left
running (left-process); and a late death in a shared worker that the plugin
did not repeat alone (worker-died).

PATHs are files or directories: a directory gives the files with this host's
library extension (with -r, in its subdirectories too). Workers are reused
for several plugins in turn, as long as each plugin leaves the worker as it
found it; a plugin that does not pass in a reused worker is run again in a
fresh one, and that verdict is the one reported. --isolation fresh starts
one worker per plugin.

Workers run in their own process group, killed whole on timeout or when
plugctl is interrupted; on Linux they and plugctl are child subreapers, so
a process a plugin starts is ended even if it left the group, and workers
die with plugctl. They have an address-space limit (--memory-limit), a CPU
time limit (--cpu-limit), no core dumps, and an environment of PATH, HOME,
TMPDIR, LANG, LC_ALL, LD_LIBRARY_PATH, DYLD_LIBRARY_PATH,
DYLD_FALLBACK_LIBRARY_PATH (and on Windows SYSTEMROOT, WINDIR, TEMP, TMP)
when set, plus what --env adds. A worker is not a sandbox: plugin code runs
with your privileges.

With --abi FILE the plugins are checked and started under the ABI that
description defines (docs/abi-description.md) instead of plugctl's own;
--host-version V,V... (or all) runs each on each of those host versions
and ends the text report with a table of plugin by version.

Exit status: 0 if every plugin passed, 1 if any failed, crashed or timed out
(or a PATH could not be read, or the PATHs hold no plugin), 2 for a usage
error, 130 when interrupted.`

const verifyExample = `  plugctl verify target/release/
  plugctl verify -r --strict --max-glibc 2.31 --format junit dist/ > plugctl.xml
  plugctl verify --shard 2/4 --format github plugins/
  plugctl verify --format sarif plugins/ > plugctl.sarif
  plugctl verify --timeout 5s --env MYAPP_CONFIG=/etc/myapp.toml plugins/`

func newVerifyCmd(s *Streams) *cobra.Command {
	opts := &verifyOptions{progressAfter: s.ProgressDelay}
	cmd := &cobra.Command{
		Use:     "verify PATH...",
		Short:   "Check and start every plugin in isolated workers, for CI",
		Long:    verifyLong,
		Example: verifyExample,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.paths = args
			return runVerify(cmd.Context(), s, opts)
		},
		ValidArgsFunction: libraryFiles, // directories are offered too
	}
	f := cmd.Flags()
	f.StringVar(&opts.format, "format", "text", "output format: text, json, junit, github or sarif")
	f.BoolVarP(&opts.recursive, "recursive", "r", false, "descend into subdirectories (symbolic links to directories are not followed)")
	f.BoolVar(&opts.allowEmpty, "allow-empty", false, "exit 0 when the PATHs hold no plugin at all (by default a run that checked nothing fails)")
	f.IntVarP(&opts.jobs, "jobs", "j", runtime.NumCPU(), "plugins verified at once")
	// The same help, and reference, on every machine.
	f.Lookup("jobs").DefValue = "the number of CPUs"
	f.StringVar(&opts.isolationMode, "isolation", "reuse", "reuse: a worker runs several plugins in turn; fresh: one worker process per plugin")
	f.Uint32Var(&opts.hostAPI, "host-api", hostapi.Version, "the API version the host speaks: manifests are checked, and get_version answers, with it")
	f.BoolVar(&opts.requireManifest, "require-manifest", false, "fail plugins that have no plugin_manifest")
	f.StringVar(&opts.maxGlibc, "max-glibc", "", "fail plugins that need glibc symbol versions newer than this, like 2.31")
	f.BoolVar(&opts.strict, "strict", false, "fail plugins that draw warnings")
	f.StringVar(&opts.shard, "shard", "", "verify only part K of N of the files (sorted by path, dealt in turn), like 2/4")
	f.StringArrayVar(&opts.reports, "report", nil, "also write the report in FORMAT (json, junit or sarif) to FILE, as FORMAT=FILE; repeatable")
	opts.isolation.flags(f)
	opts.abi.matrix = true
	opts.abi.add(cmd)
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json", "junit", "github", "sarif"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("isolation", cobra.FixedCompletions([]string{"reuse", "fresh"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// verifyConfig checks the flags and turns them into verify.Options, and
// with --abi, the host versions to run each plugin against.
func verifyConfig(opts *verifyOptions) (vo verify.Options, shard *verify.Shard, versions []abi.Version, err error) {
	switch opts.format {
	case "text", "json", "junit", "github", "sarif":
	default:
		return vo, nil, nil, usagef("invalid --format %q: want text, json, junit, github or sarif", opts.format)
	}
	if opts.isolationMode != "reuse" && opts.isolationMode != "fresh" {
		return vo, nil, nil, usagef("invalid --isolation %q: want reuse or fresh", opts.isolationMode)
	}
	if opts.jobs < 1 {
		return vo, nil, nil, usagef("invalid --jobs %d: want 1 or more", opts.jobs)
	}
	if opts.hostAPI < 1 || opts.hostAPI > hostapi.Version {
		return vo, nil, nil, usagef("invalid --host-api %d: this plugctl can act as a host of API version 1 to %d", opts.hostAPI, hostapi.Version)
	}
	if opts.maxGlibc != "" {
		v, err := verify.ParseGlibc(opts.maxGlibc)
		if err != nil {
			return vo, nil, nil, usagef("invalid --max-glibc: %v", err)
		}
		vo.MaxGlibc = v
	}
	if opts.shard != "" {
		sh, err := verify.ParseShard(opts.shard)
		if err != nil {
			return vo, nil, nil, usagef("invalid --shard %v", err)
		}
		shard = &sh
	}
	wc, cpu, err := opts.isolation.config()
	if err != nil {
		return vo, nil, nil, err
	}
	if vo.ABI, versions, err = opts.abi.loadAll(); err != nil {
		return vo, nil, nil, err
	}
	if vo.ABI != nil {
		if opts.requireManifest {
			return vo, nil, nil, usagef("--require-manifest asks for plugctl's own manifest, which plugins of --abi's ABI do not have")
		}
		if vo.ABIFile, err = forWorkers(vo.ABI, &opts.isolation); err != nil {
			return vo, nil, nil, err
		}
	}
	lp := libraryPath(wc.Env)
	vo.HostAPI, vo.RequireManifest, vo.Strict = opts.hostAPI, opts.requireManifest, opts.strict
	vo.Jobs, vo.Timeout, vo.CPULimit, vo.Fresh = opts.jobs, opts.timeout, cpu, opts.isolationMode == "fresh"
	vo.Settle = opts.settle
	vo.Worker = wc
	vo.Resolver = deps.New(deps.Options{LibraryPath: &lp})
	return vo, shard, versions, nil
}

func runVerify(ctx context.Context, s *Streams, opts *verifyOptions) error {
	vo, shard, versions, err := verifyConfig(opts)
	if err != nil {
		return err
	}
	reports, err := openReports(opts.reports)
	if err != nil {
		return err
	}
	defer reports.close()
	paths, errs := findAll(s, opts.paths, libraryExtensions(runtime.GOOS), opts.recursive)
	failed := len(errs) > 0
	// A run that found nothing to check must not pass: a CI job pointed
	// at the wrong directory would go green. A shard left empty by a
	// larger matrix is not that: the other shards check the plugins.
	foundNone := len(paths) == 0 && !failed
	if shard != nil {
		paths = shard.Select(paths)
	} else {
		slices.Sort(paths)
		paths = slices.Compact(paths)
	}
	sb, err := opts.isolation.setUpSandbox(s, &vo.Worker, paths, false)
	if err != nil {
		return err
	}
	defer sb.close()

	ctx, stop := interruptible(ctx, s)
	defer stop()

	start := time.Now()
	runs := max(len(versions), 1)
	obs := newVerifyPrinter(s, opts, runs*len(paths), len(versions) > 1)
	var results []*verify.Result
	if vo.ABI == nil {
		results = verify.Run(ctx, paths, vo, obs)
	}
	// The matrix: each plugin on each host version, a version at a time.
	for _, v := range versions {
		if ctx.Err() != nil {
			break
		}
		vo.HostVersion = v
		results = append(results, verify.Run(ctx, paths, vo, obs)...)
	}
	obs.stopProgress()
	reportOrphans(s)
	elapsed := time.Since(start)

	done := make([]*verify.Result, 0, len(results))
	for _, r := range results {
		if r != nil {
			done = append(done, r)
		}
	}
	sum := summarize(done)
	result := verifyOutcome(ctx, opts, sum, len(done), runs*len(paths), failed, foundNone)
	ran := runABI(vo.ABI, versions...)
	write := func(to *Streams, format string) error {
		switch format {
		case "json":
			return writeVerifyJSON(to, verifyReport{HostAPIVersion: opts.hostAPI, ABI: ran, Plugins: done, Errors: errs, Sandbox: sb, Summary: sum})
		case "junit":
			return writeJUnit(to, done, elapsed, sb)
		case "sarif":
			return writeSARIF(to, start, verifyResults(done), errs, result)
		case "github":
			writeGitHub(to, done)
		}
		return nil
	}
	for _, r := range reports {
		if err := write(s.to(r.file), r.format); err != nil {
			return fmt.Errorf("--report %s=%s: %w", r.format, sanitize.String(r.path), err)
		}
		if err := r.file.Close(); err != nil {
			return fmt.Errorf("--report %s=%s: %w", r.format, sanitize.String(r.path), err)
		}
	}
	if err := write(s, opts.format); err != nil {
		return err
	}
	if opts.format == "text" && len(versions) > 1 {
		printMatrix(s, done, versions)
	}
	if opts.format == "text" || opts.format == "github" {
		line := summaryLine(s, sum, len(done), elapsed)
		if len(versions) > 1 {
			line = matrixSummaryLine(s, sum, len(paths), len(versions), len(done), elapsed)
		}
		if ctx.Err() != nil {
			line = interruptedLine(sum, len(done), runs*len(paths), elapsed)
		}
		fmt.Fprintln(s.Out, line)
	}
	return result
}

// verifyOutcome is how a verify run ends: interrupted, with nothing found
// (unless --allow-empty), with failures reported, or nil.
func verifyOutcome(ctx context.Context, opts *verifyOptions, sum verifySummary, done, total int, failed, foundNone bool) error {
	if ctx.Err() != nil {
		return &interruptedError{fmt.Sprintf("interrupted: verified %d of %d plugins; the workers were killed", done, total)}
	}
	if foundNone && !opts.allowEmpty {
		hint := "verify takes the files ending in " + strings.Join(libraryExtensions(runtime.GOOS), ", ") + " in each directory"
		if !opts.recursive {
			hint += " (--recursive looks in subdirectories too)"
		}
		return &hintedError{
			fmt.Errorf("no plugins found in %s: nothing was verified", strings.Join(opts.paths, ", ")),
			hint + "; name a file to verify it whatever its name, or pass --allow-empty if none is expected",
		}
	}
	if failed || sum.Fail+sum.Crash+sum.Timeout > 0 {
		return errReported
	}
	return nil
}

// verifySummary counts verdicts; it is "summary" in the JSON report.
type verifySummary struct {
	Pass    int `json:"pass"`
	Fail    int `json:"fail"`
	Crash   int `json:"crash"`
	Timeout int `json:"timeout"`
}

func summarize(rs []*verify.Result) verifySummary {
	var sum verifySummary
	for _, r := range rs {
		switch r.Status {
		case report.Pass:
			sum.Pass++
		case report.Fail:
			sum.Fail++
		case report.Crash:
			sum.Crash++
		case report.Timeout:
			sum.Timeout++
		}
	}
	return sum
}

// summaryLine never says all passed unless every plugin did, and says so
// when there were none.
func summaryLine(s *Streams, sum verifySummary, n int, elapsed time.Duration) string {
	took := fmt.Sprintf("in %.2f s", elapsed.Seconds())
	switch {
	case n == 0:
		return "verify: no plugins found " + took
	case sum.Pass == n:
		return fmt.Sprintf("verify: %s: all passed %s", paint(s.outColor, color.FgGreen, color.Bold)(english.Count(n, "plugin")), took)
	}
	parts := []string{fmt.Sprintf("%d passed", sum.Pass)}
	for _, c := range []struct {
		n    int
		what string
	}{{sum.Fail, "failed"}, {sum.Crash, "crashed"}, {sum.Timeout, "timed out"}} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	return fmt.Sprintf("verify: %s: %s %s", english.Count(n, "plugin"), paint(s.outColor, color.FgRed, color.Bold)(strings.Join(parts, ", ")), took)
}

// interruptedLine sums up a run cut short: only counts, never "all".
func interruptedLine(sum verifySummary, done, total int, elapsed time.Duration) string {
	return fmt.Sprintf("verify: interrupted after %d of %d plugins: %d passed, %d failed, %d crashed, %d timed out in %.2f s",
		done, total, sum.Pass, sum.Fail, sum.Crash, sum.Timeout, elapsed.Seconds())
}

// verifyReport is the document of plugctl verify --format json (docs/cli.md).
type verifyReport struct {
	HostAPIVersion uint32           `json:"host_api_version"`
	ABI            *abiRun          `json:"abi,omitempty"`
	Plugins        []*verify.Result `json:"plugins"`
	Errors         []pathError      `json:"errors"`
	Sandbox        *sandboxReport   `json:"sandbox"`
	Summary        verifySummary    `json:"summary"`
}

// abiRun is, with --abi, the described ABI and the host versions each
// plugin ran against: "abi" in the JSON reports of verify and load.
type abiRun struct {
	Name         string   `json:"name"`
	HostVersions []string `json:"host_versions"`
}

// runABI is "abi" in the JSON reports of a run under the described ABI d
// as host versions vs; nil without d.
func runABI(d *abi.Description, vs ...abi.Version) *abiRun {
	if d == nil {
		return nil
	}
	doc := &abiRun{Name: d.Name, HostVersions: []string{}}
	for _, v := range vs {
		doc.HostVersions = append(doc.HostVersions, v.String())
	}
	return doc
}

// writeVerifyJSON writes rep as json.Encoder with a two-space indent would,
// one plugin at a time, so that memory does not grow with a second copy of
// the whole document.
func writeVerifyJSON(s *Streams, rep verifyReport) error {
	w := bufio.NewWriter(s.Out)
	fmt.Fprintf(w, "{\n  \"host_api_version\": %d,\n", rep.HostAPIVersion)
	if rep.ABI != nil {
		b, _ := json.MarshalIndent(rep.ABI, "  ", "  ")
		fmt.Fprintf(w, "  \"abi\": %s,\n", b)
	}
	w.WriteString("  \"plugins\": [")
	for i, r := range rep.Plugins {
		b, err := json.MarshalIndent(r, "    ", "  ")
		if err != nil {
			return writeFailed(err)
		}
		if i > 0 {
			w.WriteString(",")
		}
		w.WriteString("\n    ")
		w.Write(b)
	}
	if len(rep.Plugins) > 0 {
		w.WriteString("\n  ")
	}
	errs, _ := json.MarshalIndent(rep.Errors, "  ", "  ")
	sb, _ := json.MarshalIndent(rep.Sandbox, "  ", "  ")
	sum, _ := json.MarshalIndent(rep.Summary, "  ", "  ")
	fmt.Fprintf(w, "],\n  \"errors\": %s,\n  \"sandbox\": %s,\n  \"summary\": %s\n}\n", errs, sb, sum)
	if err := w.Flush(); err != nil {
		return writeFailed(err)
	}
	return nil
}

// verifyPrinter writes the text report as results come, and the progress
// bar. verify serialises its calls; the progress ticker takes mu too.
type verifyPrinter struct {
	s       *Streams
	text    bool
	matrix  bool // lines name their host version
	total   int
	mu      sync.Mutex
	done    int
	shown   bool // a progress line is on stderr
	started time.Time
	stop    chan struct{}
	stopped sync.WaitGroup
}

func newVerifyPrinter(s *Streams, opts *verifyOptions, total int, matrix bool) *verifyPrinter {
	p := &verifyPrinter{s: s, text: opts.format == "text", matrix: matrix, total: total, started: time.Now(), stop: make(chan struct{})}
	if s.ErrTTY && total > 1 {
		p.stopped.Add(1)
		go p.tick(opts.progressAfter)
	}
	return p
}

func (p *verifyPrinter) tick(after time.Duration) {
	defer p.stopped.Done()
	select {
	case <-time.After(after):
	case <-p.stop:
		return
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		p.mu.Lock()
		p.drawLocked()
		p.mu.Unlock()
		select {
		case <-t.C:
		case <-p.stop:
			return
		}
	}
}

const barWidth = 30

func (p *verifyPrinter) drawLocked() {
	filled := barWidth * p.done / max(p.total, 1)
	fmt.Fprintf(p.s.Err, "\r[%s%s] %d/%d plugins, %.0f s\x1b[K", strings.Repeat("=", filled), strings.Repeat(" ", barWidth-filled),
		p.done, p.total, time.Since(p.started).Seconds())
	p.shown = true
}

func (p *verifyPrinter) clearLocked() {
	if p.shown {
		fmt.Fprint(p.s.Err, "\r\x1b[K")
		p.shown = false
	}
}

func (p *verifyPrinter) stopProgress() {
	close(p.stop)
	p.stopped.Wait()
	p.mu.Lock()
	p.clearLocked()
	p.mu.Unlock()
}

func (p *verifyPrinter) Done(r *verify.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if !p.text {
		return
	}
	p.clearLocked()
	printVerdict(p.s, r, p.matrix)
}

// Lines of a plugin's stdout or stderr the text report shows; JSON and JUnit
// have all that was kept.
const (
	shownLogLines    = 20
	shownOutputLines = 20
	shownLineBytes   = 300
)

// verdictColors are the colours of verdicts on a terminal.
var verdictColors = map[report.Verdict]color.Attribute{report.Pass: color.FgGreen, report.Fail: color.FgRed, report.Crash: color.FgMagenta, report.Timeout: color.FgYellow}

// printVerdict writes r's lines of the text report; matrix: the line names
// the host version.
func printVerdict(s *Streams, r *verify.Result, matrix bool) {
	verdict := paint(s.outColor, verdictColors[r.Status], color.Bold)(fmt.Sprintf("%-7s", r.Status))
	line := verdict + "  " + r.Path.String()
	if matrix {
		line += " [host " + r.HostVersion + "]"
	}
	if r.Status != report.Pass {
		line += ": " + string(r.Check) + ": " + string(r.Reason)
	}
	fmt.Fprintf(s.Out, "%s (%s)\n", line, formatMS(r.DurationMS))
	indent := func(kind, text string) { fmt.Fprintf(s.Out, "    %s: %s\n", kind, text) }
	if r.Hint != "" {
		indent("hint", string(r.Hint))
	}
	if r.Rerun != "" {
		indent("note", sanitize.String(r.Rerun))
	}
	if len(r.Left) > 0 {
		indent("settle", fmt.Sprintf("watched for %s after init_plugin returned, which left %s", formatMS(r.SettleMS), sanitize.String(strings.Join(r.Left, ", "))))
	}
	for _, w := range r.Warnings {
		indent("warning", w.String())
	}
	logs := r.Logs
	if len(logs) > shownLogLines || r.LogsDropped() > 0 {
		indent("log", fmt.Sprintf("(%d log lines; the text report shows the last %d kept, --format json up to %d)", r.LogLines, min(shownLogLines, len(logs)), verify.MaxLogLines))
		logs = logs[max(0, len(logs)-shownLogLines):]
	}
	for _, l := range logs {
		indent("log", string(l))
	}
	printOutput(s, "    ", "stdout", r.Stdout)
	printOutput(s, "    ", "stderr", r.Stderr)
}

// printOutput shows the first lines of what a plugin printed, each as
// "indent label: line".
func printOutput(s *Streams, indent, label string, o report.Output) {
	if o.Bytes == 0 {
		return
	}
	lines := strings.Split(strings.TrimSuffix(o.Text, "\n"), "\n")
	shown := 0
	for _, l := range lines {
		if shown == shownOutputLines {
			break
		}
		l = sanitize.String(l)
		if len(l) > shownLineBytes {
			l = strings.ToValidUTF8(l[:shownLineBytes], "") + "…"
		}
		fmt.Fprintf(s.Out, "%s%s: %s\n", indent, label, l)
		shown++
	}
	if o.Truncated || shown < len(lines) {
		fmt.Fprintf(s.Out, "%s%s: (%d bytes in all; %d lines shown)\n", indent, label, o.Bytes, shown)
	}
}

func formatMS(ms float64) string {
	if ms >= 1000 {
		return fmt.Sprintf("%.2f s", ms/1000)
	}
	return fmt.Sprintf("%.1f ms", ms)
}

// printMatrix writes the verdicts of a run on several host versions as a
// table: a row per plugin, a column per version.
func printMatrix(s *Streams, rs []*verify.Result, versions []abi.Version) {
	type row struct {
		path     string
		verdicts map[string]report.Verdict
	}
	var rows []*row
	byPath := map[string]*row{}
	width := len("host version")
	for _, r := range rs {
		p := r.Path.String()
		if byPath[p] == nil {
			byPath[p] = &row{path: p, verdicts: map[string]report.Verdict{}}
			rows = append(rows, byPath[p])
			width = max(width, len(p))
		}
		byPath[p].verdicts[r.HostVersion] = r.Status
	}
	slices.SortFunc(rows, func(a, b *row) int { return strings.Compare(a.path, b.path) })
	cell := 8
	for _, v := range versions {
		cell = max(cell, len(v.String())+2)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-*s", width+2, "host version")
	for _, v := range versions {
		fmt.Fprintf(&b, "%-*s", cell, v)
	}
	fmt.Fprintln(s.Out, strings.TrimRight(b.String(), " "))
	for _, r := range rows {
		line := fmt.Sprintf("%-*s", width+2, r.path)
		for i, v := range versions {
			verdict, ran := r.verdicts[v.String()]
			text := "-" // not run: interrupted first
			if ran {
				text = string(verdict)
			}
			if i < len(versions)-1 {
				text = fmt.Sprintf("%-*s", cell, text)
			}
			if ran {
				text = paint(s.outColor, verdictColors[verdict])(text)
			}
			line += text
		}
		fmt.Fprintln(s.Out, line)
	}
}

// matrixSummaryLine sums up a run of plugins on several host versions:
// its counts are of runs, a plugin on a version each.
func matrixSummaryLine(s *Streams, sum verifySummary, plugins, versions, runs int, elapsed time.Duration) string {
	line := summaryLine(s, sum, runs, elapsed)
	what := english.Count(plugins, "plugin") + " on " + english.Count(versions, "host version")
	return strings.Replace(line, english.Count(runs, "plugin"), what, 1)
}
