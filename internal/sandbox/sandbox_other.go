//go:build !linux

package sandbox

import (
	"errors"
	"runtime"
	"syscall"
)

// Supported is true where Confine can confine a worker.
const Supported = false

// Attr does nothing here: there is no sandbox on this system.
func Attr(*syscall.SysProcAttr, Policy) {}

func probeKernel() []Missing {
	return []Missing{{Namespaces, "plugctl has no sandbox on " + runtime.GOOS + " yet", "run plugctl verify --sandbox on Linux"}}
}

// LandlockABI is 0: no Landlock here.
func LandlockABI() int { return 0 }

// NamespacesMissing says namespaces are Linux's.
func NamespacesMissing(err error) Missing {
	return Missing{Namespaces, err.Error(), "run plugctl verify --sandbox on Linux"}
}

// Confine fails: there is no sandbox on this system.
func Confine(Policy, int) error { return errors.New("no sandbox on " + runtime.GOOS) }
