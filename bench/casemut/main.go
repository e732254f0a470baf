// Command casemut tests the comparison mutants gremlins reports as NOT
// COVERED. Go's coverage profile has no block for a switch case's
// expression, so gremlins never tests a mutant there, however well the
// case is tested; this applies each such mutant to the source in place,
// runs the package's tests, restores the file, and reports killed or lived.
//
//	go run ./bench/casemut build/mutate/PKG.json...
//
// where build/mutate/PKG.json is gremlins' report on ./internal/PKG.
//
// Only CONDITIONALS_BOUNDARY and CONDITIONALS_NEGATION mutants are tried.
// Run it on a clean work tree: it rewrites files while it runs.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

type report struct {
	Files []struct {
		Name      string `json:"file_name"`
		Mutations []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
			Line   int    `json:"line"`
			Column int    `json:"column"`
		} `json:"mutations"`
	} `json:"files"`
}

var swaps = map[string]map[string]string{
	"CONDITIONALS_BOUNDARY": {"<": "<=", "<=": "<", ">": ">=", ">=": ">"},
	"CONDITIONALS_NEGATION": {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"},
}

func main() {
	killed, lived, skipped := 0, 0, 0
	for _, arg := range os.Args[1:] {
		b, err := os.ReadFile(arg)
		if err != nil {
			fail(err)
		}
		var r report
		if err := json.Unmarshal(b, &r); err != nil {
			fail(fmt.Errorf("%s: %w", arg, err))
		}
		dir := filepath.Join("internal", strings.TrimSuffix(filepath.Base(arg), ".json"))
		for _, f := range r.Files {
			for _, m := range f.Mutations {
				if m.Status != "NOT COVERED" || swaps[m.Type] == nil {
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
	fmt.Printf("not-covered comparison mutants: killed %d, lived %d, not applied %d\n", killed, lived, skipped)
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
	for _, cand := range []string{"<=", ">=", "==", "!=", "<", ">"} {
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
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "./"+filepath.Dir(path))
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
	fmt.Printf("%11s %s at %s:%d:%d  %s\n", status, kind, filepath.Base(path), line, col, what)
	return status
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "casemut:", err)
	os.Exit(1)
}
