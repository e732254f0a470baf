// Command casemut tries again mutants from a gremlins report, with tests
// gremlins does not run. It applies each mutant to the source in place,
// runs the tests, restores the file, and reports killed or lived.
//
//	go run ./bench/casemut [-status S] [-file F] [-test PKGS] build/mutate/PKG.json...
//
// where build/mutate/PKG.json is gremlins' report on ./internal/PKG.
//
// Two uses:
//
//   - By default it tries the comparison mutants gremlins reports as NOT
//     COVERED. Go's coverage profile has no block for a switch case's
//     expression, so gremlins never tests a mutant there, however well the
//     case is tested.
//   - With -status LIVED -test ./cmd/plugctl it tries the mutants the
//     package's own tests leave alive against the end-to-end scripts too,
//     which gremlins cannot count (make mutate-e2e).
//
// -file keeps only the files whose name contains F. The package's own tests
// always run; -test adds packages (comma-separated).
//
// Run it on a clean work tree: it rewrites files while it runs.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/plugctl/plugctl/bench/gremlins"
)

// swaps are gremlins' default mutators: the operator at the mutant's
// column and what it becomes.
var swaps = map[string]map[string]string{
	"CONDITIONALS_BOUNDARY": {"<": "<=", "<=": "<", ">": ">=", ">=": ">"},
	"CONDITIONALS_NEGATION": {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"},
	"ARITHMETIC_BASE":       {"+": "-", "-": "+", "*": "/", "/": "*", "%": "*"},
	"INCREMENT_DECREMENT":   {"++": "--", "--": "++"},
	"INVERT_NEGATIVES":      {"-": "+"},
}

// operators, longest first, so that "<=" is not read as "<".
var operators = []string{"<=", ">=", "==", "!=", "++", "--", "<", ">", "+", "-", "*", "/", "%"}

var (
	status = flag.String("status", "NOT COVERED", "try the mutants gremlins gave this status")
	only   = flag.String("file", "", "try only files whose name contains this")
	extra  = flag.String("test", "", "packages whose tests run too, comma-separated")
)

func main() {
	flag.Parse()
	killed, lived, skipped := 0, 0, 0
	for _, arg := range flag.Args() {
		pkg, r, err := gremlins.Read(arg)
		if err != nil {
			fail(err)
		}
		dir := filepath.Join("internal", pkg)
		for _, f := range r.Files {
			if !strings.Contains(f.Name, *only) {
				continue
			}
			for _, m := range f.Mutations {
				if m.Status != *status || swaps[m.Type] == nil {
					continue
				}
				switch try(filepath.Join(dir, f.Name), m.Type, m.Line, m.Column) {
				case "KILLED":
					killed++
				case "LIVED":
					lived++
				default:
					skipped++
				}
			}
		}
	}
	fmt.Printf("%s mutants: killed %d, lived %d, not applied %d\n", strings.ToLower(*status), killed, lived, skipped)
}

// try applies one mutant to path and runs its package's tests.
func try(path, kind string, line, col int) string {
	orig, err := os.ReadFile(path)
	if err != nil {
		fail(err)
	}
	lines := strings.SplitAfter(string(orig), "\n")
	if line < 1 || line > len(lines) || col < 1 || col > len(lines[line-1]) {
		return report1(path, kind, line, col, "NOT APPLIED", "no such position")
	}
	l := lines[line-1]
	at := l[col-1:]
	op := ""
	for _, cand := range operators {
		if strings.HasPrefix(at, cand) {
			op = cand
			break
		}
	}
	repl, ok := swaps[kind][op]
	if !ok {
		return report1(path, kind, line, col, "NOT APPLIED", fmt.Sprintf("no operator at %q", strings.TrimSpace(at)))
	}
	lines[line-1] = l[:col-1] + repl + at[len(op):]
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644); err != nil {
		fail(err)
	}
	defer func() {
		if err := os.WriteFile(path, orig, 0o644); err != nil {
			fail(err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := []string{"test", "-count=1", "./" + filepath.Dir(path)}
	if *extra != "" {
		args = append(args, strings.Split(*extra, ",")...)
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	out, err := cmd.CombinedOutput()
	status := "LIVED"
	switch {
	case err == nil:
	case strings.Contains(string(out), "[build failed]") || strings.Contains(string(out), "[setup failed]"):
		status = "NOT APPLIED"
	default:
		status = "KILLED"
	}
	return report1(path, kind, line, col, status, strings.TrimSpace(l[:col-1]+"‹"+op+"→"+repl+"›"+at[len(op):]))
}

func report1(path, kind string, line, col int, status, what string) string {
	fmt.Printf("%11s %s at %s:%d:%d  %s\n", status, kind, strings.TrimPrefix(filepath.ToSlash(path), "internal/"), line, col, what)
	return status
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "casemut:", err)
	os.Exit(1)
}
