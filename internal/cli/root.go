package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/spf13/cobra"
)

// version is set at link time: -ldflags "-X github.com/plugctl/plugctl/internal/cli.version=v1.2.3".
var version string

func versionString() string {
	return fmt.Sprintf("%s (plugin API %d, %s/%s)", plugctlVersion(), hostapi.Version, runtime.GOOS, runtime.GOARCH)
}

// plugctlVersion is the version plugctl was built as: the link-time
// version, the module's, or (devel).
func plugctlVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

const rootLong = `plugctl loads, inspects and verifies native plugins: shared libraries (.so,
.dll, .dylib) that export the C-ABI entry point

    bool init_plugin(void *ctx, const HostFunctions *functions);

It is also the reference host of that ABI: see docs/abi.md for the contract and
sdk/ for the C header and the Rust crate plugins build against.

Commands that only read files (inspect, list) never load them: no plugin code
runs. load and verify run plugin code in worker processes, never in plugctl
itself (unless load --in-process).

Exit status:
  0    success: every plugin loaded and started (load), every plugin passed
       (verify; or none was found, with --allow-empty), every file was read
       with no error finding (inspect), no file is invalid or incompatible
       (list)
  1    a plugin or file failed, crashed or timed out (the error or the
       report says which and why); verify found no plugin to check
  2    the command line was wrong, or a plugin crashed plugctl under
       load --in-process
  130  interrupted (SIGINT or SIGTERM; Ctrl-C or Ctrl-Break on Windows); the workers were killed`

// Command returns plugctl's command tree, with the commands cobra adds
// (help, completion): what cmd/gendocs writes the reference from.
func Command() *cobra.Command {
	root := newRootCmd(System())
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	return root
}

func newRootCmd(s *Streams) *cobra.Command {
	var colorMode string
	root := &cobra.Command{
		Use:           "plugctl",
		Short:         "Load, inspect and verify native plugins",
		Long:          rootLong,
		Version:       versionString(),
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return s.setColor(colorMode)
		},
	}
	root.SetVersionTemplate("plugctl {{.Version}}\n")
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.PersistentFlags().StringVar(&colorMode, "color", "auto", "colour output: auto, always or never (auto honours NO_COLOR)")
	_ = root.RegisterFlagCompletionFunc("color", cobra.FixedCompletions([]string{"auto", "always", "never"}, cobra.ShellCompDirectiveNoFileComp))
	root.AddCommand(newLoadCmd(s), newInspectCmd(s), newListCmd(s), newVerifyCmd(s), newNewCmd(s), newABICmd(s))
	return root
}
