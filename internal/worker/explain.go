package worker

import (
	"fmt"
	"strings"

	"github.com/plugctl/plugctl/internal/english"
	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/plugctl/plugctl/internal/report"
)

// Where names the phase a plugin was in, for messages.
func (o Outcome) Where() string {
	switch o.Phase {
	case report.PhaseLoad:
		return "while loading (in a library constructor or the loader)"
	case report.PhaseInit:
		return "in " + o.entry()
	case report.PhaseSettle:
		where := fmt.Sprintf("%s after %s returned", english.Seconds(o.After), o.entry())
		if r := o.Result; r != nil && r.After != nil && len(r.After.Left) > 0 {
			where += " (it had left " + strings.Join(r.After.Left, ", ") + ")"
		}
		return where
	}
	return "before loading"
}

// Hints for what the evidence shows.
const (
	hintChannel = "a plugin must close or redirect only the descriptors it opened: code that closes every descriptor from 3 up, or redirects them (as daemons do), breaks every host it is loaded into, whose files, sockets and pipes those are"
	hintForged  = "a plugin must write only to descriptors it opened; plugctl's worker reports over a channel of its own, and no line on it may come from elsewhere"
)

// Explain says, for an outcome other than Passed or a failure the worker
// reported itself, what happened and what to do about it. Every reason
// names what the evidence shows: the signal, the exit status, the channel.
func (o Outcome) Explain() (reason, hint string) {
	switch {
	case o.Forged != "":
		return fmt.Sprintf("the plugin wrote to plugctl's channel %s: %q", o.Where(), o.Forged), hintForged
	case o.Channel != "":
		return fmt.Sprintf("the plugin %s plugctl's channel to its worker %s", o.Channel, o.Where()), hintChannel
	}
	switch o.Verdict {
	case Crashed:
		return fmt.Sprintf("crashed %s: %s", o.Where(), o.Exit), o.crashHint()
	case TimedOut:
		if o.Phase == report.PhaseSettle {
			return fmt.Sprintf("stopped answering %s: %s", o.Where(), o.Exit),
				"a thread or a signal handler the plugin left running stopped or deadlocked the host's process; run plugctl load --in-process under a debugger to see where"
		}
		return fmt.Sprintf("hung %s: %s", o.Where(), o.Exit),
			"a plugin must return from its constructors and " + o.entry() + " promptly; start long work on a thread of its own (or raise --timeout)"
	case Canceled:
		return "interrupted " + o.Where(), ""
	case NotRun:
		return "not run: plugctl could not start a worker process for it (" + o.Exit + ")",
			"this is plugctl's failure, not the plugin's: check the limits on processes, memory and open files (ulimit -u, ulimit -v, ulimit -n) and run again"
	}
	if o.RuntimeError != "" {
		hint := "the plugin broke the host's runtime; run plugctl load --in-process under a debugger to see where"
		if strings.Contains(o.RuntimeError, "netpoll") || strings.Contains(o.RuntimeError, "epoll") {
			hint = "the plugin closed or replaced the host runtime's epoll descriptor: " + hintChannel
		}
		return fmt.Sprintf("the host's runtime failed %s (%s)", o.Where(), o.RuntimeError), hint
	}
	exit := o.Exit
	if exit == "" {
		exit = "gave no result"
	}
	return fmt.Sprintf("the plugin ended the process %s: %s", o.Where(), exit), o.exitHint()
}

func (o Outcome) exitHint() string {
	refuse := "return false from init_plugin"
	if o.entry() != hostapi.EntrySymbol {
		refuse = "return a failure from " + o.entry()
	}
	return "a plugin must never call exit(), _exit() or similar; " + refuse + " to refuse to start"
}

func (o Outcome) crashHint() string {
	switch o.Signal {
	case "SIGABRT":
		return "the plugin aborted: an assertion, a C++ exception or a Rust panic reaching an extern \"C\" boundary (use catch_unwind, or panic = \"abort\" only deliberately)"
	case "SIGXCPU", "CPU_TIME_LIMIT":
		return "the plugin used more CPU time than --cpu-limit allows"
	case "SIGKILL":
		if o.KillEvidence != "" {
			return "plugctl did not send this SIGKILL: " + o.KillEvidence
		}
		if oomKills() >= 0 {
			return "plugctl did not send this SIGKILL, and neither the kernel's out-of-memory killer nor the CPU time limit did: the plugin killed its own process, or something outside plugctl killed it"
		}
		return "plugctl did not send this SIGKILL: the plugin killed its own process, or something outside plugctl did (the out-of-memory killer cannot be checked on this system)"
	}
	if o.Phase == report.PhaseSettle {
		return "a thread or signal handler the plugin left running crashed the host after " + o.entry() + " returned; run plugctl load --in-process --wait 1s under a debugger (" + debugger + " plugctl load --in-process --wait 1s PLUGIN) to see where"
	}
	return "run plugctl load --in-process under a debugger (" + debugger + " plugctl load --in-process PLUGIN) to see where"
}
