// Command mutreport lists the mutants gremlins left alive, each with the
// reason the explanations file gives for it, as a Markdown table; a
// survivor with no reason is marked unexplained, and makes it exit 1.
//
//	go run ./bench/mutreport [-explain bench/mutants.txt] [-retried LOG]... build/mutate/PKG.json...
//
// casemut tries mutants again, and its logs, given with -retried, count:
// a mutant is alive when gremlins reports it LIVED, or NOT COVERED and a log
// says LIVED, and no log says KILLED. The explanations file has one mutant per line, tab
// separated: package/file.go, the mutated line's code with its indentation
// trimmed, the mutator, and why no test can kill it. Keying by code rather
// than line number keeps an entry in place when the code around it moves.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/plugctl/plugctl/bench/gremlins"
)

// retriedLine is a line of casemut's output: status, mutator, package/file,
// line and column.
var retriedLine = regexp.MustCompile(`^\s*(KILLED|LIVED) (\w+) at (\S+):(\d+):(\d+)`)

type retried []string

func (r *retried) String() string     { return strings.Join(*r, ",") }
func (r *retried) Set(s string) error { *r = append(*r, s); return nil }

func main() {
	explain := flag.String("explain", "bench/mutants.txt", "the reasons surviving mutants cannot be killed")
	var logs retried
	flag.Var(&logs, "retried", "a casemut log whose KILLED mutants are not survivors (repeatable)")
	flag.Parse()

	reasons, err := readReasons(*explain)
	if err != nil {
		fail(err)
	}
	retriedAs := map[string]string{} // "MUTATOR pkg/file:line:col": KILLED or LIVED
	for _, l := range logs {
		b, err := os.ReadFile(l)
		if err != nil {
			fail(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if m := retriedLine.FindStringSubmatch(line); m != nil && retriedAs[m[2]+" "+m[3]+":"+m[4]+":"+m[5]] != "KILLED" {
				retriedAs[m[2]+" "+m[3]+":"+m[4]+":"+m[5]] = m[1]
			}
		}
	}
	unexplained := 0
	used := map[key]bool{}
	var pkgs []string // the packages reported on
	fmt.Print(`# Surviving mutants

Every mutant the last mutation run left alive, with why no test can kill
it. Made by ` + "`make mutate-report`" + ` from the reports of ` + "`make mutate`" + `,
` + "`make mutate-cases`" + ` and ` + "`make mutate-e2e`" + `; the reasons are in bench/mutants.txt. See
[testing.md](testing.md#mutation-testing) for the figures.

`)
	fmt.Println("| package | where | mutator | code | why it survives |")
	fmt.Println("|---|---|---|---|---|")
	for _, arg := range flag.Args() {
		pkg, r, err := gremlins.Read(arg)
		if err != nil {
			fail(err)
		}
		pkgs = append(pkgs, pkg)
		for _, f := range r.Files {
			src, err := os.ReadFile(filepath.Join("internal", pkg, f.Name))
			if err != nil {
				fail(err)
			}
			lines := strings.Split(string(src), "\n")
			for _, m := range f.Mutations {
				where := fmt.Sprintf("%s:%d:%d", f.Name, m.Line, m.Column)
				again := retriedAs[m.Type+" "+pkg+"/"+where]
				if again == "KILLED" || m.Status != "LIVED" && !(m.Status == "NOT COVERED" && again == "LIVED") {
					continue
				}
				code := ""
				if m.Line >= 1 && m.Line <= len(lines) {
					code = strings.TrimSpace(lines[m.Line-1])
				}
				k := key{pkg + "/" + f.Name, code, m.Type}
				why, ok := reasons[k]
				used[k] = true
				if !ok {
					why = "**unexplained**"
					unexplained++
				}
				fmt.Printf("| %s | %s | %s | `%s` | %s |\n", pkg, where, m.Type, strings.ReplaceAll(code, "|", `\|`), why)
			}
		}
	}
	for k := range reasons {
		if !used[k] && slices.Contains(pkgs, strings.Split(k.file, "/")[0]) {
			fmt.Fprintf(os.Stderr, "mutreport: no surviving mutant has this reason any more (killed, or its code changed): %s %s %q\n", k.file, k.mutator, k.code)
		}
	}
	if unexplained > 0 {
		fmt.Fprintf(os.Stderr, "mutreport: %d surviving mutants have no reason in %s\n", unexplained, *explain)
		os.Exit(1)
	}
}

type key struct{ file, code, mutator string }

func readReasons(path string) (map[key]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	reasons := map[key]string{}
	sc := bufio.NewScanner(fh)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("%s:%d: want 4 tab-separated fields, got %d", path, n, len(f))
		}
		reasons[key{f[0], f[1], f[2]}] = f[3]
	}
	return reasons, sc.Err()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "mutreport:", err)
	os.Exit(2)
}
