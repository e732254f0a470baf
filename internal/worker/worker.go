package worker

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/plugctl/plugctl/internal/launch"
)

// Config says how to start workers.
type Config struct {
	// Executable is the plugctl binary to run; empty means this one.
	Executable string
	// Env is the workers' whole environment (see Environment).
	Env []string
	// MaxMemory caps a worker's address space in bytes (Linux and other
	// Unix systems); 0 means no cap.
	MaxMemory uint64
	// OutputLimit is how many bytes of each plugin's stdout and of its
	// stderr are kept; the rest is counted and dropped.
	OutputLimit int
	// Handler receives log lines and warnings as they arrive, from any
	// goroutine, for the plugin whose Run they belong to (or an earlier one
	// whose thread is still running).
	Handler Handler
}

// Handler receives what plugins send through the host's callbacks, already
// sanitized by the worker's host (and to be treated as untrusted text
// anyway).
type Handler interface {
	// Named gives the plugin's name (from its manifest, else its file
	// name) before init_plugin runs, so log lines can be labelled with it.
	Named(id uint64, name string)
	Log(id uint64, text string)
	Warn(id uint64, kind, text string)
}

// Verdict is how a plugin's run ended.
type Verdict string

const (
	Passed   Verdict = "pass"    // init_plugin returned true
	Failed   Verdict = "fail"    // the plugin did not start, or ended the worker itself
	Crashed  Verdict = "crash"   // the worker died of a signal (or, on Windows, an exception)
	TimedOut Verdict = "timeout" // it was still running when the time was up; killed
	Canceled Verdict = "canceled"
)

// Outcome is how one plugin's run went.
type Outcome struct {
	Verdict Verdict
	// Result is the worker's report; nil unless the worker gave one.
	Result *Result
	// Phase is the step the plugin was in when it ended the worker, crashed
	// or hung: "load" (constructors), "init" (init_plugin), or "" (before
	// loading, or it finished).
	Phase string
	// Exit describes how the worker ended when it did not report, like
	// "killed by SIGSEGV (segmentation fault)" or "exited with status 0".
	Exit string
	// Signal is the signal's name (SIGSEGV) when a signal ended the worker.
	Signal string
	// Stdout and Stderr are what the plugin wrote to fd 1 and fd 2 (and, for
	// a worker that died, what the Go runtime said).
	Stdout, Stderr Output
	Duration       time.Duration
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
}

// A Worker is one worker process. Its methods are not safe for concurrent
// use: it runs one plugin at a time.
type Worker struct {
	cfg     Config
	cmd     *exec.Cmd
	reqs    *os.File
	stdout  *capture
	stderr  *capture
	control chan event    // phase and result events
	exited  chan struct{} // closed once the process is reaped
	state   *os.ProcessState
	runs    int
	dead    bool
}

// Start starts a worker process.
func Start(cfg Config) (*Worker, error) {
	exe := cfg.Executable
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("finding plugctl's own executable: %w", err)
		}
	}
	var tok [12]byte
	_, _ = rand.Read(tok[:])
	token := hex.EncodeToString(tok[:])

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

	cmd := exec.Command(exe, Arg, token, strconv.FormatUint(cfg.MaxMemory, 10))
	cmd.SysProcAttr = sysProcAttr()
	channels, err := passChannels(cmd, reqR, evW)
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("passing a worker its channels: %w", err)
	}
	cmd.Args = append(cmd.Args, channels...)
	// The worker gets plugctl's own argv[0]: a test binary standing in for
	// plugctl tells its commands apart by it.
	cmd.Args[0] = os.Args[0]
	cmd.Env = cfg.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, fmt.Errorf("starting a worker: %w", err)
	}
	// The child has its copies; the parent keeps only its own ends.
	reqR.Close()
	evW.Close()
	outW.Close()
	errW.Close()

	mark := []byte(marker(token))
	limit := cfg.OutputLimit
	w := &Worker{
		cfg: cfg, cmd: cmd, reqs: reqW,
		stdout:  newCapture(outR, mark, limit),
		stderr:  newCapture(errR, mark, limit),
		control: make(chan event, 16),
		exited:  make(chan struct{}),
	}
	go w.readEvents(evR)
	go func() {
		_ = cmd.Wait()
		w.state = cmd.ProcessState
		close(w.exited)
	}()
	return w, nil
}

// Runs returns how many plugins the worker was given.
func (w *Worker) Runs() int { return w.runs }

// Alive reports whether the worker can run another plugin.
func (w *Worker) Alive() bool { return !w.dead }

// maxEvent bounds one event line: a log message is at most 64 KiB, which
// escaping can at most multiply by six.
const maxEvent = 1 << 20

func (w *Worker) readEvents(r *os.File) {
	defer r.Close()
	defer close(w.control)
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := readLine(br, maxEvent)
		if err != nil {
			return
		}
		var e event
		if json.Unmarshal(line, &e) != nil {
			continue
		}
		switch e.Ev {
		case evLog:
			if w.cfg.Handler != nil {
				w.cfg.Handler.Log(e.ID, e.Text)
			}
		case evWarn:
			if w.cfg.Handler != nil {
				w.cfg.Handler.Warn(e.ID, e.Kind, e.Text)
			}
		case evPhase, evResult:
			if e.Ev == evPhase && e.Phase == "init" && w.cfg.Handler != nil {
				w.cfg.Handler.Named(e.ID, e.Text)
			}
			w.control <- e
		}
	}
}

// readLine reads one line, dropping lines longer than max.
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
				return []byte{}, nil
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

// Run runs p in the worker and waits for the outcome, at most timeout
// (0: no limit) or until ctx is done. After an outcome other than Passed or
// Failed-with-a-result the worker is dead: start another.
func (w *Worker) Run(ctx context.Context, p Plugin, timeout time.Duration) Outcome {
	start := time.Now()
	out := Outcome{}
	if w.dead {
		out.Verdict, out.Exit = Failed, "the worker had already ended"
		return out
	}
	w.runs++
	req, _ := json.Marshal(request{ID: p.ID, Path: p.Path, HostAPI: p.HostAPI, CPULimit: p.CPULimit, AfterInit: p.AfterInit, Checked: p.Checked})
	if _, err := w.reqs.Write(append(req, '\n')); err != nil {
		// The worker died before it was asked: report how.
		w.dead = true
		<-w.exited
		return w.ended(&out, start, "")
	}

	var expire <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expire = t.C
	}
	for {
		select {
		case e, ok := <-w.control:
			if !ok {
				// The event channel closed: the worker is ending.
				w.dead = true
				<-w.exited
				return w.ended(&out, start, out.Phase)
			}
			if w.event(e, p.ID, &out) {
				return w.finish(&out, start)
			}
		case <-w.exited:
			// The worker is gone, but a process the plugin started may
			// hold the event pipe open: end the group, then take what the
			// worker sent before it went.
			w.dead = true
			killGroup(w.cmd.Process.Pid)
			drain := time.NewTimer(afterExitWait)
			defer drain.Stop()
			for {
				select {
				case e, ok := <-w.control:
					if !ok {
						return w.ended(&out, start, out.Phase)
					}
					if w.event(e, p.ID, &out) {
						return w.finish(&out, start)
					}
					continue
				case <-drain.C:
				}
				return w.ended(&out, start, out.Phase)
			}
		case <-expire:
			w.kill()
			out.Verdict = TimedOut
			out.Exit = fmt.Sprintf("still running after %v; killed", timeout)
			w.drain(&out)
			out.Duration = time.Since(start)
			return out
		case <-ctx.Done():
			w.kill()
			out.Verdict, out.Exit = Canceled, "interrupted"
			w.drain(&out)
			out.Duration = time.Since(start)
			return out
		}
	}
}

// event records a phase or result event for plugin id in out, and reports
// whether it was the result.
func (w *Worker) event(e event, id uint64, out *Outcome) bool {
	if e.ID != id {
		return false
	}
	if e.Ev == evPhase {
		out.Phase = e.Phase
		return false
	}
	out.Result, out.Phase = e.Result, ""
	out.Verdict = Failed
	if e.Result != nil && e.Result.OK {
		out.Verdict = Passed
	}
	return true
}

// finish collects the output of a plugin that gave its result.
func (w *Worker) finish(out *Outcome, start time.Time) Outcome {
	var ok1, ok2 bool
	out.Stdout, ok1 = w.stdout.next(markerWait)
	out.Stderr, ok2 = w.stderr.next(markerWait)
	if !ok1 || !ok2 || (out.Result != nil && out.Result.Unmarked) {
		// Output can no longer be told apart: retire the worker.
		w.Close()
	}
	out.Duration = time.Since(start)
	return *out
}

// ended fills out for a worker that ended while running a plugin.
func (w *Worker) ended(out *Outcome, start time.Time, phase string) Outcome {
	killGroup(w.cmd.Process.Pid) // anything the plugin started
	out.Phase = phase
	out.Verdict, out.Signal, out.Exit = describeExit(w.state)
	w.drain(out)
	out.Duration = time.Since(start)
	return *out
}

// kill ends the worker and everything in its process group, and waits for it.
func (w *Worker) kill() {
	w.dead = true
	killGroup(w.cmd.Process.Pid)
	<-w.exited
}

func (w *Worker) drain(out *Outcome) {
	out.Stdout, _ = w.stdout.next(afterExitWait)
	out.Stderr, _ = w.stderr.next(afterExitWait)
}

// Close ends the worker: it closes the request channel, which a worker
// waiting for a plugin takes as the end, and kills the process group, which
// ends one that is not waiting and anything it started. It waits for the
// worker to go.
func (w *Worker) Close() {
	if w.reqs != nil {
		w.reqs.Close()
		w.reqs = nil
	}
	w.kill()
}
