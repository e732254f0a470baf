package worker

import "fmt"

// Where names the phase a plugin was in, for messages.
func (o Outcome) Where() string {
	switch o.Phase {
	case "load":
		return "while loading (in a library constructor or the loader)"
	case "init":
		return "in init_plugin"
	}
	return "before loading"
}

// Explain says, for an outcome other than Passed or a failure the worker
// reported itself, what happened and what to do about it.
func (o Outcome) Explain() (reason, hint string) {
	switch o.Verdict {
	case Crashed:
		return fmt.Sprintf("crashed %s: %s", o.Where(), o.Exit), crashHint(o.Signal)
	case TimedOut:
		return fmt.Sprintf("hung %s: %s", o.Where(), o.Exit),
			"a plugin must return from its constructors and init_plugin promptly; start long work on a thread of its own (or raise --timeout)"
	case Canceled:
		return "interrupted " + o.Where(), ""
	}
	exit := o.Exit
	if exit == "" {
		exit = "gave no result"
	}
	return fmt.Sprintf("the plugin ended the process %s: %s", o.Where(), exit),
		"a plugin must never call exit(), _exit() or similar; return false from init_plugin to refuse to start"
}

func crashHint(signal string) string {
	switch signal {
	case "SIGABRT":
		return "the plugin aborted: an assertion, a C++ exception or a Rust panic reaching an extern \"C\" boundary (use catch_unwind, or panic = \"abort\" only deliberately)"
	case "SIGXCPU":
		return "the plugin used more CPU time than --cpu-limit allows"
	case "SIGKILL":
		return "something other than plugctl killed the worker: the kernel's out-of-memory killer, or the CPU time hard limit"
	}
	return "run plugctl load --in-process under a debugger (gdb --args plugctl load --in-process PLUGIN) to see where"
}
