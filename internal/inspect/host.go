package inspect

import (
	"fmt"
	"runtime"
	"strings"
)

// HostArch returns this host's architecture in the names File uses.
func HostArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "386":
		return "i386"
	case "arm64":
		return "aarch64"
	case "loong64":
		return "loongarch64"
	}
	return runtime.GOARCH
}

// HostFormat returns the object format this host's loader reads.
func HostFormat() Format {
	switch runtime.GOOS {
	case "windows":
		return PE
	case "darwin", "ios":
		return MachO
	}
	return ELF
}

// HostBits returns this host's pointer width in bits.
func HostBits() int { return 32 << (^uintptr(0) >> 63) }

// IncompatibleError says why this host cannot load a file.
type IncompatibleError struct {
	File *File
	Why  string
}

func (e *IncompatibleError) Error() string { return e.Why }

// CheckHost returns an *IncompatibleError when this host's loader cannot load
// f: another format, OS, architecture or bitness. It does not look at
// dependencies.
func (f *File) CheckHost() error {
	// Said only when the file is refused: a listing asks of every file.
	host := func() string { return fmt.Sprintf("this host is %s %s (%d-bit)", runtime.GOOS, HostArch(), HostBits()) }
	if want := HostFormat(); f.Format != want {
		return &IncompatibleError{f, fmt.Sprintf("it is a %s file for %s; %s, which loads %s files", f.Format, f.OS, host(), want)}
	}
	if f.Archs != nil {
		for _, a := range f.Archs {
			if a == HostArch() {
				return nil
			}
		}
		return &IncompatibleError{f, fmt.Sprintf("it is a universal binary for %s; %s", strings.Join(f.Archs, ", "), host())}
	}
	if f.Arch != HostArch() || f.Bits != HostBits() {
		return &IncompatibleError{f, fmt.Sprintf("it is built for %s (%d-bit); %s", f.Arch, f.Bits, host())}
	}
	if f.Format == ELF && f.OS != "linux" && f.OS != runtime.GOOS {
		return &IncompatibleError{f, fmt.Sprintf("it is built for %s; %s", f.OS, host())}
	}
	return nil
}
