//go:build windows

package procstate

import "fmt"

// Windows has no signal dispositions to compare; these only keep the
// messages compiling.
const (
	sigSEGV = 11
	sigBUS  = -1
	sigFPE  = 8
	sigILL  = 4
	sigPIPE = -1
	sigCHLD = -1
	sigINT  = 2
	sigTERM = 15
	sigHUP  = -1
	sigQUIT = -1
)

func signalName(sig int) string { return fmt.Sprintf("signal %d", sig) }
