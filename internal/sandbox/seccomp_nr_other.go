//go:build linux && !(amd64 || arm64)

package sandbox

// nativeFilter: plugctl has no seccomp filter for this architecture.
func nativeFilter() (uint32, bool, []uint32, error) { return 0, false, nil, errNoFilter }
