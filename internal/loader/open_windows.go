//go:build windows

package loader

import (
	"errors"
	"path/filepath"

	"golang.org/x/sys/windows"
)

func isAbs(path string) bool { return filepath.IsAbs(path) }

func open(path string) (uintptr, error) {
	// The safe search order for the plugin's dependencies: its own
	// directory, then the application's directory and System32; never the
	// current directory or PATH, where anyone could plant a DLL. The
	// preflight (internal/deps) models exactly this order.
	h, err := windows.LoadLibraryEx(path, 0, windows.LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR|windows.LOAD_LIBRARY_SEARCH_DEFAULT_DIRS)
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
