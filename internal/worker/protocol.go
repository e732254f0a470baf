// Package worker runs plugins in child processes, so that a plugin that
// crashes, hangs, exits or floods its output cannot take plugctl down or
// corrupt what plugctl prints.
//
// A worker is plugctl itself, re-executed with Arg as its first argument. The
// parent sends it plugins to run, one at a time, as JSON lines on fd 3; the
// worker runs each with launch.StartChecked and answers with JSON-line
// events on fd 4: the phase it is in, every log line and callback warning as
// it happens, and a final result. A plugin's own writes to fd 1 and fd 2 go
// to pipes the parent reads and caps; they never reach the event channel.
// Success comes only from a result event: a worker that dies, or exits
// (whatever its status) while a plugin runs, has failed that plugin.
//
// Isolation contains accidents, not malice: a plugin runs with the worker's
// privileges and could forge events if it set out to.
package worker

import (
	"time"

	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/plugctl/plugctl/internal/launch"
)

// Arg is the first command-line argument that starts plugctl as a worker.
const Arg = "__plugctl-worker"

// request asks a worker to run one plugin.
type request struct {
	ID        uint64        `json:"id"`
	Path      string        `json:"path"` // absolute
	HostAPI   uint32        `json:"host_api"`
	CPULimit  time.Duration `json:"cpu_limit,omitempty"` // 0: none
	AfterInit bool          `json:"after_init,omitempty"`
	// Checked is what the parent's preflight found; nil: the worker reads
	// the file first.
	Checked *launch.Checked `json:"checked,omitempty"`
}

// Event kinds a worker sends.
const (
	evPhase  = "phase"
	evLog    = "log"
	evWarn   = "warn"
	evResult = "result"
)

// event is one message from a worker. ID is the request it belongs to: log
// and warn events may name an earlier request whose plugin left a thread
// running.
type event struct {
	Ev     string  `json:"ev"`
	ID     uint64  `json:"id"`
	Phase  string  `json:"phase,omitempty"`
	Text   string  `json:"text,omitempty"`
	Kind   string  `json:"kind,omitempty"`
	Result *Result `json:"result,omitempty"`
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
}

// Failure is why a plugin did not start, as launch classified it.
type Failure struct {
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
	Hint   string `json:"hint,omitempty"`
}
