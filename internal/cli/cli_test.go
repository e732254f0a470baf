package cli

import (
	"bytes"
	"strings"
	"testing"
)

func testStreams(tty bool, env map[string]string) (*Streams, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &Streams{
		Out: &out, Err: &errb, OutTTY: tty, ErrTTY: tty,
		Getenv: func(k string) string { return env[k] },
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
