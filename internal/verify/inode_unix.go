//go:build unix

package verify

import (
	"io/fs"
	"syscall"
)

func inode(st fs.FileInfo) (dev, ino uint64, ok bool) {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(s.Dev), uint64(s.Ino), true
	}
	return 0, 0, false
}
