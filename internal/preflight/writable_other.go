//go:build !unix

package preflight

import "github.com/plugctl/plugctl/internal/inspect"

// writable is a no-op where permissions are not Unix mode bits.
func (r *Report) writable(string, *Dirs) {}

// Dirs keeps what Check learnt of directories: nothing, where permissions
// are not Unix mode bits.
type Dirs struct {
	files inspect.Dirs // where the run's files are opened
}

// abs is path made absolute by filepath.Abs (which also resolves Windows'
// drive-relative paths), or path itself where that fails.
func (*Dirs) abs(path string) string { return absOrSelf(path) }
