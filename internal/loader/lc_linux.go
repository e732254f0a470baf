//go:build linux

package loader

// unixLCAll is glibc's and musl's LC_ALL.
const unixLCAll = 6
