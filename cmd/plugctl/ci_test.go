package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"go.yaml.in/yaml/v3"
)

// actionstep ACTION NAME OUT: write the run script of the step called NAME
// in the composite action ACTION (action.yml) to OUT, so that a script can
// run it as the runner would (bash).
func cmdActionstep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: actionstep ACTION NAME OUT")
	}
	var action struct {
		Runs struct {
			Using string `yaml:"using"`
			Steps []struct {
				Name  string `yaml:"name"`
				Shell string `yaml:"shell"`
				Run   string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal([]byte(ts.ReadFile(args[0])), &action); err != nil {
		ts.Fatalf("actionstep: %s: %v", args[0], err)
	}
	for _, s := range action.Runs.Steps {
		if s.Name == args[1] {
			if s.Shell != "bash" || s.Run == "" {
				ts.Fatalf("actionstep: step %q is not a bash script", args[1])
			}
			// The runner runs it as bash --noprofile --norc -eo pipefail.
			script := "set -eo pipefail\n" + s.Run
			if err := os.WriteFile(ts.MkAbs(args[2]), []byte(script), 0o644); err != nil {
				ts.Fatalf("actionstep: %v", err)
			}
			return
		}
	}
	ts.Fatalf("actionstep: no step %q in %s", args[1], args[0])
}

// docs/ci.md shows each file of docs/ci as it is: the examples a reader
// copies are the ones make lint and the scripts check.
func TestCIDocsShowTheExamples(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "ci.md"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "docs", "ci", "*"))
	if err != nil || len(files) < 4 {
		t.Fatalf("docs/ci: %v %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(doc), "\n"+string(b)+"```\n") {
			t.Errorf("docs/ci.md does not show %s as it is, in a fenced block", filepath.Base(f))
		}
		// The GitLab job has no linter here: it is at least YAML, and its
		// script shards as GitLab numbers its parallel jobs.
		if strings.HasSuffix(f, ".yml") {
			var v map[string]any
			if err := yaml.Unmarshal(b, &v); err != nil || len(v) == 0 {
				t.Errorf("%s is not a YAML mapping: %v", filepath.Base(f), err)
			}
		}
	}
	sandbox, err := os.ReadFile(filepath.Join("..", "..", "docs", "sandbox.md"))
	if err != nil {
		t.Fatal(err)
	}
	upload, err := os.ReadFile(filepath.Join("..", "..", "docs", "ci", "check-upload.sh"))
	if err != nil || !strings.Contains(string(sandbox), "\n"+string(upload)+"```\n") {
		t.Errorf("docs/sandbox.md does not show check-upload.sh as it is, in a fenced block (%v)", err)
	}
	var gitlab struct {
		Job struct {
			Parallel  int      `yaml:"parallel"`
			Script    []string `yaml:"script"`
			Artifacts struct {
				When    string            `yaml:"when"`
				Reports map[string]string `yaml:"reports"`
			} `yaml:"artifacts"`
		} `yaml:"plugctl"`
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "ci", "gitlab-ci.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &gitlab); err != nil {
		t.Fatal(err)
	}
	j := gitlab.Job
	if j.Parallel < 2 || len(j.Script) != 3 || !strings.Contains(j.Script[2], `--shard "$CI_NODE_INDEX/$CI_NODE_TOTAL"`) ||
		!strings.Contains(j.Script[2], "--report junit=plugctl.xml") || j.Artifacts.Reports["junit"] != "plugctl.xml" || j.Artifacts.When != "always" {
		t.Errorf("gitlab-ci.yml's job: %+v", j)
	}
	action, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	// Every input of the action is documented.
	var a struct {
		Inputs map[string]any `yaml:"inputs"`
	}
	if err := yaml.Unmarshal(action, &a); err != nil || len(a.Inputs) == 0 {
		t.Fatalf("action.yml: %v", err)
	}
	for name := range a.Inputs {
		if !strings.Contains(string(doc), "| `"+name+"` |") {
			t.Errorf("docs/ci.md's table of inputs has no row for %s", name)
		}
	}
}

// listen VAR: listen on a TCP port of 127.0.0.1, accepting (and closing)
// connections for the rest of the script, and set VAR to the port: a
// server on the machine's loopback that a sandboxed plugin must not reach.
func cmdListen(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: listen VAR")
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		ts.Fatalf("listen: %v", err)
	}
	ts.Defer(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	ts.Setenv(args[0], strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
}
