package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plugctl/plugctl/internal/testplugins"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the scripts run the real command: "plugctl" in a script is
// this test binary running cli.Main in a child process, so a plugin that
// crashes takes down only that child.
func TestMain(m *testing.M) {
	cmds := map[string]func(){
		"plugctl": func() {
			// make cover-e2e runs the scripts against a coverage-instrumented
			// build of plugctl instead (Unix).
			if bin := os.Getenv("PLUGCTL_E2E_BINARY"); bin != "" {
				execBinary(bin)
			}
			os.Exit(runPlugctl(os.Args[1:]))
		},
		"plugctl-status": statusTo,
	}
	for name, f := range platformCommands {
		cmds[name] = f
	}
	// The scripts need the sample plugins: say so in one line, not in every
	// script (the commands above are this binary re-executed: no check).
	if _, ok := cmds[strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe")]; !ok {
		if err := testplugins.Found(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if need := needSarifValidator(); need != "" {
			fmt.Fprintln(os.Stderr, need)
			os.Exit(1)
		}
	}
	testscript.Main(m, cmds)
}

// statusTo is plugctl-status FILE COMMAND [ARGS...]: run COMMAND, write
// its exit status to FILE, and exit with it. testscript keeps the status
// of a command run in the background to itself; this wrapper lets a script
// check, say, that an interrupted plugctl exits 130. It is not the process
// the script interrupts: it ignores interrupts itself (on Windows a Ctrl-C
// reaches every process on the console).
func statusTo() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: plugctl-status FILE COMMAND [ARGS...]")
		os.Exit(2)
	}
	signal.Notify(make(chan os.Signal, 1), os.Interrupt, syscall.SIGTERM)
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode() // -1 if a signal ended it
	case err != nil:
		fmt.Fprintln(os.Stderr, "plugctl-status:", err)
		code = 127
	}
	if err := os.WriteFile(os.Args[1], []byte(strconv.Itoa(code)+"\n"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "plugctl-status:", err)
	}
	if code < 0 {
		code = 128
	}
	os.Exit(code)
}

// TestScripts runs testdata/script/*.txtar against the sample plugins, which
// `make plugins` builds into $PLUGCTL_PLUGINS (default build/plugins).
func TestScripts(t *testing.T) {
	runScripts(t, "testdata/script")
}

func runScripts(t *testing.T, dir string) {
	plugins := testplugins.Dir(t)
	schemas, err := filepath.Abs(filepath.Join("..", "..", "docs", "schema"))
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	sdk := filepath.Join(root, "sdk")
	testscript.Run(t, testscript.Params{
		Dir: dir,
		Setup: func(env *testscript.Env) error {
			env.Setenv("PLUGINS", plugins)
			// The sample plugins' file name extension: .so, or .dll on
			// Windows, so that a script can name libplain$SO on both.
			env.Setenv("SO", testplugins.Ext)
			// The SDK's sources, which plugctl new copies into a project.
			env.Setenv("SDK", sdk)
			// The repository, and the CI examples docs/ci.md shows.
			env.Setenv("ROOT", root)
			env.Setenv("CIDIR", filepath.Join(root, "docs", "ci"))
			// cargo is rustup's proxy, which finds its toolchains under
			// the real home (the scripts' HOME is none).
			for name, dir := range map[string]string{"RUSTUP_HOME": ".rustup", "CARGO_HOME": ".cargo"} {
				if v := os.Getenv(name); v != "" {
					env.Setenv(name, v)
				} else if home, err := os.UserHomeDir(); err == nil {
					env.Setenv(name, filepath.Join(home, dir))
				}
			}
			// Every JSON document a script makes is checked against
			// docs/schema (see runPlugctl).
			env.Setenv("PLUGCTL_SCHEMAS", schemas)
			// And every SARIF log by Microsoft's validator (Linux).
			if runtime.GOOS == "linux" {
				env.Setenv("PLUGCTL_SARIF_VALIDATOR", sarifValidator())
			}
			if bin := os.Getenv("PLUGCTL_E2E_BINARY"); bin != "" {
				env.Setenv("PLUGCTL_E2E_BINARY", bin) // make cover-e2e
			}
			if root := os.Getenv("SystemRoot"); root != "" {
				env.Setenv("SYSTEMROOT", root) // Windows' own directory
			}
			// The directory of the plugctl the scripts run (testscript's
			// copy of this binary): the application directory on Windows.
			if exe, err := exec.LookPath("plugctl"); err == nil {
				env.Setenv("PLUGCTL_DIR", filepath.Dir(exe))
			}
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "root":
				return os.Geteuid() == 0, nil
			case "wine":
				// Windows as Wine runs it (make test-windows sets this).
				return os.Getenv("PLUGCTL_UNDER_WINE") != "", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status":      cmdStatus,
			"mkelf":       cmdMkelf,
			"inorder":     cmdInorder,
			"lines":       cmdLines,
			"verdicts":    cmdVerdicts,
			"field":       cmdField,
			"warnings":    cmdWarnings,
			"gone":        cmdGone,
			"ancestor":    cmdAncestor,
			"waitfile":    cmdWaitfile,
			"mksock":      cmdMksock,
			"onterminal":  cmdOnTerminal,
			"sarifdigest": cmdSarifdigest,
			"sarifvalid":  cmdSarifvalid,
			"actionstep":  cmdActionstep,
			"listen":      cmdListen,
		},
	})
}

// TestConsole runs testdata/console/*.txtar on their own, after the other
// scripts: they interrupt plugctl as a user's Ctrl-C does, which on Windows
// reaches every process on the console.
func TestConsole(t *testing.T) {
	runScripts(t, "testdata/console")
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

// verdicts FILE NAME=STATUS...: FILE holds a plugctl verify --format json
// report whose plugins are exactly the NAMEs (file base names), each with
// its STATUS, in path order, and whose summary counts them. In a run on
// several host versions a NAME may be base@VERSION.
func cmdVerdicts(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: verdicts FILE NAME=STATUS...")
	}
	var doc struct {
		Plugins []struct {
			Path        string `json:"path"`
			Status      string `json:"status"`
			Reason      string `json:"reason"`
			HostVersion string `json:"host_version"`
		} `json:"plugins"`
		Summary map[string]int `json:"summary"`
	}
	dec := json.NewDecoder(strings.NewReader(ts.ReadFile(args[0])))
	if err := dec.Decode(&doc); err != nil {
		ts.Fatalf("verdicts: %v", err)
	}
	want := map[string]string{}
	counts := map[string]int{}
	for _, a := range args[1:] {
		name, status, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("verdicts: %q is not NAME=STATUS", a)
		}
		want[name] = status
		counts[status]++
	}
	prev, version := "", ""
	for _, p := range doc.Plugins {
		name := p.Path[strings.LastIndexAny(p.Path, `/\`)+1:]
		if _, ok := want[name+"@"+p.HostVersion]; ok && p.HostVersion != "" {
			// A run on several host versions: NAME@VERSION, sorted by
			// path within each version.
			name += "@" + p.HostVersion
			if p.HostVersion != version {
				prev, version = "", p.HostVersion
			}
		}
		w, ok := want[name]
		switch {
		case !ok:
			ts.Fatalf("verdicts: unexpected plugin %s (%s: %s)", p.Path, p.Status, p.Reason)
		case p.Status != w:
			ts.Fatalf("verdicts: %s is %s (%s), want %s", p.Path, p.Status, p.Reason, w)
		case p.Path < prev:
			ts.Fatalf("verdicts: %s after %s: not sorted by path", p.Path, prev)
		}
		prev = p.Path
		delete(want, name)
	}
	if len(want) > 0 {
		ts.Fatalf("verdicts: missing from the report: %v", want)
	}
	for _, st := range []string{"pass", "fail", "crash", "timeout"} {
		if doc.Summary[st] != counts[st] {
			ts.Fatalf("verdicts: summary says %d %s, want %d", doc.Summary[st], st, counts[st])
		}
	}
}

// reportPlugin finds the plugin whose path ends in /NAME (or is NAME) in
// the plugctl verify or load JSON report in FILE.
func reportPlugin(ts *testscript.TestScript, file, name string) map[string]any {
	var doc struct {
		Plugins []map[string]any `json:"plugins"`
		Files   []map[string]any `json:"files"` // inspect's and list's
	}
	if err := json.Unmarshal([]byte(ts.ReadFile(file)), &doc); err != nil {
		ts.Fatalf("%s: %v", file, err)
	}
	for _, p := range append(doc.Plugins, doc.Files...) {
		if path, _ := p["path"].(string); path == name || strings.HasSuffix(path, "/"+name) || strings.HasSuffix(path, `\`+name) {
			return p
		}
	}
	ts.Fatalf("no plugin %s in %s", name, file)
	return nil
}

// field FILE NAME KEY REGEXP: in the JSON report in FILE (verify's and
// load's plugins, inspect's and list's files), plugin NAME's KEY
// (a dotted path into objects, like error.kind) matches REGEXP; a list is
// matched line by line (a finding as "id: message", as text output shows
// it), a number as Go prints it.
func cmdField(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: field FILE NAME KEY REGEXP")
	}
	var v any = reportPlugin(ts, args[0], args[1])
	for _, k := range strings.Split(args[2], ".") {
		m, ok := v.(map[string]any)
		if !ok {
			ts.Fatalf("field: %s has no %s", args[1], args[2])
		}
		v = m[k]
	}
	var text string
	switch x := v.(type) {
	case nil:
	case string:
		text = x
	case []any:
		var lines []string
		for _, e := range x {
			if f, ok := e.(map[string]any); ok && f["id"] != nil && f["message"] != nil {
				e = fmt.Sprintf("%v: %v", f["id"], f["message"])
			}
			lines = append(lines, fmt.Sprint(e))
		}
		text = strings.Join(lines, "\n")
	default:
		text = fmt.Sprint(x)
	}
	re, err := regexp.Compile("(?m)" + args[3])
	if err != nil {
		ts.Fatalf("field: %v", err)
	}
	if re.MatchString(text) == neg {
		ts.Fatalf("field: %s's %s is %q; want %s match %s", args[1], args[2], text, map[bool]string{true: "no", false: "a"}[neg], args[3])
	}
}

// warnings FILE NAME KIND...: in the verify JSON report in FILE, plugin
// NAME's warnings are of exactly these kinds, in this order (none: no
// warnings).
func cmdWarnings(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: warnings FILE NAME KIND...")
	}
	list, _ := reportPlugin(ts, args[0], args[1])["warnings"].([]any)
	var kinds []string
	for _, w := range list {
		f, _ := w.(map[string]any)
		if f["severity"] != "warning" {
			ts.Fatalf("warnings: %s has %v among its warnings", args[1], w)
		}
		kinds = append(kinds, fmt.Sprint(f["id"]))
	}
	if strings.Join(kinds, " ") != strings.Join(args[2:], " ") {
		ts.Fatalf("warnings: %s has %q, want %q (%q)", args[1], kinds, args[2:], list)
	}
}

// gone FILE [N]: every process ID in FILE (or only the N-th, from 1) has
// ended (a zombie waiting to be reaped counts as ended), within 5 seconds.
func cmdGone(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: gone FILE [N]")
	}
	fields := pidFields(ts, args)
	deadline := time.Now().Add(5 * time.Second)
	for _, f := range fields {
		pid, err := strconv.Atoi(f)
		if err != nil || pid <= 0 {
			ts.Fatalf("gone: bad process ID %q", f)
		}
		for running(pid) {
			if time.Now().After(deadline) {
				status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
				ts.Fatalf("gone: process %d is still running (its parent: %d)\n%s", pid, parent(pid), status)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// ancestor SIGNAL FILE LEVELS: send SIGNAL (TERM, INT, KILL) to the process
// LEVELS parents above the first process ID in FILE: how a script reaches a
// plugctl it started in the background with a signal testscript's kill does
// not send (the daemon's parent is its worker, whose parent is plugctl).
func cmdAncestor(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: ancestor SIGNAL FILE LEVELS")
	}
	levels, err := strconv.Atoi(args[2])
	if err != nil {
		ts.Fatalf("ancestor: bad LEVELS %q", args[2])
	}
	pid, err := strconv.Atoi(pidFields(ts, args[1:2])[0])
	if err != nil {
		ts.Fatalf("ancestor: %v", err)
	}
	for range levels {
		if pid = parent(pid); pid <= 1 {
			ts.Fatalf("ancestor: no parent %d levels up", levels)
		}
	}
	ts.Check(signalProcess(pid, args[0]))
}

// pidFields returns the process IDs in FILE, or only the N-th.
func pidFields(ts *testscript.TestScript, args []string) []string {
	fields := strings.Fields(ts.ReadFile(args[0]))
	if len(args) == 2 {
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 1 || n > len(fields) {
			ts.Fatalf("no field %s in %s", args[1], args[0])
		}
		fields = fields[n-1 : n]
	}
	if len(fields) == 0 {
		ts.Fatalf("no process IDs in %s", args[0])
	}
	return fields
}

// waitfile FILE: wait up to 20 seconds for FILE to exist and end in a
// newline (written whole).
func cmdWaitfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile FILE")
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(ts.MkAbs(args[0]))
		if err == nil && bytes.HasSuffix(b, []byte("\n")) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("waitfile: %s did not appear", args[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
