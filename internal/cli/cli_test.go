package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func testStreams(tty bool, env map[string]string) (*Streams, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &Streams{
		Out: &out, Err: &errb, OutTTY: tty, ErrTTY: tty,
		Getenv:        func(k string) string { return env[k] },
		ProgressDelay: time.Second,
	}, &out, &errb
}

// Colour follows the terminal in auto mode; NO_COLOR and TERM=dumb turn it
// off; the flag overrides all of them.
func TestColorOnTerminal(t *testing.T) {
	tests := []struct {
		name string
		tty  bool
		env  map[string]string
		args []string
		want bool
	}{
		{"terminal", true, nil, nil, true},
		{"pipe", false, nil, nil, false},
		{"NO_COLOR", true, map[string]string{"NO_COLOR": "1"}, nil, false},
		{"empty NO_COLOR", true, map[string]string{"NO_COLOR": ""}, nil, true},
		{"TERM=dumb", true, map[string]string{"TERM": "dumb"}, nil, false},
		{"never on a terminal", true, nil, []string{"--color", "never"}, false},
		{"always on a pipe", false, map[string]string{"NO_COLOR": "1"}, []string{"--color", "always"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, errb := testStreams(tt.tty, tt.env)
			code := Main(append(tt.args, "load", "does-not-exist.so"), s)
			if code != ExitFailed {
				t.Fatalf("exit %d, want %d", code, ExitFailed)
			}
			if got := strings.Contains(errb.String(), "\x1b["); got != tt.want {
				t.Errorf("colour = %v, want %v; stderr %q", got, tt.want, errb.String())
			}
		})
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{{"load"}, {"nosuchcommand"}, {"load", "--nosuchflag", "x"}, {"--color", "x", "load", "y"}} {
		s, out, errb := testStreams(false, nil)
		if code := Main(args, s); code != ExitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, ExitUsage)
		}
		if out.Len() != 0 || !strings.HasPrefix(errb.String(), "plugctl: error: ") || !strings.Contains(errb.String(), "plugctl: hint: ") {
			t.Errorf("%q: stdout %q, stderr %q", args, out, errb)
		}
	}
}

// failingWriter is standard output on a full disk or a closed pipe.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

// An error met while doing the work, not on the command line, is a failure
// (exit 1) with its message once and no pointer to --help.
func TestRunErrorsExit1(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"list", "--format", "json", dir},
		{"inspect", "--format", "json", "does-not-exist.so"},
	} {
		s, _, errb := testStreams(false, nil)
		s.Out = failingWriter{}
		if code := Main(args, s); code != ExitFailed {
			t.Errorf("%q: exit %d, want %d", args, code, ExitFailed)
		}
		if got := strings.Count(errb.String(), "writing output: no space left on device"); got != 1 || strings.Contains(errb.String(), "--help") {
			t.Errorf("%q: stderr %q, want the write error once and no usage hint", args, errb)
		}
	}
}

// Every usage error the commands' own checks find exits 2, as cobra's do.
func TestFlagValuesExit2(t *testing.T) {
	for _, args := range [][]string{
		{"inspect", "--format", "yaml", "x.so"},
		{"load", "--wait", "-1s", "x.so"},
		{"load", "--env", "=x", "x.so"},
		{"verify", "--shard", "5/4", "."},
		{"verify", "--max-glibc", "two", "."},
		{"verify", "--memory-limit", "lots", "."},
	} {
		s, _, errb := testStreams(false, nil)
		if code := Main(args, s); code != ExitUsage || !strings.Contains(errb.String(), "plugctl: hint: run 'plugctl --help'") {
			t.Errorf("%q: exit %d, stderr %q; want %d and the usage hint", args, code, errb, ExitUsage)
		}
	}
}
