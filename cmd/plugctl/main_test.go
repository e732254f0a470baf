package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/plugctl/plugctl/internal/cli"
	"github.com/plugctl/plugctl/internal/testplugins"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the scripts run the real command: "plugctl" in a script is
// this test binary running cli.Main in a child process, so a plugin that
// crashes takes down only that child.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"plugctl": func() { os.Exit(cli.Main(os.Args[1:], cli.System())) },
	})
}

// TestScripts runs testdata/script/*.txtar against the sample plugins, which
// `make plugins` builds into $PLUGCTL_PLUGINS (default build/plugins).
func TestScripts(t *testing.T) {
	plugins := testplugins.Dir(t)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PLUGINS", plugins)
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "root" {
				return os.Geteuid() == 0, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status":  cmdStatus,
			"mkelf":   cmdMkelf,
			"inorder": cmdInorder,
			"lines":   cmdLines,
		},
	})
}

// status N command args...: run command and require exit status N exactly.
// Its stdout and stderr are then checked as after exec.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status N command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("status: bad exit status %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("status: %v", err)
	}
	if got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
}

// mkelf ARCH FILE: write the ELF header of a shared library for ARCH
// (aarch64, i386, x86_64), enough for plugctl to tell what it is. Real
// foreign-architecture plugins need cross toolchains; the header is all that
// load reads before it refuses one.
func cmdMkelf(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mkelf ARCH FILE")
	}
	machines := map[string]struct {
		machine uint16
		bits    int
	}{"aarch64": {183, 64}, "i386": {3, 32}, "x86_64": {62, 64}}
	m, ok := machines[args[0]]
	if !ok {
		ts.Fatalf("mkelf: unknown arch %q", args[0])
	}
	le := binary.LittleEndian
	var h []byte
	ident := []byte{0x7f, 'E', 'L', 'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if m.bits == 64 {
		ident[4] = 2
		h = make([]byte, 64)
		copy(h, ident)
		le.PutUint16(h[16:], 3) // ET_DYN
		le.PutUint16(h[18:], m.machine)
		le.PutUint32(h[20:], 1)
		le.PutUint16(h[52:], 64) // e_ehsize
		le.PutUint16(h[54:], 56) // e_phentsize
		le.PutUint16(h[58:], 64) // e_shentsize
	} else {
		h = make([]byte, 52)
		copy(h, ident)
		le.PutUint16(h[16:], 3)
		le.PutUint16(h[18:], m.machine)
		le.PutUint32(h[20:], 1)
		le.PutUint16(h[40:], 52)
		le.PutUint16(h[42:], 32)
		le.PutUint16(h[46:], 40)
	}
	if err := os.WriteFile(ts.MkAbs(args[1]), h, 0o644); err != nil {
		ts.Fatalf("mkelf: %v", err)
	}
}

// inorder FILE REGEXP: the lines of FILE (stdout, stderr or a file) that
// match REGEXP, whose first group is a number, must count 0, 1, 2, ... with
// none missing: per-thread log order survived. At least one must match.
func cmdInorder(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: inorder FILE REGEXP")
	}
	re, err := regexp.Compile(args[1])
	if err != nil {
		ts.Fatalf("inorder: %v", err)
	}
	next := 0
	for _, line := range strings.Split(ts.ReadFile(args[0]), "\n") {
		m := re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n, err := strconv.Atoi(m[1])
		if err != nil {
			ts.Fatalf("inorder: %q: group 1 is not a number", line)
		}
		if n != next {
			ts.Fatalf("inorder: got %d, want %d (line %q)", n, next, line)
		}
		next++
	}
	if next == 0 {
		ts.Fatalf("inorder: no line matches %s", args[1])
	}
}

// lines FILE REGEXP...: each REGEXP matches a line of FILE (stdout, stderr or
// a file) after the line the previous one matched: the report's sections
// and rows come in this order.
func cmdLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: lines FILE REGEXP...")
	}
	text := strings.Split(ts.ReadFile(args[0]), "\n")
	at := 0
	for _, expr := range args[1:] {
		re, err := regexp.Compile("(?m)" + expr)
		if err != nil {
			ts.Fatalf("lines: %v", err)
		}
		for at < len(text) && !re.MatchString(text[at]) {
			at++
		}
		if at == len(text) {
			ts.Fatalf("lines: no line matches %s after the previous match", expr)
		}
		at++
	}
}
