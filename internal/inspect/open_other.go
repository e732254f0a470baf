//go:build !unix

package inspect

import (
	"io/fs"
	"os"
)

// OpenRegular opens path for reading if it is a regular file, and returns
// it with its size; anything else is ErrNotRegular and is never read.
// Windows has no FIFOs or devices at file system paths.
func OpenRegular(path string) (*os.File, int64, error) {
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
	return fh, st.Size(), nil
}
