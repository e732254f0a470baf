package cli

import (
	"os"
	"testing"

	"github.com/plugctl/plugctl/internal/testplugins"

	"github.com/plugctl/plugctl/internal/worker"
)

// TestMain lets this test binary serve as plugctl's worker: load and verify
// re-execute the running binary to start plugins in.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == worker.Arg {
		os.Exit(worker.Serve(os.Args[2:]))
	}
	testplugins.Main(m)
}
