//go:build darwin || freebsd || linux || netbsd

package loader

import (
	"path/filepath"
	"runtime"

	"github.com/ebitengine/purego"
)

func isAbs(path string) bool { return filepath.IsAbs(path) }

func open(path string) (uintptr, error) {
	// dlerror is per thread: keep the dlopen and its dlerror on one.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return 0, &OpenError{Path: path, Msg: err.Error()}
	}
	return h, nil
}

func lookup(handle uintptr, name string) (uintptr, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return purego.Dlsym(handle, name)
}
