//go:build darwin || freebsd || netbsd

package loader

// unixLCAll is LC_ALL on macOS and the BSDs.
const unixLCAll = 0
