package worker

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/plugctl/plugctl/internal/sandbox"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"

	"github.com/plugctl/plugctl/internal/abi"
	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/plugctl/plugctl/internal/launch"
	"github.com/plugctl/plugctl/internal/loader"
	"github.com/plugctl/plugctl/internal/procstate"
	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/sanitize"
)

// Serve is the worker's main: args are the arguments after Arg. It returns
// 1 when the worker could not run; otherwise the worker ends, with everything
// its plugins started (endGroup), when its parent closes the request channel
// or dies, even while a plugin runs (endWithParent), and with a status of
// its own when a plugin took its channel away.
func Serve(args []string) int {
	// A worker runs one plugin at a time: it needs few of the runtime's
	// processors, and each costs it threads (idleThreads starts 2n+4 of
	// them, and every snapshot reads each thread's state) and collector
	// workers. Told the machine has 32 (GOMAXPROCS=32), plugctl load took
	// 69 ms with the default, 54 ms with this, against 50 ms with 2. Set,
	// the count is also never changed by the runtime on its own (it
	// follows the CPU quota) while a plugin runs.
	runtime.GOMAXPROCS(min(runtime.GOMAXPROCS(0), workerProcs))
	if len(args) == 1 && args[0] == probeArg {
		return 0 // started in the sandbox's namespaces: they work
	}
	cfg, err := parseArgs(args)
	if err != nil {
		os.Stderr.WriteString("plugctl worker: " + err.Error() + "\n")
		return 1
	}
	if cfg.sandbox != nil {
		// Returns only if it failed: it re-executes the worker confined.
		err := sandbox.Confine(*cfg.sandbox, len(os.Args)-1)
		os.Stderr.WriteString("plugctl worker: confining itself: " + err.Error() + "\n")
		return exitSandbox
	}
	reqs, evs := channel(cfg.requests, "requests"), channel(cfg.events, "events")
	if reqs == nil || evs == nil {
		os.Stderr.WriteString("plugctl worker: started without its channels; this mode is for plugctl's own use\n")
		return 1
	}
	// Out of the way of plugins that dup2 onto, or close, low descriptors;
	// and close-on-exec, so a program a plugin runs does not hold them.
	if reqs, err = moveHigh(reqs); err == nil {
		evs, err = moveHigh(evs)
	}
	if err != nil {
		os.Stderr.WriteString("plugctl worker: moving its channels: " + err.Error() + "\n")
		return 1
	}
	var page *phasePage
	if cfg.phases != "-" {
		// Before the memory limit: mapping it needs address space.
		if page, err = openPhasePage(cfg.phases); err != nil {
			os.Stderr.WriteString("plugctl worker: mapping its phase page: " + err.Error() + "\n")
			return 1
		}
	}
	if err := limitSelf(cfg.maxMemory); err != nil {
		os.Stderr.WriteString("plugctl worker: setting limits: " + err.Error() + "\n")
		return 1
	}
	if err := loader.DieOnFaults(); err != nil {
		os.Stderr.WriteString("plugctl worker: " + err.Error() + "\n")
		return 1
	}
	becomeReaper()
	warmUp()
	s := &server{
		events: evs, reqs: reqs, marker: []byte(marker(cfg.token)), page: page,
		ids: map[*hostapi.Plugin]reqKey{}, hosts: map[hostKey]*hostapi.Host{},
		names: procstate.Names{0: "stdin", 1: "stdout", 2: "stderr"},
	}
	s.names[int(reqs.Fd())] = "plugctl's request channel"
	s.names[int(evs.Fd())] = "plugctl's event channel"
	s.reqID, s.evID = fileIdentity(reqs), fileIdentity(evs)
	s.outID = [2]identity{fileIdentity(os.Stdout), fileIdentity(os.Stderr)}
	var err2 error
	onHostThread(func() { s.base, err2 = take() })
	if err2 != nil {
		os.Stderr.WriteString("plugctl worker: naming its host thread: " + err2.Error() + "\n")
		return 1
	}
	endWithParent(reqs)
	dec := json.NewDecoder(bufio.NewReader(reqs))
	for {
		var r request
		if err := dec.Decode(&r); err != nil {
			// The parent closed the channel or died, unless a plugin took
			// the channel away.
			s.checkChannel()
			var se *json.SyntaxError
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &se) {
				endGroup(0)
			}
			endGroup(exitChannelClosed)
		}
		switch r.Op {
		case opRun:
			onHostThread(func() { s.run(r) })
		case opSettle:
			onHostThread(func() { s.settle(r) })
		}
	}
}

// onHostThread runs f with the goroutine locked to its thread, as the
// snapshots and plugin code need: the thread's signal mask is compared, and
// the threads a plugin starts from it are told from the runtime's by the
// name it has meanwhile (procstate.MarkHostThread). Between requests the
// goroutine is not locked: a locked goroutine that waits for a request
// makes the runtime hand it back to its thread on every wake-up, which cost
// a third more time per plugin.
func onHostThread(f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	f()
}

// take takes a snapshot on the calling (locked) thread, marked as the host
// thread for it.
func take() (procstate.Snapshot, error) {
	unmark, err := procstate.MarkHostThread()
	if err != nil {
		return procstate.Snapshot{}, err
	}
	defer unmark()
	return procstate.Take(), nil
}

type config struct {
	token            string
	maxMemory        uint64
	requests, events string // the channels' file descriptors (handles on Windows)
	phases           string // the phase page's descriptor; "-": none
	// sandbox is the policy to confine itself under; nil when there is
	// none, or when it is the confined worker already.
	sandbox *sandbox.Policy
}

// workerProcs is the most processors (GOMAXPROCS) a worker uses.
const workerProcs = 2

// probeArg is the argument of a worker started only to see that the
// sandbox's namespaces can be created (ProbeSandbox).
const probeArg = "sandbox-probe"

// exitSandbox is the exit status of a worker that could not confine
// itself.
const exitSandbox = 125

// parseArgs reads the worker's arguments: the output marker token, the
// address-space limit in bytes (0 for none), its channels, its phase page
// ("-" for none), and the sandbox policy if it runs in one.
func parseArgs(args []string) (config, error) {
	if (len(args) != 5 && len(args) != 6) || len(args[0]) < 16 {
		return config{}, errors.New("usage: plugctl " + Arg + " TOKEN MAX_MEMORY REQUESTS EVENTS PHASES [SANDBOX] (for plugctl's own use)")
	}
	n, err := strconv.ParseUint(args[1], 10, 64)
	if err != nil {
		return config{}, err
	}
	cfg := config{token: args[0], maxMemory: n, requests: args[2], events: args[3], phases: args[4]}
	if len(args) == 6 {
		p, ok, done, err := sandbox.FromArg(args[5])
		switch {
		case err != nil:
			return config{}, fmt.Errorf("the sandbox policy: %w", err)
		case !ok:
			return config{}, fmt.Errorf("a fifth argument that is no sandbox policy")
		case !done:
			cfg.sandbox = &p
		}
	}
	return cfg, nil
}

// channel opens the inherited file descriptor (or handle) named by s, or
// returns nil.
func channel(s, name string) *os.File {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n < 3 {
		return nil
	}
	return os.NewFile(uintptr(n), name)
}

// marker is written to fd 1 and fd 2 after each plugin, so the parent can
// tell where one plugin's output ends and the next one's begins.
func marker(token string) string { return "\x00plugctl-end-of-output-" + token + "\x00" }

// reqKey names a request: its ID and the token every event for it carries.
type reqKey struct {
	id    uint64
	token string
}

type server struct {
	mu      sync.Mutex // serialises writes to events; guards ids and current
	events  *os.File
	reqs    *os.File
	marker  []byte
	ids     map[*hostapi.Plugin]reqKey
	current reqKey
	hosts   map[hostKey]*hostapi.Host
	page    *phasePage // where phases go; nil: as events

	// What the channels are, to tell a plugin that took them away.
	reqID, evID identity
	outID       [2]identity // stdout and stderr, where the markers go
	names       procstate.Names

	// base is the state after the last plugin's init_plugin returned (or
	// at start): the state the next plugin finds.
	base procstate.Snapshot
	// last is the last plugin run, which a settle request may ask about.
	last reqKey
}

func (s *server) send(e event) {
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	b = append(b, '\n')
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.events.Write(b); err != nil {
		if isBrokenPipe(err) {
			// The parent is gone: nobody is left to report to.
			endGroup(0)
		}
		// A plugin closed the channel (or put something unwritable there).
		s.checkChannel()
		endGroup(exitChannelClosed)
	}
}

// checkChannel ends the worker with exitChannelClosed or
// exitChannelReplaced if a plugin closed or replaced either channel: the
// parent can then learn it only from the exit status.
func (s *server) checkChannel() {
	for _, c := range []struct {
		f  *os.File
		id identity
	}{{s.reqs, s.reqID}, {s.events, s.evID}} {
		switch now, open := fdIdentity(c.f); {
		case !open:
			endGroup(exitChannelClosed)
		case now != c.id:
			endGroup(exitChannelReplaced)
		}
	}
}

// hostKey is an ABI and a version of it a host speaks.
type hostKey struct {
	abi     *abi.Description
	version abi.Version
}

// host is the host state plugins started under a are attached to.
func (s *server) host(a launch.ABI, afterInit bool) *hostapi.Host {
	k := hostKey{a.Host.Description(), a.Version}
	h := s.hosts[k]
	if h == nil {
		h = hostapi.NewHost(a.Encoded(), s)
		h.KeepLogs = 0 // the parent keeps them
		s.hosts[k] = h
	}
	h.WarnAfterInit = afterInit
	return h
}

// key returns the request p belongs to: the one it was attached in, or the
// running one for a callback no plugin could be found for.
func (s *server) key(p *hostapi.Plugin) reqKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.ids[p]; ok && p != nil {
		return k
	}
	return s.current
}

// Log and Warn make the server the Sink of its hosts.
func (s *server) Log(p *hostapi.Plugin, msg sanitize.Line) {
	k := s.key(p)
	s.send(event{Ev: evLog, ID: k.id, Token: k.token, Text: string(msg)})
}

func (s *server) Warn(p *hostapi.Plugin, w hostapi.Warning) {
	k := s.key(p)
	s.send(event{Ev: evWarn, ID: k.id, Token: k.token, Kind: w.Kind.String(), Text: w.Detail})
}

func (s *server) run(r request) {
	k := reqKey{r.ID, r.Token}
	s.mu.Lock()
	s.current = k
	s.mu.Unlock()
	setCPULimit(r.CPULimit)
	name := ""
	obs := launch.Observer{
		// The init phase carries the plugin's name, for a parent that
		// shows log lines as they come.
		Phase: func(ph report.Phase) {
			if s.page != nil {
				s.page.store(r.ID, ph)
				if !r.Names || ph != report.PhaseInit {
					return
				}
			}
			s.send(event{Ev: evPhase, ID: r.ID, Token: r.Token, Phase: ph, Text: name})
		},
		Attached: func(p *hostapi.Plugin) {
			s.mu.Lock()
			s.ids[p] = k
			s.mu.Unlock()
			name = p.Name()
		},
	}
	before := s.base
	// The mask compared is that of this thread, the one init_plugin runs on.
	before.Mask = procstate.Mask()
	if unmark, err := procstate.MarkHostThread(); err == nil {
		defer unmark()
	}
	var p *launch.Plugin
	a, err := abiOf(r)
	if err == nil {
		p, err = launch.StartChecked(s.host(a, r.AfterInit), a, r.Path, r.Checked, obs)
	}
	// Before anything else can block: is the channel still ours?
	s.checkChannel()

	res := &Result{OK: err == nil, Name: launch.Name(r.Path)}
	if p != nil {
		res.Name, res.Manifest = p.Name(), p.Manifest
	}
	if err != nil {
		// launch.StartChecked returns only *launch.Error; anything else
		// is still a load that failed.
		res.Error = &Failure{Kind: report.KindLoadFailed, Detail: err.Error()}
		var le *launch.Error
		if errors.As(err, &le) {
			res.Error = &Failure{Kind: le.Kind, Detail: le.Detail, Hint: le.Hint}
		}
	}
	// What the plugin printed through stdio must reach the pipes before the
	// marker that ends its output.
	loader.FlushOutput()
	after := procstate.Take()
	res.After = s.aftermath(before, after)
	s.base, s.last = after, k
	// The markers go just before the result, so that the parent, woken
	// once, finds all three.
	res.Unmarked = s.markOutput()
	s.send(event{Ev: evResult, ID: r.ID, Token: r.Token, Result: res})
}

// settle reports what the last plugin run has left since its init_plugin
// returned: the caller waited its settle period first.
func (s *server) settle(r request) {
	if (reqKey{r.ID, r.Token}) != s.last {
		return // not a request for this worker's last plugin: never sent
	}
	s.checkChannel()
	loader.FlushOutput()
	now, err := take()
	if err != nil {
		now = procstate.Take()
	}
	// The thread init_plugin ran on is not this one: there is no mask to
	// compare.
	now.Mask = s.base.Mask
	after := s.aftermath(s.base, now)
	s.markOutput()
	s.base = now
	s.send(event{Ev: evSettled, ID: r.ID, Token: r.Token, After: after})
}

// aftermath compares two snapshots and lists what the plugin left running.
func (s *server) aftermath(before, after procstate.Snapshot) *Aftermath {
	a := &Aftermath{Changes: procstate.Compare(before, after, s.names), Threads: after.Threads, Processes: liveDescendants()}
	a.Left = procstate.Running(before, after)
	switch n := len(a.Processes); {
	case n == 1:
		a.Left = append(a.Left, "1 process")
	case n > 1:
		a.Left = append(a.Left, strconv.Itoa(n)+" processes")
	}
	return a
}

// markOutput writes the marker that ends a plugin's output to fd 1 and fd 2,
// and reports whether it could not, because the plugin closed or replaced
// either.
func (s *server) markOutput() (unmarked bool) {
	for i, f := range []*os.File{os.Stdout, os.Stderr} {
		if now, open := fdIdentity(f); !open || now != s.outID[i] {
			unmarked = true
			continue
		}
		if _, err := f.Write(s.marker); err != nil {
			unmarked = true
		}
	}
	return unmarked
}
