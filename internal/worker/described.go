package worker

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/plugctl/plugctl/internal/abi"
	"github.com/plugctl/plugctl/internal/launch"
	"github.com/plugctl/plugctl/internal/loader"
	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/sanitize"
	"github.com/plugctl/plugctl/internal/synth"
)

// descriptions are the described ABIs this worker has read, by file: a
// synthetic host's callbacks are made once per description and process.
var (
	descriptionsMu sync.Mutex
	descriptions   = map[string]*abi.Description{}
)

func description(path string) (*abi.Description, error) {
	descriptionsMu.Lock()
	defer descriptionsMu.Unlock()
	if d, ok := descriptions[path]; ok {
		return d, nil
	}
	d, err := abi.Load(path, abi.Target{OS: runtime.GOOS, Arch: runtime.GOARCH})
	if err != nil {
		return nil, err
	}
	descriptions[path] = d
	return d, nil
}

// describedSink sends what a plugin logs through a synthetic host's
// callbacks as the request's log lines.
type describedSink struct {
	s   *server
	key reqKey
}

func (d describedSink) Log(_ uintptr, text []byte) {
	d.s.send(event{Ev: evLog, ID: d.key.id, Token: d.key.token, Text: string(sanitize.Clean(string(text)))})
}

func (describedSink) Called(string, uintptr, []uint64) {}

// startDescribed loads the plugin of request r and starts it under the
// described ABI r names (package synth), reporting the phases as
// launch.Start does. Its errors are *launch.Error.
func (s *server) startDescribed(r request, phase func(report.Phase)) error {
	d, err := description(r.ABI)
	if err != nil {
		return &launch.Error{Kind: report.KindLoadFailed, Detail: "the ABI description " + r.ABI + ": " + err.Error()}
	}
	v := d.Newest()
	if r.HostVersion != "" {
		if v, err = abi.ParseVersion(r.HostVersion); err != nil {
			return &launch.Error{Kind: report.KindLoadFailed, Detail: err.Error()}
		}
	}
	host, err := synth.New(d, v, describedSink{s, reqKey{r.ID, r.Token}})
	if err != nil {
		return &launch.Error{Kind: report.KindLoadFailed, Detail: "the synthetic host of " + d.Name + ": " + err.Error()}
	}
	path, err := filepath.Abs(r.Path)
	if err != nil {
		return &launch.Error{Kind: report.KindLoadFailed, Detail: err.Error()}
	}
	phase(report.PhaseLoad)
	lib, err := loader.Open(path)
	if err != nil {
		return &launch.Error{Kind: report.KindLoadFailed, Detail: err.Error()}
	}
	phase(report.PhaseInit)
	started, err := host.Start(lib, path, uintptr(r.ID))
	phase("")
	var refused *synth.Refused
	switch {
	case errors.Is(err, synth.ErrNoEntry):
		return &launch.Error{Kind: report.KindNoEntry, Detail: err.Error(),
			Hint: "export the entry point " + d.Entry.Declaration + " as " + d.HeaderFile + " declares it, with C linkage"}
	case errors.As(err, &refused):
		return &launch.Error{Kind: report.KindInitFailed, Detail: d.Name + " refused it: " + err.Error(),
			Hint: fmt.Sprintf("build the plugin against %s %s", d.Name, refused.Host)}
	case err != nil:
		return &launch.Error{Kind: report.KindInitFailed, Detail: err.Error()}
	case !started:
		return &launch.Error{Kind: report.KindInitFailed, Detail: fmt.Sprintf("%s returned %s: the plugin refused to start", d.Entry.Declaration, map[abi.Success]string{
			abi.Nonzero: "false (0)", abi.Zero: "nonzero", abi.NonNull: "NULL"}[host.Success()])}
	}
	return nil
}
