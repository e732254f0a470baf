package worker

import (
	"errors"
	"os"
	"strconv"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/plugctl/plugctl/internal/report"
)

// A phasePage is a page of memory plugctl and a worker share, where the
// worker says which step of which request's plugin is running: the parent
// reads it only when a run ended without a result (the plugin crashed,
// hung or ended the worker). A phase event on the
// channel would wake the parent twice a plugin; a store to the page costs
// neither process a system call. The page is one word, the request's ID
// shifted left by two and the phase's code (phaseCodes) in the low bits,
// so that a reader never sees one request's ID with another's phase.
//
// A plugin can write to the page as it can forge an event: both tell what
// the worker's memory says, and a plugin runs in that memory.
type phasePage struct {
	mem  []byte
	word *uint64
}

// phaseCodes are the phases by their code on the page; 0 is none yet.
var phaseCodes = [4]report.Phase{1: report.PhaseLoad, 2: report.PhaseInit}

// newPhasePage makes a page for a worker to be started: the parent maps it
// read-only, and passes the worker the file (close it once the worker has
// it).
func newPhasePage() (*phasePage, *os.File, error) {
	fd, err := unix.MemfdCreate("plugctl-phases", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, nil, err
	}
	f := os.NewFile(uintptr(fd), "plugctl-phases")
	if err := unix.Ftruncate(fd, int64(os.Getpagesize())); err != nil {
		f.Close()
		return nil, nil, err
	}
	p, err := mapPhases(fd, unix.PROT_READ)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return p, f, nil
}

// openPhasePage maps, in the worker, the page its parent passed as the
// descriptor named by s, and closes the descriptor: the mapping stays, and
// the worker's descriptors are what they would be without it.
func openPhasePage(s string) (*phasePage, error) {
	f := channel(s, "phases")
	if f == nil {
		return nil, errors.New("no descriptor " + strconv.Quote(s))
	}
	defer f.Close()
	return mapPhases(int(f.Fd()), unix.PROT_READ|unix.PROT_WRITE)
}

func mapPhases(fd, prot int) (*phasePage, error) {
	mem, err := unix.Mmap(fd, 0, os.Getpagesize(), prot, unix.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return &phasePage{mem: mem, word: (*uint64)(unsafe.Pointer(&mem[0]))}, nil
}

// store says that request id's plugin is in phase ph.
func (p *phasePage) store(id uint64, ph report.Phase) {
	for code, c := range phaseCodes {
		if c == ph && code > 0 {
			atomic.StoreUint64(p.word, id<<2|uint64(code))
			return
		}
	}
}

// load returns the phase request id's plugin was last said to be in.
func (p *phasePage) load(id uint64) report.Phase {
	w := atomic.LoadUint64(p.word)
	if w>>2 != id&(1<<62-1) {
		return ""
	}
	return phaseCodes[w&3]
}

// close unmaps the page.
func (p *phasePage) close() {
	if p != nil && p.mem != nil {
		_ = unix.Munmap(p.mem)
		p.mem, p.word = nil, nil
	}
}
