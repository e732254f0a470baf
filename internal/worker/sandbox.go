package worker

import (
	"fmt"
	"os"
	"os/exec"

	"github.com/plugctl/plugctl/internal/sandbox"
)

// ProbeSandbox reports the sandbox's layers this system cannot apply: the
// kernel's (Landlock, seccomp), and the namespaces, which it tries by
// starting a worker in them that exits at once.
func ProbeSandbox() []sandbox.Missing {
	missing := sandbox.ProbeKernel()
	if !sandbox.Supported {
		return missing
	}
	for _, m := range missing {
		if m.Layer == sandbox.Namespaces {
			return missing
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return append(missing, sandbox.NamespacesMissing(fmt.Errorf("finding plugctl's own executable: %w", err)))
	}
	cmd := exec.Command(exe, Arg, probeArg)
	cmd.Args[0] = os.Args[0]
	cmd.Env = []string{}
	cmd.SysProcAttr = sysProcAttr()
	sandbox.Attr(cmd.SysProcAttr, sandbox.Policy{Layers: []sandbox.Layer{sandbox.Namespaces}})
	// The namespaces exist once the process does: it need not run. It is
	// started as a worker is, so that the orphan sweep of a plugctl whose
	// workers have started (a test binary, running tests after each
	// other) never takes it for what a dead worker left, kills it and
	// reports it.
	if err := startWorker(cmd, 0); err != nil {
		return append(missing, sandbox.NamespacesMissing(err))
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	workerGone(cmd.Process.Pid)
	return missing
}
