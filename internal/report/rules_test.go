package report

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Every finding ID, every verdict but pass and every file status but
// plugin has exactly one rule, and the catalogue has nothing else: read
// off the constants this package declares, so that a new ID without a rule
// fails here.
func TestRulesCoverVocabulary(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				typ, ok := vs.Type.(*ast.Ident)
				if !ok || !slices.Contains([]string{"ID", "Verdict", "FileStatus"}, typ.Name) {
					continue
				}
				for _, v := range vs.Values {
					lit := v.(*ast.BasicLit).Value
					want[lit[1:len(lit)-1]] = true
				}
			}
		}
	}
	delete(want, string(Pass))
	delete(want, string(Plugin))
	if len(want) < 40 {
		t.Fatalf("found %d IDs, verdicts and statuses in the sources: the parse is wrong", len(want))
	}
	seen := map[string]bool{}
	for _, r := range Rules {
		if seen[r.ID] {
			t.Errorf("rule %q is in the catalogue twice", r.ID)
		}
		seen[r.ID] = true
		if !want[r.ID] {
			t.Errorf("rule %q is no finding ID, verdict or file status", r.ID)
		}
		if r.Summary == "" || r.Help == "" || (r.Level != Error && r.Level != Warning && r.Level != Note) {
			t.Errorf("rule %q: summary %q, help %q, level %q", r.ID, r.Summary, r.Help, r.Level)
		}
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("%q has no rule in the catalogue", id)
		}
	}
}
