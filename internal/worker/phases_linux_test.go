package worker

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/plugctl/plugctl/internal/report"
)

// What the worker stores in its mapping of the page, the parent reads in
// its own, and only for the request it names.
func TestPhasePage(t *testing.T) {
	parent, f, err := newPhasePage()
	if err != nil {
		t.Fatal(err)
	}
	defer parent.close()
	// The worker's side: its own mapping of the descriptor it is passed.
	worker, err := mapPhases(int(f.Fd()), unix.PROT_READ|unix.PROT_WRITE)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer worker.close()
	if got := parent.load(1); got != "" {
		t.Errorf("a new page says %q, want no phase", got)
	}
	for _, tc := range []struct {
		id    uint64
		phase report.Phase
	}{{1, report.PhaseLoad}, {1, report.PhaseInit}, {7, report.PhaseLoad}, {1 << 40, report.PhaseInit}} {
		worker.store(tc.id, tc.phase)
		if got := parent.load(tc.id); got != tc.phase {
			t.Errorf("after store(%d, %q): load = %q", tc.id, tc.phase, got)
		}
		if got := parent.load(tc.id + 1); got != "" {
			t.Errorf("after store(%d, %q): load(%d) = %q, want nothing for another request", tc.id, tc.phase, tc.id+1, got)
		}
	}
	// A word no worker writes (code 3) is no phase.
	*worker.word = 5<<2 | 3
	if got := parent.load(5); got != "" {
		t.Errorf("code 3: load = %q, want no phase", got)
	}
	// The phase only the parent sets is never stored.
	worker.store(9, report.PhaseSettle)
	if got := parent.load(9); got != "" {
		t.Errorf("after store(9, settle): load = %q, want nothing", got)
	}
}
