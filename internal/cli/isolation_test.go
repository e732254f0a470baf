package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func isolationFrom(t *testing.T, args ...string) *isolation {
	t.Helper()
	var o isolation
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	o.flags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &o
}

// The defaults, and --cpu-limit following --timeout unless given.
func TestIsolationDefaults(t *testing.T) {
	o := isolationFrom(t)
	cfg, cpu, err := o.config()
	if err != nil || cpu != defaultTimeout || o.timeout != defaultTimeout || o.settle != defaultSettle || cfg.MaxMemory != 4<<30 {
		t.Errorf("defaults: cpu %v, timeout %v, settle %v, memory %d, %v", cpu, o.timeout, o.settle, cfg.MaxMemory, err)
	}
	o = isolationFrom(t, "--timeout", "3s")
	if _, cpu, _ := o.config(); cpu != 3*time.Second {
		t.Errorf("--timeout 3s: cpu limit %v, want 3s", cpu)
	}
	o = isolationFrom(t, "--timeout", "3s", "--cpu-limit", "0")
	if _, cpu, _ := o.config(); cpu != 0 {
		t.Errorf("--cpu-limit 0: %v, want none", cpu)
	}
	o = isolationFrom(t, "--cpu-limit", "1m30s")
	if _, cpu, _ := o.config(); cpu != 90*time.Second {
		t.Errorf("--cpu-limit 1m30s: %v", cpu)
	}
	o = isolationFrom(t, "--cpu-limit", "-1s")
	if _, _, err := o.config(); err == nil || err.Error() != "invalid --cpu-limit -1s: must not be negative" {
		t.Errorf("--cpu-limit -1s: %v", err)
	}
}

// Each bad value is refused with what is wrong; the edges are accepted.
func TestIsolationLimits(t *testing.T) {
	for _, tt := range []struct {
		args []string
		bad  string // "" when accepted
	}{
		{[]string{"--timeout", "-1s"}, "invalid --timeout -1s: must not be negative"},
		{[]string{"--timeout", "0"}, ""},
		{[]string{"--settle", "-1ms"}, "invalid --settle -1ms: must not be negative"},
		{[]string{"--settle", "0"}, ""},
		{[]string{"--memory-limit", "3GiB"}, ""},
		{[]string{"--memory-limit", "3221225471"}, "give at least 3GiB"},
		{[]string{"--memory-limit", "2GiB"}, "give at least 3GiB"},
		{[]string{"--memory-limit", "0"}, ""},
		{[]string{"--memory-limit", "lots"}, `invalid --memory-limit "lots": want a size like 512MiB or 4GiB`},
	} {
		o := isolationFrom(t, tt.args...)
		_, _, err := o.config()
		switch {
		case tt.bad == "" && err != nil:
			t.Errorf("%v: %v", tt.args, err)
		case tt.bad != "" && (err == nil || !strings.Contains(err.Error(), tt.bad)):
			t.Errorf("%v: got %v, want %q", tt.args, err, tt.bad)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{
		"4096": 4096, "512K": 512 << 10, "512KiB": 512 << 10, "64M": 64 << 20, "4G": 4 << 30, "4GiB": 4 << 30,
		" 2gib ": 2 << 30, "1T": 1 << 40, "16777215T": 16777215 << 40, "0": 0,
	} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "G", "-1", "1.5G", "16777216T", "18446744073709551616", "4X"} {
		if got, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", bad, got)
		}
	}
}
