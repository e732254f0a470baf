package worker

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/plugctl/plugctl/internal/abi"
	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/plugctl/plugctl/internal/launch"
	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/sandbox"
	"github.com/plugctl/plugctl/internal/sanitize"
)

// Config says how to start workers.
type Config struct {
	// Env is the workers' whole environment (see Environment).
	Env []string
	// MaxMemory caps a worker's address space in bytes (Linux and other
	// Unix systems); 0 means no cap.
	MaxMemory uint64
	// OutputLimit is how many bytes of each plugin's stdout and of its
	// stderr are kept; the rest is counted and dropped.
	OutputLimit int
	// Handler receives log lines and warnings as they arrive, from any
	// goroutine, for the plugin whose Run they belong to.
	Handler Handler
	// Names asks for the Handler's Named calls. Without it they may not
	// come: a worker that shares a phase page with plugctl (Linux) sends
	// no event as init_plugin starts unless asked.
	Names bool
	// Sandbox, when set, confines the worker (package sandbox): its
	// namespaces are set up as it starts, and it confines itself before
	// it reads a request.
	Sandbox *sandbox.Policy
}

// Handler receives what plugins send through the host's callbacks. The
// worker's host sanitized it, but the worker is the plugin's process: the
// parent sanitizes every text again where it comes in, and hands on Lines.
type Handler interface {
	// Named gives the plugin's name (from its manifest, else its file
	// name) before init_plugin runs, so log lines can be labelled with it;
	// only when Config.Names asks for it.
	Named(id uint64, name sanitize.Line)
	Log(id uint64, text sanitize.Line)
	Warn(id uint64, kind, text sanitize.Line)
}

// Verdict is how a plugin's run ended.
type Verdict string

const (
	Passed   Verdict = "pass"    // init_plugin returned true
	Failed   Verdict = "fail"    // the plugin did not start, or ended the worker itself
	Crashed  Verdict = "crash"   // the worker died of a signal (or, on Windows, an exception)
	TimedOut Verdict = "timeout" // it was still running when the time was up; killed
	Canceled Verdict = "canceled"
	NotRun   Verdict = "not-run" // plugctl could not start a worker to run it
)

// Outcome is how one plugin's run, or its settle period, went.
type Outcome struct {
	Verdict Verdict
	// Result is the worker's report; nil unless the worker gave one.
	Result *Result
	// Phase is the step the plugin was in when it ended the worker, crashed
	// or hung: report.PhaseLoad, PhaseInit or PhaseSettle, or "" (before
	// loading, or it finished).
	Phase report.Phase
	// After is, for Settle, how long after init_plugin returned the settle
	// period ended: with the report, the worker's end, or a timeout.
	After time.Duration
	// Settled is the worker's report at the end of the settle period (from
	// Settle, when the plugin's worker lived through it).
	Settled *Aftermath
	// Exit describes how the worker ended when it did not report, like
	// "killed by SIGSEGV (segmentation fault)" or "exited with status 0".
	Exit string
	// Signal is the signal's name (SIGSEGV) when a signal ended the worker.
	Signal string
	// Evidence: Channel is "closed" or "replaced" when the plugin took the
	// worker's channel away; Forged is the start of a line the plugin
	// wrote to the channel; RuntimeError is the fatal error the worker's Go
	// runtime printed before it exited; KillEvidence says who sent a
	// SIGKILL plugctl did not send, when that can be known.
	Channel, Forged, RuntimeError, KillEvidence string
	// Stdout and Stderr are what the plugin wrote to fd 1 and fd 2 (and, for
	// a worker that died, what the Go runtime said); for Settle, what it
	// wrote during the settle period.
	Stdout, Stderr Output
	Duration       time.Duration
	// Entry names the plugin's entry point and Started says the result
	// by which it started, for messages: as Plugin has them.
	Entry, Started string
}

// entry is the entry point's name, for messages.
func (o Outcome) entry() string {
	if o.Entry == "" {
		return hostapi.EntrySymbol
	}
	return o.Entry
}

// StartedReason is the reason of a pass: the entry point's result.
func (o Outcome) StartedReason() string {
	if o.Started == "" {
		return hostapi.EntrySymbol + " returned true"
	}
	return o.Started
}

// Settling reports whether the outcome is a pass that is not final yet:
// init_plugin returned true, but the plugin left something that can still
// run its code. Give the worker no other plugin, and call Settle.
func (o Outcome) Settling() bool {
	return o.Verdict == Passed && o.Result != nil && o.Result.After != nil && len(o.Result.After.Left) > 0
}

// Reusable reports whether the worker can run another plugin as that plugin
// would run alone: it is alive, and the plugin left nothing running and
// changed nothing it shares with the next one (a directory, a handler, a
// descriptor...), which would otherwise see the change as the host's.
func (o Outcome) Reusable() bool {
	if o.Result == nil || (o.Verdict != Passed && o.Verdict != Failed) || o.Forged != "" {
		return false
	}
	a := o.Result.After
	return a == nil || (len(a.Changes) == 0 && len(a.Left) == 0)
}

// Plugin is one plugin for a worker to run.
type Plugin struct {
	ID        uint64 // chosen by the caller, unique per Handler
	Path      string // absolute
	HostAPI   uint32 // the API version the host tells the plugin
	CPULimit  time.Duration
	AfterInit bool // report callbacks after init_plugin returned
	// Checked, when the caller has read the file already, spares the
	// worker reading it again (launch.StartChecked).
	Checked *launch.Checked
	// ABI, when set, is a described ABI's TOML file: the plugin is started
	// under it (package synth) as a host of version HostVersion, instead of
	// under plugctl's own ABI.
	ABI         string
	HostVersion string
	// Entry is the entry point's name and Started the reason of a pass
	// ("init_plugin returned true"), for messages; empty: plugctl's own.
	Entry, Started string
}

// A Worker is one worker process. Its methods are not safe for concurrent
// use: it runs one plugin at a time.
type Worker struct {
	cfg     Config
	cmd     *exec.Cmd
	reqs    *os.File
	stdout  *capture
	stderr  *capture
	outputs [2]*os.File   // plugctl's ends of the worker's stdout and stderr
	control chan event    // result and settled events; forged lines
	exited  chan struct{} // closed once the process is reaped
	state   *os.ProcessState
	exitAt  time.Time
	oom     int64 // the kernel's out-of-memory kill count when it started
	runs    int

	mu     sync.Mutex // guards expect, phase and page, between Run and the event reader
	expect reqKey     // the request events must name
	// phase is the last phase the worker said the current request's
	// plugin is in. The event reader records it, rather than handing each
	// phase event to Run: Run wakes only when the run ends.
	phase report.Phase
	// page, when the system has one, is where the worker says the phase
	// instead (phasePage); nil once the worker is closed.
	page *phasePage

	last *Result // the result of the last Run
	// entry and started are the last Run's Plugin's.
	entry, started string
	resultAt       time.Time // when it came
}

// evForged is the control event for a line on the channel that is not a
// well-formed event for the current request.
const evForged = "forged"

// Start starts a worker process: plugctl's own executable, in worker mode.
func Start(cfg Config) (*Worker, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding plugctl's own executable: %w", err)
	}
	token := newToken()

	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	pipe := func() (r, w *os.File, err error) {
		r, w, err = os.Pipe()
		if err == nil {
			files = append(files, r, w)
		}
		return
	}
	reqR, reqW, err1 := pipe()
	evR, evW, err2 := pipe()
	outR, outW, err3 := pipe()
	errR, errW, err4 := pipe()
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		closeAll()
		return nil, fmt.Errorf("creating a worker's pipes: %w", err)
	}
	page, pageFile, err := newPhasePage()
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("creating a worker's phase page: %w", err)
	}
	if pageFile != nil {
		files = append(files, pageFile)
	}

	command := func() (*exec.Cmd, error) {
		cmd := exec.Command(exe, Arg, token, strconv.FormatUint(cfg.MaxMemory, 10))
		cmd.SysProcAttr = sysProcAttr()
		channels, err := passChannels(cmd, reqR, evW)
		if err != nil {
			return nil, fmt.Errorf("passing a worker its channels: %w", err)
		}
		cmd.Args = append(cmd.Args, channels...)
		phases := "-"
		if pageFile != nil {
			cmd.ExtraFiles = append(cmd.ExtraFiles, pageFile)
			phases = strconv.Itoa(2 + len(cmd.ExtraFiles))
		}
		cmd.Args = append(cmd.Args, phases)
		if cfg.Sandbox != nil {
			// Last: the worker replaces it when it re-executes confined.
			cmd.Args = append(cmd.Args, cfg.Sandbox.Arg())
			sandbox.Attr(cmd.SysProcAttr, *cfg.Sandbox)
		}
		// The worker gets plugctl's own argv[0]: a test binary standing in
		// for plugctl tells its commands apart by it.
		cmd.Args[0] = os.Args[0]
		cmd.Env = cfg.Env
		if cmd.Env == nil {
			cmd.Env = []string{}
		}
		cmd.Stdout, cmd.Stderr = outW, errW
		return cmd, nil
	}
	oom := oomKills()
	cmd, err := startRetrying(command, cfg.MaxMemory)
	if err != nil {
		closeAll()
		page.close()
		return nil, err
	}
	// The child has its copies; the parent keeps only its own ends (and
	// its mapping of the page).
	reqR.Close()
	evW.Close()
	outW.Close()
	errW.Close()
	if pageFile != nil {
		pageFile.Close()
	}

	mark := []byte(marker(token))
	limit := cfg.OutputLimit
	w := &Worker{
		cfg: cfg, cmd: cmd, reqs: reqW, oom: oom, outputs: [2]*os.File{outR, errR}, page: page,
		stdout:  newCapture(outR, mark, limit),
		stderr:  newCapture(errR, mark, limit),
		control: make(chan event, 16),
		exited:  make(chan struct{}),
	}
	go w.readEvents(evR)
	go func() {
		_ = cmd.Wait()
		w.state, w.exitAt = cmd.ProcessState, time.Now()
		workerGone(cmd.Process.Pid)
		close(w.exited)
	}()
	return w, nil
}

// startDelays are the pauses between attempts to start a worker. Starting
// a process fails for reasons that pass (the process or memory limit
// reached for a moment, EAGAIN; Wine's CreateProcess under load), and a
// plugin must not be judged by them.
var startDelays = []time.Duration{50 * time.Millisecond, 250 * time.Millisecond, time.Second}

// startRetrying starts the command command makes, trying again after each
// of startDelays unless the error is one that does not pass: plugctl's
// executable gone or not executable. The error it returns is a StartError.
func startRetrying(command func() (*exec.Cmd, error), maxMemory uint64) (*exec.Cmd, error) {
	for attempt := 0; ; attempt++ {
		cmd, err := command()
		if err == nil {
			if err = startWorker(cmd, maxMemory); err == nil {
				return cmd, nil
			}
		}
		if attempt == len(startDelays) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return nil, &StartError{Attempts: attempt + 1, Err: err}
		}
		time.Sleep(startDelays[attempt])
	}
}

// StartError is a worker that could not be started: plugctl's failure, not
// the plugin's.
type StartError struct {
	Attempts int
	Err      error
}

func (e *StartError) Error() string {
	if e.Attempts > 1 {
		return fmt.Sprintf("starting a worker process (%d attempts): %v", e.Attempts, e.Err)
	}
	return "starting a worker process: " + e.Err.Error()
}

func (e *StartError) Unwrap() error { return e.Err }

// NotStarted is the outcome for a plugin whose worker could not be started
// (err from Start): it did not run, so nothing is known about it.
func NotStarted(err error) Outcome {
	return Outcome{Verdict: NotRun, Exit: err.Error()}
}

func newToken() string {
	var tok [16]byte
	_, _ = rand.Read(tok[:])
	return hex.EncodeToString(tok[:])
}

// Runs returns how many plugins the worker was given.
func (w *Worker) Runs() int { return w.runs }

// Alive reports whether the worker can run another plugin.
func (w *Worker) Alive() bool { return !w.gone() }

// gone reports whether the worker process has ended and been reaped: it
// died, or plugctl killed or closed it.
func (w *Worker) gone() bool {
	select {
	case <-w.exited:
		return true
	default:
		return false
	}
}

// maxEvent bounds one event line: a log message is at most 64 KiB, which
// escaping can at most multiply by six.
const maxEvent = 1 << 20

// readEvents reads the event channel to its end. Log lines and warnings go
// to the Handler; phases, results and settle reports to the control
// channel. The first line that is not a well-formed event for the request
// the parent waits on is reported as forged, and nothing after it is
// believed.
func (w *Worker) readEvents(r *os.File) {
	defer r.Close()
	defer close(w.control)
	br := bufio.NewReaderSize(r, 64<<10)
	forged := false
	for {
		line, err := readLine(br, maxEvent)
		if err != nil {
			return
		}
		if forged {
			continue
		}
		e, ok := w.parse(line)
		if !ok {
			forged = true
			w.control <- event{Ev: evForged, Text: excerpt(line)}
			continue
		}
		switch e.Ev {
		case evLog:
			if w.cfg.Handler != nil {
				w.cfg.Handler.Log(e.ID, sanitize.Clean(e.Text))
			}
		case evWarn:
			if w.cfg.Handler != nil {
				w.cfg.Handler.Warn(e.ID, sanitize.Clean(e.Kind), sanitize.Clean(e.Text))
			}
		case evPhase:
			w.mu.Lock()
			if e.ID == w.expect.id {
				w.phase = e.Phase
			}
			w.mu.Unlock()
			if e.Phase == report.PhaseInit && w.cfg.Handler != nil {
				w.cfg.Handler.Named(e.ID, sanitize.Clean(e.Text))
			}
		case evResult, evSettled:
			w.control <- e
		}
	}
}

// parse decodes one line and checks that it is one JSON object, an event
// of a known kind for the request the parent waits on, with its token.
// (The token is the check that counts: a line that carries it came from
// the worker, or from a plugin that read the worker's memory.)
//
// An event is taken only in the one form the worker writes it (json.Marshal
// of an event): {"ev":EV,"id":ID,"tok":TOKEN, then its fields in the
// struct's order, then the end of the object. json.Unmarshal also takes
// keys in another case, repeated keys and keys in any order, which the
// worker never writes; and decoding every line with it, a result three
// times, was a sixth of the parent's time in verify.
func (w *Worker) parse(line []byte) (event, bool) {
	w.mu.Lock()
	want := w.expect
	w.mu.Unlock()
	if want.token == "" {
		return event{}, false
	}
	var buf [128]byte
	for _, ev := range [...]string{evLog, evPhase, evWarn, evResult, evSettled} {
		start := frame(buf[:0], ev, want)
		if !bytes.HasPrefix(line, start) {
			continue
		}
		e := event{Ev: ev, ID: want.id, Token: want.token}
		rest, closed := bytes.CutSuffix(line[len(start):], []byte("}"))
		if !closed {
			return e, false
		}
		switch ev {
		case evResult:
			e.Result = decodeReport[Result](rest, "result")
			return e, e.Result != nil
		case evSettled:
			e.After = decodeReport[Aftermath](rest, "after")
			return e, e.After != nil
		}
		return e, stringFields(rest, &e)
	}
	return event{}, false
}

// decodeReport decodes rest, `,"KEY":VALUE` with VALUE one JSON object, or
// returns nil.
func decodeReport[T any](rest []byte, key string) *T {
	value, ok := bytes.CutPrefix(rest, []byte(`,"`+key+`":`))
	var v *T
	if !ok || json.Unmarshal(value, &v) != nil {
		return nil
	}
	return v
}

// stringFields decodes rest, the string fields of a phase, a log line or a
// warning as the worker writes them (`,"phase":"..."`, `,"text":"..."`,
// `,"kind":"..."`, each left out when empty, in that order), into e.
func stringFields(rest []byte, e *event) bool {
	for _, f := range [...]struct {
		key string
		to  *string
	}{{`,"phase":`, (*string)(&e.Phase)}, {`,"text":`, &e.Text}, {`,"kind":`, &e.Kind}} {
		value, ok := bytes.CutPrefix(rest, []byte(f.key))
		if !ok {
			continue
		}
		n := stringEnd(value)
		if n < 0 {
			return false
		}
		if *f.to, ok = jsonString(value[:n]); !ok || *f.to == "" {
			return false
		}
		rest = value[n:]
	}
	return len(rest) == 0
}

// stringEnd returns the length of the JSON string b starts with, quotes
// included, or -1 when b does not start with a whole one.
func stringEnd(b []byte) int {
	if len(b) == 0 || b[0] != '"' {
		return -1
	}
	for i := 1; i < len(b); i++ {
		switch b[i] {
		case '"':
			return i + 1
		case '\\':
			i++ // what follows is escaped, a quote too
		}
	}
	return -1
}

// jsonString decodes q, one JSON string with its quotes, as json.Unmarshal
// does: one with no escape, no control character and no invalid UTF-8 is
// its bytes.
func jsonString(q []byte) (string, bool) {
	body := q[1 : len(q)-1]
	plain := utf8.Valid(body)
	for _, c := range body {
		if c < 0x20 || c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		return string(body), true
	}
	var s string
	return s, json.Unmarshal(q, &s) == nil
}

// frame appends to p the start of an event of kind ev for want, as the
// worker writes it: {"ev":EV,"id":ID,"tok":TOKEN".
func frame(p []byte, ev string, want reqKey) []byte {
	p = append(p, `{"ev":"`...)
	p = append(p, ev...)
	p = append(p, `","id":`...)
	p = strconv.AppendUint(p, want.id, 10)
	p = append(p, `,"tok":"`...)
	p = append(p, want.token...)
	return append(p, '"')
}

// excerpt is the start of a forged line, for the report (sanitized later).
func excerpt(line []byte) string {
	if len(line) > 120 {
		return string(bytes.ToValidUTF8(line[:120], nil)) + "…"
	}
	return string(bytes.ToValidUTF8(line, nil))
}

// readLine reads one line, dropping lines longer than max. A last line
// without a newline is returned too: a worker never writes one, so it is
// somebody else's.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, isPrefix, err := br.ReadLine()
		if err != nil {
			return nil, err
		}
		if len(line)+len(chunk) <= max {
			line = append(line, chunk...)
		} else {
			line = line[:0:0]
			max = -1 // drop the rest of this line
		}
		if !isPrefix {
			if max < 0 {
				return []byte("(a line of over 1 MiB)"), nil
			}
			return line, nil
		}
	}
}

// afterExitWait bounds how long the parent waits for the output pipes to
// end after the worker died: a process the plugin started may hold them.
const afterExitWait = time.Second

// markerWait bounds how long the parent waits, after a result, for the
// marker that ends the plugin's output.
const markerWait = 2 * time.Second

// Under is p run under the described ABI d, whose TOML file the worker
// reads at file (absolute), as a host of version v.
func (p Plugin) Under(d *abi.Description, file string, v abi.Version) Plugin {
	p.ABI, p.HostVersion, p.Entry = file, v.String(), d.Entry.Name(v)
	if l, err := d.Layout(abi.Target{OS: runtime.GOOS, Arch: runtime.GOARCH}); err == nil {
		p.Started = d.Started(l, v)
	}
	return p
}

// Run runs p in the worker and waits for the outcome, at most timeout
// (0: no limit) or until ctx is done. After an outcome other than Passed or
// Failed-with-a-result the worker is dead: start another. After a Settling
// outcome, call Settle and give the worker nothing else to run.
func (w *Worker) Run(ctx context.Context, p Plugin, timeout time.Duration) Outcome {
	start := time.Now()
	out := Outcome{Entry: p.Entry, Started: p.Started}
	w.entry, w.started = p.Entry, p.Started
	if w.gone() {
		out.Verdict, out.Exit = Failed, "the worker had already ended"
		return out
	}
	w.runs++
	key := reqKey{p.ID, newToken()}
	w.mu.Lock()
	w.expect, w.phase = key, ""
	w.mu.Unlock()
	req, _ := json.Marshal(request{Op: opRun, ID: p.ID, Token: key.token, Names: w.cfg.Names, Path: p.Path, HostAPI: p.HostAPI,
		CPULimit: p.CPULimit, AfterInit: p.AfterInit, Checked: p.Checked, ABI: p.ABI, HostVersion: p.HostVersion})
	if _, err := w.reqs.Write(append(req, '\n')); err != nil {
		// The worker died before it was asked: report how.
		<-w.exited
		return w.ended(&out, start, "")
	}

	var expire <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expire = t.C
	}
	// The run waits for one of: an event that ends it (a result, a
	// forged line), the worker's end, the timeout, or ctx.
	for {
		select {
		case e, ok := <-w.control:
			if !ok {
				// The event channel closed: the worker is ending.
				<-w.exited
				return w.ended(&out, start, w.phaseNow())
			}
			if w.event(e, &out) {
				return w.finish(&out, start)
			}
		case <-w.exited:
			// The worker is gone, but a process the plugin started may
			// hold the event pipe open: end the group, then take what the
			// worker sent before it went.
			killGroup(w.cmd.Process.Pid)
			return w.afterExit(&out, start)
		case <-expire:
			out.Phase = w.phaseNow()
			return w.stop(&out, start, TimedOut, fmt.Sprintf("still running after %v; killed", timeout))
		case <-ctx.Done():
			out.Phase = w.phaseNow()
			return w.stop(&out, start, Canceled, "interrupted")
		}
	}
}

// phaseNow is the phase the current request's plugin was last said to be
// in.
func (w *Worker) phaseNow() report.Phase {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.page != nil {
		return w.page.load(w.expect.id)
	}
	return w.phase
}

// afterExit takes the events a worker that is gone sent before it went, for
// at most afterExitWait, and fills out from them and from how it ended.
func (w *Worker) afterExit(out *Outcome, start time.Time) Outcome {
	drain := time.NewTimer(afterExitWait)
	defer drain.Stop()
	for {
		select {
		case e, ok := <-w.control:
			if !ok {
				return w.ended(out, start, w.phaseNow())
			}
			if w.event(e, out) {
				return w.finish(out, start)
			}
		case <-drain.C:
			return w.ended(out, start, w.phaseNow())
		}
	}
}

// stop kills the worker, for a timeout or an interrupt, and fills out.
func (w *Worker) stop(out *Outcome, start time.Time, v Verdict, exit string) Outcome {
	w.kill()
	out.Verdict, out.Exit = v, exit
	w.drain(out)
	out.Duration = time.Since(start)
	return *out
}

// event records a control event of Run in out, and reports whether it
// ended the run: a result, or a forged line.
func (w *Worker) event(e event, out *Outcome) bool {
	switch e.Ev {
	case evForged:
		w.kill()
		out.Verdict, out.Forged, out.Phase = Failed, e.Text, w.phaseNow()
		return true
	case evResult:
		out.Result, out.Phase = e.Result, ""
		out.Verdict = Failed
		if e.Result.OK {
			out.Verdict = Passed
		}
		w.last, w.resultAt = e.Result, time.Now()
		return true
	}
	return false // a settled event outside Settle: never sent
}

// finish collects the output of a plugin that gave its result.
func (w *Worker) finish(out *Outcome, start time.Time) Outcome {
	wait := markerWait
	if w.gone() || (out.Result != nil && out.Result.Unmarked) {
		// No marker is coming: take what has arrived.
		wait = 50 * time.Millisecond
	}
	var ok1, ok2 bool
	out.Stdout, ok1 = w.stdout.next(wait)
	out.Stderr, ok2 = w.stderr.next(wait)
	if !ok1 || !ok2 || (out.Result != nil && out.Result.Unmarked) {
		// Output can no longer be told apart: retire the worker.
		w.Close()
	}
	out.Duration = time.Since(start)
	return *out
}

// answerWait bounds how long the parent waits for a settle report once it
// asked for one: a worker that does not answer has been stopped or
// deadlocked by what the plugin left running.
var answerWait = 5 * time.Second // a variable for the tests

// Settle waits until settle has passed since the last Run's plugin returned
// from init_plugin, then asks the worker what the plugin has left, and
// returns Passed with that report (Settled), or how the worker ended if it
// died first (report.PhaseSettle, After), or TimedOut if it stopped answering, or
// Canceled when ctx ended. Stdout and Stderr hold what the plugin wrote
// meanwhile. The worker must not have run anything since.
func (w *Worker) Settle(ctx context.Context, settle time.Duration) Outcome {
	start := time.Now()
	out := Outcome{Verdict: Passed, Result: w.last, Entry: w.entry, Started: w.started}
	if w.gone() || w.last == nil {
		out.Verdict, out.Exit = Failed, "the worker had already ended"
		return out
	}
	t := time.NewTimer(time.Until(w.resultAt.Add(settle)))
	defer t.Stop()
	asked := false
	for {
		select {
		case e, ok := <-w.control:
			switch {
			case !ok:
				<-w.exited
				return w.diedSettling(&out, start)
			case e.Ev == evForged:
				out.Forged, out.Phase, out.After = e.Text, report.PhaseSettle, time.Since(w.resultAt)
				return w.stop(&out, start, Failed, "")
			case e.Ev == evSettled && asked:
				out.Settled, out.After = e.After, time.Since(w.resultAt)
				var ok1, ok2 bool
				out.Stdout, ok1 = w.stdout.next(markerWait)
				out.Stderr, ok2 = w.stderr.next(markerWait)
				if !ok1 || !ok2 {
					w.Close()
				}
				out.Duration = time.Since(start)
				return out
			}
		case <-w.exited:
			killGroup(w.cmd.Process.Pid)
			return w.diedSettling(&out, start)
		case <-t.C:
			if asked {
				out.Phase, out.After = report.PhaseSettle, time.Since(w.resultAt)
				return w.stop(&out, start, TimedOut, fmt.Sprintf("the worker did not answer within %v when asked what the plugin had left; killed", answerWait))
			}
			w.mu.Lock()
			key := w.expect
			w.mu.Unlock()
			req, _ := json.Marshal(request{Op: opSettle, ID: key.id, Token: key.token})
			if _, err := w.reqs.Write(append(req, '\n')); err != nil {
				<-w.exited
				return w.diedSettling(&out, start)
			}
			asked = true
			t.Reset(answerWait)
		case <-ctx.Done():
			return w.stop(&out, start, Canceled, "interrupted")
		}
	}
}

// diedSettling fills out for a worker that ended after its plugin's
// init_plugin returned.
func (w *Worker) diedSettling(out *Outcome, start time.Time) Outcome {
	w.ended(out, start, report.PhaseSettle)
	out.After = w.exitAt.Sub(w.resultAt)
	return *out
}

// ended fills out for a worker that ended while running a plugin.
func (w *Worker) ended(out *Outcome, start time.Time, phase report.Phase) Outcome {
	killGroup(w.cmd.Process.Pid) // anything the plugin started
	out.Phase = phase
	out.Verdict, out.Signal, out.Exit = describeExit(w.state)
	w.drain(out)
	switch code := w.state.ExitCode(); {
	case out.Signal == "SIGKILL":
		out.KillEvidence = w.killEvidence()
	case code == exitChannelClosed:
		out.Channel = "closed"
	case code == exitChannelReplaced:
		out.Channel = "replaced"
	case code == 2:
		out.RuntimeError = runtimeError(out.Stderr.Data)
	}
	out.Duration = time.Since(start)
	return *out
}

// killEvidence says what is known of who sent the SIGKILL that ended the
// worker: plugctl sends one only on a timeout, an interrupt or at the end,
// and reports those itself.
func (w *Worker) killEvidence() string {
	if now := oomKills(); w.oom >= 0 && now > w.oom {
		return fmt.Sprintf("the kernel's out-of-memory killer ended %d process(es) while the worker ran (oom_kill in /proc/vmstat)", now-w.oom)
	}
	if hard := cpuHardLimit(); hard > 0 && cpuTime(w.state) >= hard {
		return fmt.Sprintf("the worker used %.1f s of CPU time, the hard limit (RLIMIT_CPU) plugctl was started with", cpuTime(w.state).Seconds())
	}
	return ""
}

// runtimeError finds the fatal error the Go runtime prints before it exits
// with status 2, like "fatal error: runtime: netpoll failed".
func runtimeError(stderr []byte) string {
	for _, line := range bytes.Split(stderr, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("fatal error: ")) {
			return string(bytes.ToValidUTF8(line, nil))
		}
	}
	return ""
}

// kill ends the worker and everything in its process group, and waits for it.
func (w *Worker) kill() {
	killGroup(w.cmd.Process.Pid)
	<-w.exited
}

func (w *Worker) drain(out *Outcome) {
	out.Stdout, _ = w.stdout.next(afterExitWait)
	out.Stderr, _ = w.stderr.next(afterExitWait)
}

// closeWait bounds how long Close lets a worker end what its plugins
// started before it kills the worker's process group.
const closeWait = time.Second

// Close ends the worker: it closes the request channel, which the worker
// takes as the end, whatever it is doing: it ends everything below it and
// exits. A worker that has not gone within closeWait is killed with its
// process group, and one that has run no plugin at once: nothing of a
// plugin's is there to end, and it may still be starting. Close waits for
// the worker to go.
func (w *Worker) Close() {
	if w.reqs != nil {
		w.reqs.Close()
		w.reqs = nil
	}
	if !w.gone() && w.runs > 0 {
		t := time.NewTimer(closeWait)
		defer t.Stop()
		select {
		case <-w.exited:
		case <-t.C:
		}
	}
	w.kill()
	w.mu.Lock()
	w.page.close()
	w.page = nil
	w.mu.Unlock()
}
