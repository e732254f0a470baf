package loader

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/plugctl/plugctl/internal/testplugins"
)

func skipUnlessLinux(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the sample plugins are Linux ELF files")
	}
}

func TestOpenErrors(t *testing.T) {
	skipUnlessLinux(t)
	if _, err := Open("libplain.so"); err == nil || !strings.Contains(err.Error(), "not absolute") {
		t.Errorf("relative path: got %v", err)
	}
	_, err := Open(testplugins.Path(t, "libneeds_missing.so"))
	var oe *OpenError
	if !errors.As(err, &oe) || !strings.Contains(oe.Msg, "libplugctl_gone.so") {
		t.Errorf("missing dependency: got %v, want an OpenError naming libplugctl_gone.so", err)
	}
	lib, err := Open(testplugins.Path(t, "libnoentry.so"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Symbol("init_plugin"); !errors.Is(err, ErrNoSymbol) {
		t.Errorf("missing symbol: got %v", err)
	}
}
