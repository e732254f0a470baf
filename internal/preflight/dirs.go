package preflight

import (
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// Dirs keeps what Check learnt of directories, for the files of one run:
// the working directory, and (on Unix) each directory's mode and real path.
// Its zero value is ready; it is safe for concurrent use.
type Dirs struct {
	m sync.Map // directory -> dirInfo

	wdOnce sync.Once
	wd     string
	wdErr  error
}

// abs is path made absolute, as filepath.Abs makes it, or path itself
// where that fails. The working directory is asked once per run:
// filepath.Abs asks on every call, with two stats, and Check needs a
// file's absolute path for its libraries, its findings and its directory
// (plugctl never changes its working directory). Windows paths go to
// filepath.Abs, which also resolves drive-relative ones.
func (c *Dirs) abs(path string) string {
	if c == nil || runtime.GOOS == "windows" {
		if a, err := filepath.Abs(path); err == nil {
			return a
		}
		return path
	}
	if filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	c.wdOnce.Do(func() { c.wd, c.wdErr = os.Getwd() })
	if c.wdErr != nil {
		return path
	}
	return filepath.Join(c.wd, path)
}
