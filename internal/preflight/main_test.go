package preflight

import (
	"testing"

	"github.com/plugctl/plugctl/internal/testplugins"
)

// TestMain fails the package in one line when the sample plugins its tests
// read are not built.
func TestMain(m *testing.M) { testplugins.Main(m) }
