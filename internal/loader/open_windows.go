//go:build windows

package loader

import (
	"errors"
	"path/filepath"

	"golang.org/x/sys/windows"
)

func isAbs(path string) bool { return filepath.IsAbs(path) }

func open(path string) (uintptr, error) {
	// LOAD_WITH_ALTERED_SEARCH_PATH searches the DLL's own directory for its
	// dependencies, as a host loading plugins from a folder expects.
	h, err := windows.LoadLibraryEx(path, 0, windows.LOAD_WITH_ALTERED_SEARCH_PATH)
	if err != nil {
		e := &OpenError{Path: path, Msg: err.Error()}
		var errno windows.Errno
		if errors.As(err, &errno) {
			e.Code = uintptr(errno)
		}
		return 0, e
	}
	return uintptr(h), nil
}

func lookup(handle uintptr, name string) (uintptr, error) {
	return windows.GetProcAddress(windows.Handle(handle), name)
}
