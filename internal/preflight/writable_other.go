//go:build !unix

package preflight

// writable is a no-op where permissions are not Unix mode bits.
func (r *Report) writable(string, *Dirs) {}
