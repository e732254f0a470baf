package inspect

import (
	"errors"
	"io/fs"
)

// ErrNotRegular is returned for a path that is not a regular file: a
// directory, a FIFO, a device or a socket. Such a path is never read.
var ErrNotRegular = errors.New("not a regular file")

// NotRegularError says what a path is instead of a regular file;
// errors.Is(err, ErrNotRegular) holds for it.
type NotRegularError struct{ Mode fs.FileMode }

func notRegular(m fs.FileMode) error { return &NotRegularError{m} }

func (e *NotRegularError) Is(target error) bool { return target == ErrNotRegular }

func (e *NotRegularError) Error() string {
	return "not a regular file: it is " + e.What()
}

// What names the kind of file, with its article: "a directory", "a named
// pipe (FIFO)".
func (e *NotRegularError) What() string {
	switch t := e.Mode.Type(); {
	case t&fs.ModeDir != 0:
		return "a directory"
	case t&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case t&fs.ModeCharDevice != 0:
		return "a character device"
	case t&fs.ModeDevice != 0:
		return "a block device"
	case t&fs.ModeSocket != 0:
		return "a socket"
	}
	return "a special file"
}
