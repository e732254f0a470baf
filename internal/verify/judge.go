package verify

import (
	"fmt"
	"time"

	"github.com/plugctl/plugctl/internal/english"
	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/sanitize"
	"github.com/plugctl/plugctl/internal/worker"
)

// Judgement is the verdict on one plugin's run in a worker and, when it
// left something running, its settle period: what load and verify report.
type Judgement struct {
	Status       report.Verdict
	Check        report.Check
	Reason, Hint sanitize.Line
	Signal       string
	// Warnings are what the plugin changed in the state it shares with its
	// host, and the processes it left running.
	Warnings []report.Finding
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
	// plugin (report.DescriptorClosed...), if one did.
	Change report.ID
}

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
		j.fold(r.After, report.CheckInit)
	}
	if settle != nil && settle.Settled != nil {
		j.fold(settle.Settled, report.CheckSettle)
		for _, p := range settle.Settled.Processes {
			// A sandboxed worker sees its children, not their command lines.
			who := fmt.Sprintf("process %d", p.PID)
			if p.Command != "" {
				who += " (" + clip(p.Command) + ")"
			}
			j.Warnings = append(j.Warnings, report.NewWarning(report.LeftProcess, sanitize.Clean(fmt.Sprintf(
				"%s is still running %s after init_plugin returned: plugctl ended it; in a host it would outlive the plugin's work, holding files and ports, unless the host ends it",
				who, english.Seconds(j.Settle)))))
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
func (j *Judgement) fold(a *worker.Aftermath, check report.Check) {
	for _, c := range a.Changes {
		// The report comes from the worker: plugin territory.
		kind, detail := sanitize.Clean(string(c.Kind)), sanitize.Clean(c.Detail)
		if c.Fatal && j.Status == "" {
			j.Status, j.Check, j.Change, j.Reason = report.Fail, check, report.ID(kind), kind+": "+detail
			j.Hint = "a plugin must close or redirect only the descriptors it opened; the host's files, sockets and pipes are not its to touch"
			if check == report.CheckSettle {
				j.Reason = kind + ": after init_plugin returned, " + detail
			}
			continue
		}
		j.Warnings = append(j.Warnings, report.NewWarning(report.ID(kind), detail))
	}
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

type description struct {
	status       report.Verdict
	check        report.Check
	reason, hint sanitize.Line
}

// describe turns a worker's outcome into a verdict and its reason.
func describe(out worker.Outcome) description {
	check := report.CheckInit
	switch out.Phase {
	case report.PhaseLoad, "":
		check = report.CheckLoad
	case report.PhaseSettle:
		check = report.CheckSettle
	}
	if out.Verdict == worker.Passed {
		return description{status: report.Pass, reason: sanitize.Clean(out.StartedReason())}
	}
	if res := out.Result; res != nil && res.Error != nil && out.Phase != report.PhaseSettle {
		c := report.CheckLoad
		if res.Error.Kind == report.KindInitFailed {
			c = report.CheckInit
		}
		return description{report.Fail, c, sanitize.Clean(res.Error.Detail), sanitize.Clean(res.Error.Hint)}
	}
	reason, hint := out.Explain()
	status := map[worker.Verdict]report.Verdict{worker.Crashed: report.Crash, worker.TimedOut: report.Timeout}[out.Verdict]
	if status == "" || out.Forged != "" || out.Channel != "" {
		status = report.Fail
	}
	return description{status, check, sanitize.Clean(reason), sanitize.Clean(hint)}
}
