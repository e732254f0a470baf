//go:build unix && !linux

package inspect

import "golang.org/x/sys/unix"

// dirFlags opens a directory to open files relative to it. Where there is
// no O_PATH this needs read permission on it; without, its files are
// opened by their whole path.
const dirFlags = unix.O_RDONLY

// fileFlags is what Openat needs and Open adds itself: nothing here.
const fileFlags = 0
