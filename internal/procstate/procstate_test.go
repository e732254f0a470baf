//go:build unix

package procstate

import (
	"slices"
	"strings"
	"testing"

	"github.com/plugctl/plugctl/internal/report"
)

// base is a host's state as a worker has it.
func base() Snapshot {
	sig := make([]Action, 65)
	for i := range sig {
		sig[i] = Action{Handler: 0x4000, Flags: saOnStack, Raw: [4]uint64{0x4000, saOnStack}}
	}
	sig[sigSEGV] = Action{}
	return Snapshot{
		Dir: "/work", Umask: 0o22, Signals: sig, Locale: "C", Threads: 0,
		FDs: []FD{
			{Num: 0, Dev: 1, Ino: 10, Desc: "/dev/null"},
			{Num: 1, Dev: 2, Ino: 20, Desc: "pipe:[20]"},
			{Num: 600, Dev: 2, Ino: 30, CloExec: true, Desc: "pipe:[30]"},
		},
		Env:    []string{"HOME=/root", "PATH=/bin"},
		Limits: []Limit{{Name: "RLIMIT_NOFILE", Soft: 1024, Max: 4096}},
	}
}

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(s *Snapshot)
		kind   report.ID
		fatal  bool
		detail string // a part of the detail
	}{
		{"dir", func(s *Snapshot) { s.Dir = "/" }, report.WorkingDirectory, false, `from "/work" to "/"`},
		{"umask", func(s *Snapshot) { s.Umask = 0o77 }, report.Umask, false, "from 0022 to 0077"},
		{"closed", func(s *Snapshot) { s.FDs = s.FDs[1:] }, report.DescriptorClosed, true, `closed descriptor 0 (stdin: "/dev/null")`},
		{"replaced", func(s *Snapshot) { s.FDs = slices.Clone(s.FDs); s.FDs[1].Ino, s.FDs[1].Desc = 99, "/dev/null" },
			report.DescriptorReplaced, true, `replaced descriptor 1 (stdout: "pipe:[20]"), which the host had open, with "/dev/null"`},
		{"channel", func(s *Snapshot) { s.FDs = s.FDs[:2] }, report.DescriptorClosed, true, "descriptor 600 (plugctl's channel"},
		{"left", func(s *Snapshot) { s.FDs = append(slices.Clone(s.FDs), FD{Num: 3, Desc: "/tmp/log"}) },
			report.DescriptorLeftOpen, false, `left descriptor 3 open ("/tmp/log"), not close-on-exec`},
		{"left cloexec", func(s *Snapshot) { s.FDs = append(slices.Clone(s.FDs), FD{Num: 3, CloExec: true, Desc: "x"}) },
			report.DescriptorLeftOpen, false, "close-on-exec, so programs the host starts do not inherit it"},
		{"segv", func(s *Snapshot) {
			s.Signals = slices.Clone(s.Signals)
			s.Signals[sigSEGV] = Action{Handler: 0x9000, Raw: [4]uint64{0x9000}}
		},
			report.SignalHandler, false, "installed its own handler for SIGSEGV (it was the default action): the handler has no SA_ONSTACK"},
		{"segv onstack", func(s *Snapshot) {
			s.Signals = slices.Clone(s.Signals)
			s.Signals[sigSEGV] = Action{Handler: 0x9000, Flags: saOnStack, Raw: [4]uint64{0x9000, saOnStack}}
		}, report.SignalHandler, false, "faults in the host's own code now go to the plugin's handling"},
		{"sigpipe", func(s *Snapshot) {
			s.Signals = slices.Clone(s.Signals)
			s.Signals[sigPIPE] = Action{Handler: 1, Raw: [4]uint64{1}}
		},
			report.SignalHandler, false, "changed SIGPIPE from the host's handler to ignored: an ignored SIGPIPE is inherited"},
		{"sigchld", func(s *Snapshot) {
			s.Signals = slices.Clone(s.Signals)
			s.Signals[sigCHLD] = Action{Handler: 1, Raw: [4]uint64{1}}
		},
			report.SignalHandler, false, "waitpid fails with ECHILD"},
		{"sigterm", func(s *Snapshot) { s.Signals = slices.Clone(s.Signals); s.Signals[sigTERM] = Action{Raw: [4]uint64{}} },
			report.SignalHandler, false, "changed SIGTERM from the host's handler to the default action: the host's own shutdown on SIGTERM is gone"},
		{"flags", func(s *Snapshot) { s.Signals = slices.Clone(s.Signals); s.Signals[sigINT].Raw[1] = 0 },
			report.SignalHandler, false, "changed the flags or mask of SIGINT's handling"},
		{"mask", func(s *Snapshot) { s.Mask = 1 << (sigINT - 1) }, report.SignalMask, false, "left SIGINT blocked on the host's thread"},
		{"unmask", func(s *Snapshot) { s.Mask = 0 }, report.SignalMask, false, "unblocked SIGHUP"},
		{"env", func(s *Snapshot) { s.Env = []string{"A=secret", "HOME=/", "PATH=/bin"} }, report.Environment, false, `set "A"; changed "HOME" in the environment`},
		{"unset", func(s *Snapshot) { s.Env = []string{"PATH=/bin"} }, report.Environment, false, `unset "HOME" in`},
		{"locale", func(s *Snapshot) { s.Locale = "de_DE.UTF-8" }, report.Locale, false, `from "C" to "de_DE.UTF-8"`},
		{"limit", func(s *Snapshot) { s.Limits = []Limit{{Name: "RLIMIT_NOFILE", Soft: 256, Max: infinity}} }, report.ResourceLimit, false,
			"changed RLIMIT_NOFILE from 1024 (hard 4096) to 256 (hard unlimited)"},
		{"timer", func(s *Snapshot) { s.Timers = []string{"the interval timer ITIMER_REAL"} }, report.Timer, false, "armed the interval timer ITIMER_REAL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, after := base(), base()
			if tc.name == "unmask" {
				before.Mask = 1 << (sigHUP - 1)
			}
			tc.change(&after)
			got := Compare(before, after, Names{0: "stdin", 1: "stdout", 600: "plugctl's channel"})
			if len(got) != 1 {
				t.Fatalf("got %d changes: %+v", len(got), got)
			}
			c := got[0]
			if c.Kind != tc.kind || c.Fatal != tc.fatal || !strings.Contains(c.Detail, tc.detail) {
				t.Errorf("got %s (fatal %v): %s\nwant %s (fatal %v) containing %q", c.Kind, c.Fatal, c.Detail, tc.kind, tc.fatal, tc.detail)
			}
			if strings.Contains(c.Detail, "secret") {
				t.Errorf("a variable's value is shown: %s", c.Detail)
			}
		})
	}
	if got := Compare(base(), base(), nil); len(got) != 0 {
		t.Errorf("no change: got %+v", got)
	}
}

func TestRunning(t *testing.T) {
	b := base()
	if got := Running(b, b); len(got) != 0 {
		t.Errorf("nothing left: got %q", got)
	}
	s := base()
	s.Threads = 2
	s.Signals = slices.Clone(s.Signals)
	s.Signals[sigSEGV] = Action{Handler: 0x9000}
	s.Signals[sigPIPE] = Action{Handler: 1} // ignoring runs nothing
	s.Timers = []string{"a timer"}
	want := []string{"2 threads", "a handler for SIGSEGV", "a timer"}
	if got := Running(b, s); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	s = base()
	s.Threads = -1
	if got := Running(b, s); len(got) != 1 || !strings.Contains(got[0], "cannot count") {
		t.Errorf("unknown threads: got %q", got)
	}
}
