package worker

import (
	"os"
	"strconv"
	"testing"

	"github.com/plugctl/plugctl/internal/testplugins"
)

// TestMain makes the test binary a worker when it is started as one, so the
// tests can start workers without a plugctl binary; and, started as "exit
// CODE", a process that exits with CODE (Windows exception codes included).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == Arg {
		os.Exit(Serve(os.Args[2:]))
	}
	if len(os.Args) == 3 && os.Args[1] == "exit" {
		code, _ := strconv.ParseUint(os.Args[2], 10, 32)
		os.Exit(int(code)) // ExitProcess takes the code as it is
	}
	testplugins.Main(m)
}
