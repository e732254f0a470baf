//go:build !linux

package worker

import (
	"errors"
	"os"

	"github.com/plugctl/plugctl/internal/report"
)

// phasePage is Linux's (phases_linux.go): elsewhere a worker sends its
// phases as events.
type phasePage struct{}

func newPhasePage() (*phasePage, *os.File, error) { return nil, nil, nil }

func openPhasePage(string) (*phasePage, error) {
	return nil, errors.New("this system has no phase page")
}

func (*phasePage) store(uint64, report.Phase) {}
func (*phasePage) load(uint64) report.Phase   { return "" }
func (*phasePage) close()                     {}
