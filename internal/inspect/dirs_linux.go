package inspect

import "golang.org/x/sys/unix"

// dirFlags opens a directory only to open files relative to it: O_PATH
// needs no read permission on it, as opening by the whole path does not.
const dirFlags = unix.O_PATH

// fileFlags is what Openat needs and Open adds itself: large files on
// 32-bit systems.
const fileFlags = unix.O_LARGEFILE
