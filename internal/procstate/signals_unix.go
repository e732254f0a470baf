//go:build unix

package procstate

import (
	"fmt"

	"golang.org/x/sys/unix"
)

const (
	sigSEGV = int(unix.SIGSEGV)
	sigBUS  = int(unix.SIGBUS)
	sigFPE  = int(unix.SIGFPE)
	sigILL  = int(unix.SIGILL)
	sigPIPE = int(unix.SIGPIPE)
	sigCHLD = int(unix.SIGCHLD)
	sigINT  = int(unix.SIGINT)
	sigTERM = int(unix.SIGTERM)
	sigHUP  = int(unix.SIGHUP)
	sigQUIT = int(unix.SIGQUIT)
)

func signalName(sig int) string {
	if n := unix.SignalName(unix.Signal(sig)); n != "" {
		return n
	}
	return fmt.Sprintf("signal %d", sig)
}
