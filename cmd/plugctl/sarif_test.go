package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// Every SARIF log a script makes is checked by Microsoft's own validator,
// Sarif.Multitool (npm @microsoft/sarif-multitool-linux, which make tools
// installs in build/tools), as runPlugctl checks JSON against its schema.

// sarifValidator returns the validator's path: $PLUGCTL_SARIF_VALIDATOR, or
// where make tools installs it.
func sarifValidator() string {
	if v := os.Getenv("PLUGCTL_SARIF_VALIDATOR"); v != "" {
		return v
	}
	p, _ := filepath.Abs(filepath.Join("..", "..", "build", "tools", "sarif-multitool",
		"node_modules", "@microsoft", "sarif-multitool-linux", "Sarif.Multitool"))
	return p
}

// needSarifValidator is "" when the validator is there (or cannot run on
// this system: Linux only), else the one line that says what to run.
func needSarifValidator() string {
	if runtime.GOOS != "linux" {
		return ""
	}
	if _, err := os.Stat(sarifValidator()); err != nil {
		return "the SARIF validator (Sarif.Multitool) is not installed: run make tools (npm install of @microsoft/sarif-multitool-linux)"
	}
	return ""
}

// asksSARIF reports whether args ask for --format sarif.
func asksSARIF(args []string) bool {
	for i, a := range args {
		if a == "--format=sarif" || (a == "--format" && i+1 < len(args) && args[i+1] == "sarif") {
			return true
		}
	}
	return false
}

// sarifAccepted are the validator's warnings a plugctl log may draw:
// SARIF2017 asks every location for a region, and a path that is not there
// (an unreadable file, a missing PATH) has no bytes to give one.
var sarifAccepted = []string{"SARIF2017"}

// validateSARIF runs the validator on doc: its errors, and its warnings
// but the accepted ones, are the log's faults.
func validateSARIF(validator string, doc []byte) error {
	dir, err := os.MkdirTemp("", "plugctl-sarif-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "plugctl.sarif"), filepath.Join(dir, "validation.sarif")
	if err := os.WriteFile(in, doc, 0o644); err != nil {
		return err
	}
	// The validator is a program of its own: one that fails to run (not
	// a fault it found, which its log says) is run once more before the
	// failure is the test's.
	var b []byte
	for try := 1; ; try++ {
		os.Remove(out)
		cmd := exec.Command(validator, "validate", in, "--output", out)
		// .NET needs no ICU for this: without one installed, it would
		// refuse to start.
		cmd.Env = append(os.Environ(), "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1")
		msg, err := cmd.CombinedOutput()
		if err == nil {
			if b, err = os.ReadFile(out); err == nil {
				break
			}
		}
		if try == 2 {
			return fmt.Errorf("%s (run twice): %v\n%s", validator, err, msg)
		}
	}
	var v struct {
		Runs []struct {
			Results []struct {
				RuleID  string `json:"ruleId"`
				Level   string `json:"level"`
				Message struct {
					Text      string   `json:"text"`
					Arguments []string `json:"arguments"`
				} `json:"message"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("the validator's own log: %v", err)
	}
	var faults []string
	for _, run := range v.Runs {
		for _, r := range run.Results {
			// The validator's results are errors unless they say otherwise.
			if r.Level == "note" || r.Level == "none" || (r.Level == "warning" && slices.Contains(sarifAccepted, r.RuleID)) {
				continue
			}
			level := r.Level
			if level == "" {
				level = "error"
			}
			faults = append(faults, fmt.Sprintf("%s %s: %s", level, r.RuleID, strings.Join(r.Message.Arguments, "; ")))
		}
	}
	if len(faults) > 0 {
		return fmt.Errorf("%d problems:\n%s\n%s", len(faults), strings.Join(faults, "\n"), doc)
	}
	return nil
}

// sarifdigest FILE OUT: write the SARIF log in FILE (stdout, say) as lines
// a script can grep:
//
//	result RULE LEVEL URI [BASE]
//	message RULE first line of the message
//	notification LEVEL URI: message
//	invocation exit=N successful=BOOL
//	driver NAME VERSION RULES
func cmdSarifdigest(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sarifdigest FILE OUT")
	}
	type loc struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI       string `json:"uri"`
				URIBaseID string `json:"uriBaseId"`
			} `json:"artifactLocation"`
		} `json:"physicalLocation"`
	}
	var doc struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Name    string            `json:"name"`
					Version string            `json:"version"`
					Rules   []json.RawMessage `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string                `json:"ruleId"`
				Level     string                `json:"level"`
				Message   struct{ Text string } `json:"message"`
				Locations []loc                 `json:"locations"`
			} `json:"results"`
			Invocations []struct {
				ExitCode            int  `json:"exitCode"`
				ExecutionSuccessful bool `json:"executionSuccessful"`
				Notifications       []struct {
					Level     string                `json:"level"`
					Message   struct{ Text string } `json:"message"`
					Locations []loc                 `json:"locations"`
				} `json:"toolExecutionNotifications"`
			} `json:"invocations"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &doc); err != nil {
		ts.Fatalf("sarifdigest: %s: %v", args[0], err)
	}
	var b strings.Builder
	for _, run := range doc.Runs {
		d := run.Tool.Driver
		fmt.Fprintf(&b, "driver %s %s %d\n", d.Name, d.Version, len(d.Rules))
		for _, r := range run.Results {
			where := ""
			for _, l := range r.Locations {
				a := l.PhysicalLocation.ArtifactLocation
				where = strings.TrimSpace(a.URI + " " + a.URIBaseID)
			}
			fmt.Fprintf(&b, "result %s %s %s\n", r.RuleID, r.Level, where)
			first, _, _ := strings.Cut(r.Message.Text, "\n")
			fmt.Fprintf(&b, "message %s %s\n", r.RuleID, first)
		}
		for _, inv := range run.Invocations {
			fmt.Fprintf(&b, "invocation exit=%d successful=%t\n", inv.ExitCode, inv.ExecutionSuccessful)
			for _, n := range inv.Notifications {
				uri := ""
				for _, l := range n.Locations {
					uri = l.PhysicalLocation.ArtifactLocation.URI
				}
				fmt.Fprintf(&b, "notification %s %s: %s\n", n.Level, uri, n.Message.Text)
			}
		}
	}
	if err := os.WriteFile(ts.MkAbs(args[1]), []byte(b.String()), 0o644); err != nil {
		ts.Fatalf("sarifdigest: %v", err)
	}
}

// The validator is really run, and really fails a log: one whose result
// has no message (a schema violation) is refused; the same log with it is
// not. Without this, a validator that checked nothing would pass every
// script.
func TestSARIFValidatorRefuses(t *testing.T) {
	if needSarifValidator() != "" || runtime.GOOS != "linux" {
		t.Skip("the validator runs on Linux (TestMain already failed if it is missing)")
	}
	good := `{"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": [{"tool": {"driver":
	  {"name": "plugctl", "version": "1.0.0", "informationUri": "https://github.com/plugctl/plugctl",
	   "rules": [{"id": "crash", "shortDescription": {"text": "it crashed"}, "fullDescription": {"text": "It crashed."},
	              "help": {"text": "debug it"}, "helpUri": "https://github.com/plugctl/plugctl"}]}},
	  "results": [{"ruleId": "crash", "ruleIndex": 0, "level": "error", "message": {"text": "it crashed."}}]}]}`
	if err := validateSARIF(sarifValidator(), []byte(good)); err != nil {
		t.Fatalf("a valid log: %v", err)
	}
	bad := strings.Replace(good, `, "message": {"text": "it crashed."}`, "", 1)
	err := validateSARIF(sarifValidator(), []byte(bad))
	if err == nil || !strings.Contains(err.Error(), "JSON1002") {
		t.Fatalf("a log with a result without a message: %v", err)
	}
}

// sarifvalid FILE: the SARIF log in FILE (a --report file, say) passes the
// validator, as every log on stdout does.
func cmdSarifvalid(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sarifvalid FILE")
	}
	if runtime.GOOS != "linux" {
		return // the validator runs on Linux
	}
	if err := validateSARIF(sarifValidator(), []byte(ts.ReadFile(args[0]))); err != nil {
		ts.Fatalf("sarifvalid: %s: %v", args[0], err)
	}
}
