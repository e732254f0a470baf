// Package verify checks a set of plugin files the way a CI job needs: each
// file gets the static preflight checks, the caller's policy, and then a run
// in an isolated worker process that loads it with the platform's loader and
// calls init_plugin. Every file ends with one verdict: pass, fail, crash or
// timeout. Files are verified in parallel; the verdicts do not depend on the
// order or the parallelism.
//
// A verdict is final only once the plugin has settled: at once when it left
// nothing in the worker that can run its code, or else when its worker has
// lived through the settle period after init_plugin returned. Such a worker
// runs no other plugin, so whatever happens in it is that plugin's doing;
// the next plugins run in other workers meanwhile.
package verify

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/plugctl/plugctl/internal/abi"
	"github.com/plugctl/plugctl/internal/deps"
	"github.com/plugctl/plugctl/internal/english"
	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/plugctl/plugctl/internal/launch"
	"github.com/plugctl/plugctl/internal/preflight"
	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/sandbox"
	"github.com/plugctl/plugctl/internal/sanitize"
	"github.com/plugctl/plugctl/internal/worker"
)

// Limits on what is kept of one plugin's log; the rest is counted.
const (
	MaxLogLines = 1000
	MaxLogBytes = 256 << 10
)

// Options says what to check and how.
type Options struct {
	HostAPI         uint32 // the API version the host speaks; 0: hostapi.Version
	RequireManifest bool
	MaxGlibc        string // like "2.31"; empty: no limit
	Strict          bool   // warnings fail a plugin
	Jobs            int    // plugins verified at once; at least 1
	Timeout         time.Duration
	CPULimit        time.Duration
	Fresh           bool // one worker process per plugin, never reused
	// Settle is how long a plugin that left something running after
	// init_plugin returned is watched before its pass is final.
	Settle   time.Duration
	Worker   worker.Config
	Resolver *deps.Resolver // shared by the preflight checks; nil: a new one
	// ABI, when set, is a described ABI the plugins are checked and run
	// under instead of plugctl's own: its TOML file's absolute path is
	// ABIFile, for the workers; the host speaks HostVersion.
	ABI         *abi.Description
	ABIFile     string
	HostVersion abi.Version
}

// Result is one plugin's verdict and what was seen on the way. Its JSON form
// is an element of "plugins" in `plugctl verify --format json`.
type Result struct {
	Path     sanitize.Untrusted `json:"path"`
	Status   report.Verdict     `json:"status"`
	Check    report.Check       `json:"check,omitempty"` // the check that failed
	Reason   sanitize.Line      `json:"reason"`
	Hint     sanitize.Line      `json:"hint,omitempty"`
	Signal   string             `json:"signal,omitempty"`
	Name     string             `json:"name"`
	Logs     []sanitize.Line    `json:"logs"`
	LogLines int                `json:"log_lines"` // all of them, kept or not
	Warnings []report.Finding   `json:"warnings"`
	Stdout   report.Output      `json:"stdout"`
	Stderr   report.Output      `json:"stderr"`
	// ThreadsLeft counts the threads the plugin left running when
	// init_plugin returned (-1: this system cannot tell).
	ThreadsLeft int `json:"threads_left"`
	// Left names what the plugin left, when init_plugin returned, that could
	// run its code: threads, processes, signal handlers, timers.
	Left []string `json:"left"`
	// SettleMS is how long the plugin was watched after init_plugin
	// returned: 0 when it left nothing that could run its code.
	SettleMS float64 `json:"settle_ms"`
	// Rerun says why the verdict comes from a second run in a fresh worker:
	// the first, in a worker that had run other plugins, did not pass.
	Rerun      string  `json:"rerun,omitempty"`
	DurationMS float64 `json:"duration_ms"`
	// HostVersion is the version of the described ABI's host the plugin
	// ran under (Options.HostVersion); empty for plugctl's own ABI.
	HostVersion string `json:"host_version,omitempty"`

	logBytes int
	warnSeen map[report.Finding]bool
}

// LogsDropped returns how many log lines were sent but not kept.
func (r *Result) LogsDropped() int { return r.LogLines - len(r.Logs) }

// Observer is told about results as they happen. Its methods are called one
// at a time.
type Observer interface {
	// Done receives each plugin's result once its verdict is final.
	Done(*Result)
}

// Run verifies each of paths and reports to obs. It returns the results in
// the order of paths, with nil for a plugin that was not verified because
// ctx ended first.
func Run(ctx context.Context, paths []string, opts Options, obs Observer) []*Result {
	if opts.Jobs < 1 {
		opts.Jobs = 1
	}
	if opts.HostAPI == 0 {
		opts.HostAPI = hostapi.Version
	}
	if opts.Resolver == nil {
		opts.Resolver = deps.New(deps.Options{})
	}
	results := make([]*Result, len(paths))
	v := &verifier{opts: opts, obs: obs, records: map[uint64]*Result{}, results: results,
		settlers: make(chan struct{}, max(4*opts.Jobs, 16))}
	v.opts.Worker.Handler = v
	defer v.dirs.Close()

	// Two stages, Jobs goroutines each: preflight and policy, then the
	// workers. A plugin's preflight runs while the workers run the ones
	// before it, so a worker does not wait for the parent between plugins.
	// Plugins that are still settling when their run ends are watched by
	// goroutines of their own (settling), at most cap(settlers) at once.
	next := make(chan int)
	ready := make(chan *job, opts.Jobs)
	var checking, running sync.WaitGroup
	for range min(opts.Jobs, len(paths)) {
		checking.Add(1)
		go func() {
			defer checking.Done()
			for i := range next {
				if j := v.prepare(i, paths[i]); j.r.Status != "" {
					v.finish(j)
				} else {
					ready <- j
				}
			}
		}()
		running.Add(1)
		go func() {
			defer running.Done()
			s := &slot{v: v}
			if opts.Worker.Sandbox == nil {
				// A plugin's sandbox may need to read more than the
				// run's: without one, every plugin fits the first worker.
				s.prestart()
			}
			defer s.close()
			for j := range ready {
				v.execute(ctx, s, j)
			}
		}()
	}
	for i := range paths {
		if ctx.Err() != nil {
			break
		}
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	checking.Wait()
	close(ready)
	running.Wait()
	v.settling.Wait()
	v.mu.Lock()
	v.closed = true
	v.mu.Unlock()
	return results
}

// verifier is the state shared by the slots.
type verifier struct {
	opts   Options
	obs    Observer
	nextID atomic.Uint64
	dirs   preflight.Dirs // what preflight learnt of the plugins' directories

	mu      sync.Mutex         // serialises obs calls; guards records and results
	records map[uint64]*Result // by worker request ID
	results []*Result          // by index in Run's paths
	closed  bool

	settling sync.WaitGroup // plugins being watched after init_plugin returned
	settlers chan struct{}  // a token per watched worker

	ids sync.Map // path -> fileID of the libraries plugins load, which most share
}

func (v *verifier) identify(path string) fileID {
	if id, ok := v.ids.Load(path); ok {
		return id.(fileID)
	}
	id := identify(path)
	v.ids.Store(path, id)
	return id
}

// Named, Log and Warn make the verifier the workers' Handler.
func (v *verifier) Named(uint64, sanitize.Line) {}

func (v *verifier) Log(id uint64, text sanitize.Line) {
	v.mu.Lock()
	defer v.mu.Unlock()
	r := v.records[id]
	if r == nil || v.closed {
		return
	}
	r.LogLines++
	if len(r.Logs) < MaxLogLines && r.logBytes+len(text) <= MaxLogBytes {
		r.Logs = append(r.Logs, text)
		r.logBytes += len(text)
	}
}

func (v *verifier) Warn(id uint64, kind, text sanitize.Line) {
	v.mu.Lock()
	defer v.mu.Unlock()
	r := v.records[id]
	if r == nil || v.closed {
		return
	}
	r.addWarning(report.NewWarning(report.ID(kind), text))
}

// addWarning adds w unless r has it already.
func (r *Result) addWarning(w report.Finding) bool {
	if r.warnSeen == nil {
		r.warnSeen = map[report.Finding]bool{}
	}
	if r.warnSeen[w] {
		return false
	}
	r.warnSeen[w] = true
	r.Warnings = append(r.Warnings, w)
	return true
}

// slot is one of Jobs lanes, with the worker it reuses.
type slot struct {
	v        *verifier
	w        *worker.Worker
	starting chan started      // the first worker, started before it is needed
	loaded   map[fileID]bool   // files the worker has loaded
	names    map[string]fileID // the names its loader knows libraries by
	reads    []string          // directories its sandbox reads beyond the run's
}

// linkage is what a plugin brings into a worker: the file itself, the
// names of the libraries it loads with it (preflight.Report.LoadNames),
// and, sandboxed, the directories of those libraries the run's sandbox
// does not read.
type linkage struct {
	id    fileID
	names map[string]fileID
	reads []string
}

// fits reports whether p can load in s's worker as it would alone: the
// worker has not loaded p's file, no name p's libraries are loaded under
// names another file there (the loader would hand that one out), and its
// sandbox reads the directories of p's libraries.
func (s *slot) fits(p linkage) bool {
	if s.loaded[p.id] {
		return false
	}
	for _, d := range p.reads {
		if !slices.Contains(s.reads, d) {
			return false
		}
	}
	for name, id := range p.names {
		if have, ok := s.names[name]; ok && have != id {
			return false
		}
	}
	return true
}

// started is a worker Start gave, or its error.
type started struct {
	w   *worker.Worker
	err error
}

// prestart starts s's first worker now, while the lane's first plugin goes
// through preflight, rather than once it has: the worker's start (a Go
// runtime's, and its warm-up) overlaps the parent's.
func (s *slot) prestart() {
	s.starting = make(chan started, 1)
	go func() {
		w, err := worker.Start(s.v.opts.Worker)
		s.starting <- started{w, err}
	}()
}

// adopt takes the worker prestart started, if any: a worker that failed
// to start is started again, and its error reported, when it is needed.
func (s *slot) adopt() {
	if s.starting == nil {
		return
	}
	st := <-s.starting
	s.starting = nil
	if st.err == nil {
		s.w, s.loaded, s.names, s.reads = st.w, map[fileID]bool{}, map[string]fileID{}, nil
	}
}

func (s *slot) close() {
	s.adopt()
	if s.w != nil {
		s.w.Close()
		s.w = nil
	}
}

// detach gives up s's worker without closing it: it is watching a plugin
// that is settling, and runs nothing else.
func (s *slot) detach() *worker.Worker {
	w := s.w
	s.w = nil
	return w
}

// worker returns a live worker p fits in, starting one if needed (fresh:
// one that has run no plugin).
func (s *slot) worker(fresh bool, p linkage) (*worker.Worker, error) {
	s.adopt()
	if s.w != nil && ((fresh && s.w.Runs() > 0) || !s.w.Alive() || !s.fits(p)) {
		s.close()
	}
	if s.w == nil {
		cfg := s.v.opts.Worker
		if len(p.reads) > 0 {
			sb := *cfg.Sandbox
			sb.Read = append(slices.Clip(sb.Read), p.reads...)
			cfg.Sandbox = &sb
		}
		w, err := worker.Start(cfg)
		if err != nil {
			return nil, err
		}
		s.w, s.loaded, s.names, s.reads = w, map[fileID]bool{}, map[string]fileID{}, p.reads
	}
	s.loaded[p.id] = true
	for name, id := range p.names {
		if _, ok := s.names[name]; !ok {
			s.names[name] = id
		}
	}
	return s.w, nil
}

// job is a plugin on its way through the two stages.
type job struct {
	i    int           // its index in Run's paths
	r    *Result       // has a Status once the plugin has a verdict
	took time.Duration // time spent on it so far
	abs  string
	p    linkage
	// checked is what preflight found, so the worker need not read the
	// file again.
	checked *launch.Checked
}

// prepare runs the checks that need no worker: preflight and policy. The
// job it returns has a verdict when one of them failed.
func (v *verifier) prepare(i int, path string) *job {
	start := time.Now()
	j := &job{i: i, r: &Result{Path: sanitize.Untrusted(path), Name: launch.Name(path), Logs: []sanitize.Line{}, Warnings: []report.Finding{}, Left: []string{}}}
	if v.opts.ABI != nil {
		j.r.HostVersion = v.opts.HostVersion.String()
	}
	defer func() { j.took = time.Since(start) }()
	r := j.r
	rep := preflight.Check(path, preflight.Options{Resolver: v.opts.Resolver, Dirs: &v.dirs, HostAPI: v.opts.HostAPI, ABI: v.opts.ABI, HostVersion: v.opts.HostVersion})
	if rep.Manifest != nil && rep.Manifest.Manifest != nil && rep.Manifest.Name != "" {
		r.Name = rep.Manifest.Name // sanitized by the manifest decoder
	}
	// Findings are sanitized where preflight makes them.
	for _, f := range rep.Findings {
		if f.Severity == report.Warning {
			r.addWarning(f)
		} else if r.Status == "" {
			r.Status, r.Check, r.Reason, r.Hint = report.Fail, report.CheckPreflight, f.Line(), f.Hint
		}
	}
	if r.Status == "" {
		r.Status, r.Check, r.Reason, r.Hint = policy(rep, v.opts)
	}
	if r.Status != "" {
		return j
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		r.Status, r.Check, r.Reason = report.Fail, report.CheckLoad, sanitize.Clean(err.Error())
		return j
	}
	j.abs, j.p = abs, linkage{id: identify(abs), names: map[string]fileID{}}
	j.checked = &launch.Checked{ManifestSize: rep.ManifestSize, Rust: rep.Rust}
	sb := v.opts.Worker.Sandbox
	for name, path := range rep.LoadNames(abs) {
		j.p.names[name] = v.identify(path)
		if sb == nil {
			continue
		}
		for _, d := range sandbox.Dirs(path) {
			if !sb.Reads(d) && !slices.Contains(j.p.reads, d) {
				j.p.reads = append(j.p.reads, d)
			}
		}
	}
	slices.Sort(j.p.reads)
	return j
}

// execute loads and starts the plugin in one of s's workers, and in a fresh
// one when it did not pass in a reused one. A plugin that is still settling
// when init_plugin returns takes its worker away from s, to be watched
// (settle); the slot starts another for the next plugin.
func (v *verifier) execute(ctx context.Context, s *slot, j *job) {
	start := time.Now()
	out, rec := v.run(ctx, s, j, v.opts.Fresh)
	if out.Verdict == worker.Canceled {
		return
	}
	if out.Verdict != worker.Passed && rec.reused {
		first := describe(out)
		out, rec = v.run(ctx, s, j, true)
		if out.Verdict == worker.Canceled {
			return
		}
		v.noteRerun(rec, first, "")
	}
	if out.Settling() {
		v.settle(ctx, s.detach(), j, out, rec, start)
		return
	}
	v.conclude(j, rec, out, nil, start)
}

// noteRerun records on the fresh run's result what the first run, in a
// worker that had run other plugins, ended in.
func (v *verifier) noteRerun(rec runRecord, first description, when string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	rec.result.Rerun = fmt.Sprintf("in a worker that had run other plugins it ended %s%s (%s); this is the verdict of a fresh worker", first.status, when, first.reason)
}

// settle watches a plugin whose run passed but left something running: on
// a goroutine of its own, so that the slot goes on with the next plugin.
// If the worker dies before the plugin settles and it had run other
// plugins (each of which had settled at once, leaving nothing that could
// run), the plugin is run again alone in a fresh worker and watched again:
// that verdict is the one reported.
func (v *verifier) settle(ctx context.Context, w *worker.Worker, j *job, out worker.Outcome, rec runRecord, start time.Time) {
	select {
	case v.settlers <- struct{}{}:
	case <-ctx.Done():
		w.Close()
		return
	}
	v.settling.Add(1)
	go func() {
		defer v.settling.Done()
		defer func() { <-v.settlers }()
		after := w.Settle(ctx, v.opts.Settle)
		w.Close()
		if after.Verdict == worker.Canceled {
			return
		}
		if after.Verdict == worker.Passed || !rec.reused {
			v.conclude(j, rec, out, &after, start)
			return
		}
		first, others := describe(after), w.Runs()-1
		s := &slot{v: v}
		defer s.close()
		out, rec = v.run(ctx, s, j, true)
		if out.Verdict == worker.Canceled {
			return
		}
		v.noteRerun(rec, first, " "+english.Seconds(after.After)+" after init_plugin returned")
		var again *worker.Outcome
		if out.Settling() {
			a := s.w.Settle(ctx, v.opts.Settle)
			if a.Verdict == worker.Canceled {
				return
			}
			again = &a
		}
		if out.Verdict == worker.Passed && (again == nil || again.Verdict == worker.Passed) {
			// Alone it settled. The other plugins in the first worker had
			// left nothing that could run: the death stays on record.
			v.mu.Lock()
			rec.result.addWarning(report.NewWarning(report.WorkerDied, sanitize.Clean(fmt.Sprintf(
				"the first worker to run it, which had run %s before it that left nothing running, died %s after its init_plugin returned (%s); run alone it settled, so the death was not reproduced",
				english.Count(others, "other plugin"), english.Seconds(after.After), first.reason))))
			v.mu.Unlock()
		}
		v.conclude(j, rec, out, again, start)
	}()
}

// conclude gives the job its final verdict from its run (and settle period)
// and reports it.
func (v *verifier) conclude(j *job, rec runRecord, out worker.Outcome, after *worker.Outcome, start time.Time) {
	d := Judge(out, after, v.opts.Worker.OutputLimit)
	// The worker's events may still be adding to the record.
	v.mu.Lock()
	r := rec.result
	r.Path, r.Name, r.HostVersion = j.r.Path, j.r.Name, j.r.HostVersion
	for _, w := range j.r.Warnings {
		r.addWarning(w)
	}
	for _, w := range d.Warnings {
		r.addWarning(w)
	}
	r.Status, r.Check, r.Reason, r.Hint, r.Signal = d.Status, d.Check, d.Reason, d.Hint, d.Signal
	r.Stdout, r.Stderr = report.Capture(d.Stdout.Data, d.Stdout.Total), report.Capture(d.Stderr.Data, d.Stderr.Total)
	r.ThreadsLeft, r.SettleMS = d.Threads, float64(d.Settle.Microseconds())/1000
	r.Left = []string{}
	for _, l := range d.Left {
		r.Left = append(r.Left, sanitize.String(l))
	}
	v.mu.Unlock()
	j.r, j.took = r, j.took+time.Since(start)
	v.finish(j)
}

// finish gives the job's result its duration and --strict's say, and
// reports it.
func (v *verifier) finish(j *job) {
	v.mu.Lock()
	defer v.mu.Unlock()
	r := j.r
	r.DurationMS = float64(j.took.Microseconds()) / 1000
	if r.Status == report.Pass && v.opts.Strict && len(r.Warnings) > 0 {
		r.Status, r.Check = report.Fail, report.CheckStrict
		r.Reason = sanitize.Line(fmt.Sprintf("%d warning(s), and --strict makes warnings fail", len(r.Warnings)))
	}
	v.results[j.i] = r
	v.obs.Done(r)
}

// runRecord is one run of a plugin in a worker.
type runRecord struct {
	result *Result // collects the run's logs and warnings
	reused bool    // the worker had run other plugins before
}

func (v *verifier) run(ctx context.Context, s *slot, j *job, fresh bool) (worker.Outcome, runRecord) {
	rec := runRecord{result: &Result{Logs: []sanitize.Line{}, Warnings: []report.Finding{}, Left: []string{}}}
	w, err := s.worker(fresh, j.p)
	if err != nil {
		return worker.NotStarted(err), rec
	}
	rec.reused = w.Runs() > 0
	reqID := v.nextID.Add(1)
	v.mu.Lock()
	v.records[reqID] = rec.result
	v.mu.Unlock()
	p := worker.Plugin{
		ID: reqID, Path: j.abs, HostAPI: v.opts.HostAPI, Checked: j.checked,
		CPULimit: v.opts.CPULimit, AfterInit: true,
	}
	if v.opts.ABI != nil {
		p = p.Under(v.opts.ABI, v.opts.ABIFile, v.opts.HostVersion)
	}
	out := w.Run(ctx, p, v.opts.Timeout)
	if !w.Alive() || (!out.Reusable() && !out.Settling()) {
		// Dead, or changed for the next plugin. (A settling plugin's
		// worker is taken away by execute.)
		s.close()
	}
	return out, rec
}

// policy applies the caller's rules to a plugin that passed preflight.
func policy(rep *preflight.Report, opts Options) (report.Verdict, report.Check, sanitize.Line, sanitize.Line) {
	if opts.RequireManifest && (rep.Manifest == nil || rep.Manifest.Manifest == nil) {
		return report.Fail, report.CheckPolicy, "no plugin manifest, and --require-manifest requires one",
			"declare one with PLUGIN_MANIFEST(name, version) (C) or export_plugin! (Rust)"
	}
	if opts.MaxGlibc != "" && rep.Glibc != "" && glibcNewer(rep.Glibc, opts.MaxGlibc) {
		return report.Fail, report.CheckPolicy, sanitize.Clean(fmt.Sprintf("needs %s, newer than --max-glibc %s", rep.Glibc, opts.MaxGlibc)),
			"build the plugin on (or for) a system with the oldest glibc you support, e.g. in a container of that distribution"
	}
	return "", "", "", ""
}

// ParseGlibc checks a --max-glibc value: numbers separated by dots, like
// 2.31, optionally prefixed GLIBC_.
func ParseGlibc(s string) (string, error) {
	v := strings.TrimPrefix(s, "GLIBC_")
	if _, ok := preflight.ParseGlibc(v); !ok {
		return "", fmt.Errorf("invalid glibc version %q: want numbers like 2.31", s)
	}
	return v, nil
}

// glibcNewer reports whether version a is newer than b; false when either
// is not a version.
func glibcNewer(a, b string) bool {
	x, ok1 := preflight.ParseGlibc(a)
	y, ok2 := preflight.ParseGlibc(b)
	return ok1 && ok2 && x.Compare(y) > 0
}

// fileID identifies a file by device and inode where the system has them,
// so that two names of one file are not loaded into one worker (the loader
// would hand back the library it already has, constructors not run).
type fileID struct {
	dev, ino uint64
	path     string // where there are no inode numbers
}

func identify(path string) fileID {
	if st, err := os.Stat(path); err == nil {
		if dev, ino, ok := inode(st); ok {
			return fileID{dev: dev, ino: ino}
		}
	}
	return fileID{path: path}
}
