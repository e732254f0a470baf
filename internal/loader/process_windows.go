//go:build windows

package loader

// DieOnFaults does nothing on Windows: an exception in plugin code ends the
// process with the exception code as its exit status.
func DieOnFaults() error { return nil }

// FlushOutput does nothing on Windows.
func FlushOutput() {}
