//go:build windows

package loader

// DieOnFaults does nothing on Windows: an exception in plugin code ends the
// process with the exception code as its exit status.
func DieOnFaults() error { return nil }

// FlushOutput does nothing on Windows.
func FlushOutput() {}

// Locale returns "" on Windows: plugctl does not read the C runtime's
// locale there.
func Locale() string { return "" }

// CEnviron returns nil on Windows: the process environment is Go's own
// view there.
func CEnviron([]string) []string { return nil }
