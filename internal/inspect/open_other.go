//go:build !unix

package inspect

import (
	"io/fs"
	"os"
)

// OpenRegular opens path for reading if it is a regular file, and returns
// it with its size; anything else is ErrNotRegular and is never read.
// Windows has no FIFOs or devices at file system paths.
func OpenRegular(path string) (Regular, int64, error) { return openRegular(nil, path) }

// Dirs is where other systems open files relative to their directories:
// here, nowhere; files are opened by their whole path.
type Dirs struct{}

// Close does nothing.
func (*Dirs) Close() {}

func openRegular(_ *Dirs, path string) (Regular, int64, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		fh.Close()
		return nil, 0, &fs.PathError{Op: "open", Path: path, Err: notRegular(st.Mode().Type())}
	}
	return osRegular{fh, st.Size(), st.Mode()}, st.Size(), nil
}

// osRegular is an os.File with the size it had when opened.
type osRegular struct {
	*os.File
	size int64
	mode fs.FileMode
}

func (f osRegular) Size() int64 { return f.size }

func (f osRegular) Mode() fs.FileMode { return f.mode }

// PathIsLink is true: opening does not tell.
func (f osRegular) PathIsLink() bool { return true }
