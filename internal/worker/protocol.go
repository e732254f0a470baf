// Package worker runs plugins in child processes, so that a plugin that
// crashes, hangs, exits or floods its output cannot take plugctl down or
// corrupt what plugctl prints, and watches what each plugin leaves behind
// in the process that loaded it.
//
// A worker is plugctl itself, re-executed with Arg as its first argument. The
// parent sends it requests as JSON lines on one pipe: run a plugin, or say
// what a plugin it ran has left after its settle period. The worker answers
// with JSON-line events on another: the phase it is in, every log line and
// callback warning as it happens, a result when init_plugin returns, and a
// settle report when asked. On Linux the phase goes instead to a page of
// memory both processes map (phasePage), which the parent reads only when a
// run ended without a result. Both pipes sit on high descriptors a plugin is
// unlikely to touch. A plugin's own writes to fd 1 and fd 2 go to pipes the
// parent reads and caps; they never reach the event channel.
//
// Success comes only from a result that carries the random token the parent
// chose for that request: a worker that dies or exits (whatever its status)
// while a plugin runs has failed that plugin, and any line on the channel
// that is not a well-formed event for the current request fails it too
// ("the plugin wrote to plugctl's channel"). Well-formed is the one form
// the worker writes: json.Marshal of an event, its keys in the struct's
// order, each once.
//
// After init_plugin returns, the worker compares the state it shares with
// the plugin (package procstate) with what it was before the plugin loaded,
// and lists what the plugin left running: threads, processes, signal
// handlers, timers. A plugin that left none of those has settled: nothing of
// it can run again. One that did is watched for a settle period; the caller
// gives it no other plugin (so whatever happens in the worker is that
// plugin's doing), then asks for a settle report, or learns how the worker
// died.
//
// On Linux the worker is a child subreaper, so that processes its plugins
// start stay its descendants even when they double-fork and leave its
// session, and so does plugctl, which ends the ones a dead worker leaves.
//
// Isolation contains accidents, not malice: a plugin runs with the worker's
// privileges, and one that reads the worker's memory can find the token and
// forge a result.
package worker

import (
	"time"

	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/plugctl/plugctl/internal/launch"
	"github.com/plugctl/plugctl/internal/procstate"
	"github.com/plugctl/plugctl/internal/report"
)

// Arg is the first command-line argument that starts plugctl as a worker.
const Arg = "__plugctl-worker"

// Requests a worker serves.
const (
	opRun    = "run"    // load a plugin and call init_plugin
	opSettle = "settle" // report what the plugin of the last run has left
)

// request is one line the parent sends.
type request struct {
	Op    string `json:"op"`
	ID    uint64 `json:"id"`
	Token string `json:"token"` // every event for the request carries it
	// Names asks for an init phase event, with the plugin's name, even
	// where the phase goes through the phase page.
	Names bool `json:"names,omitempty"`
	// For opRun:
	Path      string        `json:"path,omitempty"` // absolute
	HostAPI   uint32        `json:"host_api,omitempty"`
	CPULimit  time.Duration `json:"cpu_limit,omitempty"` // 0: none
	AfterInit bool          `json:"after_init,omitempty"`
	// Checked is what the parent's preflight found; nil: the worker reads
	// the file first.
	Checked *launch.Checked `json:"checked,omitempty"`
	// ABI, when set, is the TOML file of a described ABI the plugin is
	// started under (package synth), as a host of version HostVersion.
	ABI         string `json:"abi,omitempty"`
	HostVersion string `json:"host_version,omitempty"`
}

// Event kinds a worker sends.
const (
	evPhase   = "phase"
	evLog     = "log"
	evWarn    = "warn"
	evResult  = "result"
	evSettled = "settled"
)

// event is one message from a worker. ID and Token name the request it
// belongs to; the parent drops the worker, and fails its plugin, on any
// line that does not name the request it is waiting on.
type event struct {
	Ev     string       `json:"ev"`
	ID     uint64       `json:"id"`
	Token  string       `json:"tok"`
	Phase  report.Phase `json:"phase,omitempty"`
	Text   string       `json:"text,omitempty"`
	Kind   string       `json:"kind,omitempty"`
	Result *Result      `json:"result,omitempty"`
	After  *Aftermath   `json:"after,omitempty"` // evSettled
}

// Result is a worker's report on one plugin it ran to the end of
// init_plugin (or to a failure before it).
type Result struct {
	OK       bool              `json:"ok"`
	Name     string            `json:"name"` // from the manifest, else from the file name
	Manifest *hostapi.Manifest `json:"manifest,omitempty"`
	Error    *Failure          `json:"error,omitempty"`
	// Unmarked is true when the worker could not mark the end of the
	// plugin's output on fd 1 or fd 2 (the plugin closed or replaced them).
	Unmarked bool `json:"unmarked,omitempty"`
	// After is what the plugin left when init_plugin returned (nil when it
	// was never loaded).
	After *Aftermath `json:"after,omitempty"`
}

// Aftermath is what a plugin left in the worker: when init_plugin returned,
// or at the end of its settle period.
type Aftermath struct {
	// Changes to the state the worker shares with its plugins: since before
	// the plugin was loaded (in a Result), or since init_plugin returned
	// (in a settle report).
	Changes []procstate.Change `json:"changes,omitempty"`
	// Threads counts the threads the plugin left running (-1: unknown).
	Threads int `json:"threads"`
	// Processes the plugin started that are still running.
	Processes []Process `json:"processes,omitempty"`
	// Left names what the plugin left that can still run its code: threads,
	// processes, signal handlers, timers (or threads this system cannot
	// count). A plugin that left nothing has settled.
	Left []string `json:"left,omitempty"`
}

// Process is a process a plugin started.
type Process struct {
	PID     int    `json:"pid"`
	Command string `json:"command"` // its command line, sanitized later
}

// Failure is why a plugin did not start, as launch classified it.
type Failure struct {
	Kind   report.Kind `json:"kind"`
	Detail string      `json:"detail"`
	Hint   string      `json:"hint,omitempty"`
}

// Exit statuses of a worker that can no longer report over its channel:
// the plugin closed or replaced the descriptors it was on. A plugin could
// exit with these too; it would only be blamed for the channel instead of
// for exiting.
const (
	exitChannelClosed   = 90
	exitChannelReplaced = 91
)
