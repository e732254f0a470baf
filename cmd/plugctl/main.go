// Command plugctl loads, inspects and verifies native plugins. See
// "plugctl --help" and docs/.
package main

import (
	"os"

	"github.com/plugctl/plugctl/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.System()))
}
