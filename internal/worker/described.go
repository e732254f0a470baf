package worker

import (
	"runtime"
	"sync"

	"github.com/plugctl/plugctl/internal/abi"
	"github.com/plugctl/plugctl/internal/launch"
	"github.com/plugctl/plugctl/internal/report"
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

// abiOf is the ABI request r starts its plugin under: plugctl's own, as a
// host of r.HostAPI, or the description r.ABI names, as a host of
// r.HostVersion (its newest when empty). Its errors are *launch.Error.
func abiOf(r request) (launch.ABI, error) {
	fail := func(detail string) error {
		return &launch.Error{Kind: report.KindLoadFailed, Path: r.Path, Detail: detail}
	}
	if r.ABI == "" {
		a, err := launch.V1(r.HostAPI)
		if err != nil {
			return a, fail("plugctl's own ABI: " + err.Error())
		}
		return a, nil
	}
	d, err := description(r.ABI)
	if err != nil {
		return launch.ABI{}, fail("the ABI description " + r.ABI + ": " + err.Error())
	}
	v := d.Newest()
	if r.HostVersion != "" {
		if v, err = abi.ParseVersion(r.HostVersion); err != nil {
			return launch.ABI{}, fail(err.Error())
		}
	}
	a, err := launch.Described(d, v)
	if err != nil {
		return a, fail("the synthetic host of " + d.Name + ": " + err.Error())
	}
	return a, nil
}
