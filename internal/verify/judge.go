package verify

import (
	"fmt"
	"time"

	"github.com/plugctl/plugctl/internal/launch"
	"github.com/plugctl/plugctl/internal/sanitize"
	"github.com/plugctl/plugctl/internal/worker"
)

// Judgement is the verdict on one plugin's run in a worker and, when it
// left something running, its settle period: what load and verify report.
type Judgement struct {
	Status              Status
	Check, Reason, Hint string
	Signal              string
	// Warnings are "KIND: message" lines: what the plugin changed in the
	// state it shares with its host, and the processes it left running.
	Warnings []string
	// Threads counts the threads the plugin left running when init_plugin
	// returned (-1: unknown on this system).
	Threads int
	// Settle is how long plugctl watched the plugin after init_plugin
	// returned: 0 when it left nothing that could run.
	Settle time.Duration
	// Left names what it left that could run its code (worker.Aftermath).
	Left []string
	// Stdout and Stderr hold what the plugin wrote, its settle period
	// included.
	Stdout, Stderr worker.Output
	// Final is the outcome the verdict comes from: the settle period's if
	// the plugin did not live through it, else the run's.
	Final worker.Outcome
	// Change is the kind of the change to the host's state that failed the
	// plugin (procstate.KindDescriptorClosed...), if one did.
	Change string
}

// Warning kinds verify adds to the worker's state changes.
const (
	WarnLeftProcess = "left-process"
	WarnWorkerDied  = "worker-died"
)

// Judge turns a worker's outcome for one plugin, and (when run.Settling())
// the outcome of its settle period, into a verdict. limit is the number of
// bytes of output kept.
func Judge(run worker.Outcome, settle *worker.Outcome, limit int) Judgement {
	j := Judgement{Stdout: run.Stdout, Stderr: run.Stderr, Final: run}
	if settle != nil {
		j.Stdout, j.Stderr = run.Stdout.Append(settle.Stdout, limit), run.Stderr.Append(settle.Stderr, limit)
		j.Settle = settle.After
		if settle.Verdict != worker.Passed {
			j.Final = *settle
		}
	}
	if r := run.Result; r != nil && r.After != nil {
		j.Threads, j.Left = r.After.Threads, r.After.Left
		j.fold(r.After, CheckInit)
	}
	if settle != nil && settle.Settled != nil {
		j.fold(settle.Settled, CheckSettle)
		for _, p := range settle.Settled.Processes {
			j.Warnings = append(j.Warnings, warning(WarnLeftProcess, fmt.Sprintf(
				"process %d (%s) is still running %s after init_plugin returned: plugctl ended it; in a host it would outlive the plugin's work, holding files and ports, unless the host ends it",
				p.PID, clip(p.Command), seconds(j.Settle))))
		}
	}
	if j.Status != "" {
		return j // a fatal change decided it
	}
	d := describe(j.Final)
	j.Status, j.Check, j.Reason, j.Hint, j.Signal = d.status, d.check, d.reason, d.hint, j.Final.Signal
	return j
}

// fold adds the changes of a to j's warnings; a fatal one (a descriptor of
// the host's closed or replaced) fails the plugin at check, the first one
// giving the reason.
func (j *Judgement) fold(a *worker.Aftermath, check string) {
	for _, c := range a.Changes {
		if c.Fatal && j.Status == "" {
			j.Status, j.Check, j.Change, j.Reason = Fail, check, c.Kind, safe(c.Kind+": "+c.Detail)
			j.Hint = "a plugin must close or redirect only the descriptors it opened; the host's files, sockets and pipes are not its to touch"
			if check == CheckSettle {
				j.Reason = safe(c.Kind + ": after init_plugin returned, " + c.Detail)
			}
			continue
		}
		j.Warnings = append(j.Warnings, warning(c.Kind, c.Detail))
	}
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

type description struct {
	status              Status
	check, reason, hint string
}

// describe turns a worker's outcome into a verdict and its reason.
func describe(out worker.Outcome) description {
	check := CheckInit
	switch out.Phase {
	case worker.PhaseLoad, "":
		check = CheckLoad
	case worker.PhaseSettle:
		check = CheckSettle
	}
	if out.Verdict == worker.Passed {
		return description{status: Pass, reason: "init_plugin returned true"}
	}
	if res := out.Result; res != nil && res.Error != nil && out.Phase != worker.PhaseSettle {
		c := CheckLoad
		if res.Error.Kind == string(launch.InitFailed) {
			c = CheckInit
		}
		return description{Fail, c, safe(res.Error.Detail), safe(res.Error.Hint)}
	}
	reason, hint := out.Explain()
	status := map[worker.Verdict]Status{worker.Crashed: Crash, worker.TimedOut: Timeout}[out.Verdict]
	if status == "" || out.Forged != "" || out.Channel != "" {
		status = Fail
	}
	return description{status, check, safe(reason), safe(hint)}
}

func warning(kind, text string) string { return safe(kind) + ": " + safe(text) }

// safe makes untrusted text one safe line.
func safe(s string) string {
	t, _ := sanitize.Text([]byte(s))
	return t
}
