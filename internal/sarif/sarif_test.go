package sarif

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plugctl/plugctl/internal/report"
)

// doc is the part of a SARIF log the tests read.
type doc struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name, Version, InformationURI string
				Rules                         []struct {
					ID, Name             string
					ShortDescription     struct{ Text string }
					Help                 struct{ Text string }
					DefaultConfiguration struct{ Level string }
				}
			}
		}
		OriginalURIBaseIDs map[string]struct{ URI string } `json:"originalUriBaseIds"`
		Results            []struct {
			RuleID    string
			RuleIndex int
			Level     string
			Message   struct{ Text string }
			Locations []locationDoc
		}
		Invocations []struct {
			Arguments           []string
			CommandLine         string
			ExitCode            int
			ExecutionSuccessful bool
			WorkingDirectory    struct{ URI string }
			Notifications       []struct {
				Level     string
				Message   struct{ Text string }
				Locations []locationDoc
			} `json:"toolExecutionNotifications"`
		}
	}
}

type locationDoc struct {
	PhysicalLocation struct {
		ArtifactLocation struct {
			URI       string
			URIBaseID string `json:"uriBaseId"`
		}
		Region *struct{ ByteOffset, ByteLength int }
	}
}

func encode(t *testing.T, l Log) doc {
	t.Helper()
	b, err := Encode(l)
	if err != nil {
		t.Fatal(err)
	}
	var d doc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if len(d.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(d.Runs))
	}
	return d
}

func TestEncode(t *testing.T) {
	dir := t.TempDir()
	odd := "lib a b#1%.so" // characters a URI must escape
	if err := os.WriteFile(filepath.Join(dir, odd), []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(filepath.Dir(dir), "elsewhere.so")
	l := Log{
		Version: "v1.2.3", Args: []string{"plugctl", "verify", "--format", "sarif", "it's here"}, WorkDir: dir,
		ExitCode: 1, Start: time.Unix(1, 0), End: time.Unix(2, 0),
		Results: []Result{
			{Rule: "crash", Level: report.Error, Message: "crash at init: SIGSEGV\nhint: use a debugger", Path: odd},
			{Rule: "writable", Level: report.Warning, Message: "writable by others", Path: outside},
			{Rule: "not-plugin", Level: report.Note, Message: "no init_plugin export", Path: filepath.Join(dir, odd)},
		},
	}
	d := encode(t, l)
	if d.Version != "2.1.0" || !strings.Contains(d.Schema, "sarif-schema-2.1.0") {
		t.Errorf("version %q, $schema %q", d.Version, d.Schema)
	}
	run := d.Runs[0]
	drv := run.Tool.Driver
	if drv.Name != "plugctl" || drv.Version != "1.2.3" || drv.InformationURI != InformationURI {
		t.Errorf("driver %q %q %q", drv.Name, drv.Version, drv.InformationURI)
	}
	if len(drv.Rules) != len(report.Rules) {
		t.Fatalf("%d rules, want the catalogue's %d", len(drv.Rules), len(report.Rules))
	}
	for i, r := range drv.Rules {
		c := report.Rules[i]
		if r.ID != c.ID || r.ShortDescription.Text != c.Summary || r.Help.Text != c.Help || r.DefaultConfiguration.Level != string(c.Level) {
			t.Errorf("rule %d: %+v, want %+v", i, r, c)
		}
		if strings.EqualFold(r.Name, r.ID) {
			t.Errorf("rule %q: name %q is its ID (SARIF 3.49.7 wants it left out)", r.ID, r.Name)
		}
	}
	if base := run.OriginalURIBaseIDs[SrcRoot].URI; base != fileURI(dir)+"/" || !strings.HasSuffix(base, "/") {
		t.Errorf("%s is %q, want %q", SrcRoot, base, fileURI(dir)+"/")
	}
	if len(run.Results) != 3 {
		t.Fatalf("%d results, want 3", len(run.Results))
	}
	for i, r := range run.Results {
		if drv.Rules[r.RuleIndex].ID != r.RuleID || r.RuleID != l.Results[i].Rule || r.Level != string(l.Results[i].Level) || r.Message.Text != l.Results[i].Message {
			t.Errorf("result %d: %+v, want %+v", i, r, l.Results[i])
		}
	}
	// Under the working directory: relative to %SRCROOT%, escaped, with
	// the whole file as its region; given relative or absolute alike.
	for _, i := range []int{0, 2} {
		loc := run.Results[i].Locations[0].PhysicalLocation
		if loc.ArtifactLocation.URI != "lib%20a%20b%231%25.so" || loc.ArtifactLocation.URIBaseID != SrcRoot {
			t.Errorf("result %d: location %+v", i, loc.ArtifactLocation)
		}
		if loc.Region == nil || loc.Region.ByteOffset != 0 || loc.Region.ByteLength != 5 {
			t.Errorf("result %d: region %+v, want bytes 0 to 5", i, loc.Region)
		}
	}
	// Outside it: an absolute file URI, and no region for a file that is
	// not there.
	loc := run.Results[1].Locations[0].PhysicalLocation
	if loc.ArtifactLocation.URI != fileURI(outside) || loc.ArtifactLocation.URIBaseID != "" || loc.Region != nil {
		t.Errorf("outside location %+v, region %+v", loc.ArtifactLocation, loc.Region)
	}
	inv := run.Invocations[0]
	if inv.ExitCode != 1 || !inv.ExecutionSuccessful || inv.CommandLine != `plugctl verify --format sarif 'it'\''s here'` ||
		len(inv.Arguments) != 5 || inv.WorkingDirectory.URI != fileURI(dir)+"/" || len(inv.Notifications) != 0 {
		t.Errorf("invocation %+v", inv)
	}
}

// A path that could not be read is a notification, and the run did not do
// all it was asked; so is an interrupted one.
func TestEncodeUnsuccessful(t *testing.T) {
	dir := t.TempDir()
	d := encode(t, Log{Version: "(devel)", WorkDir: dir, ExitCode: 1, Errors: []PathError{{Path: "gone", Message: "no such file or directory"}}})
	inv := d.Runs[0].Invocations[0]
	if inv.ExecutionSuccessful || len(inv.Notifications) != 1 {
		t.Fatalf("invocation %+v", inv)
	}
	n := inv.Notifications[0]
	if n.Level != "error" || n.Message.Text != "gone: no such file or directory" || n.Locations[0].PhysicalLocation.ArtifactLocation.URI != "gone" {
		t.Errorf("notification %+v", n)
	}
	if v := d.Runs[0].Tool.Driver.Version; v != "0.0.0+devel" {
		t.Errorf("version %q, want 0.0.0+devel", v)
	}
	if d := encode(t, Log{WorkDir: dir, ExitCode: 130}); d.Runs[0].Invocations[0].ExecutionSuccessful {
		t.Error("an interrupted run is successful")
	}
	if d := encode(t, Log{WorkDir: dir, ExitCode: 0}); !d.Runs[0].Invocations[0].ExecutionSuccessful || d.Runs[0].Results == nil {
		t.Error("a clean run is not successful, or has no results array")
	}
}

// Every result has its rule: one without is plugctl's bug, not a log.
func TestEncodeUnknownRule(t *testing.T) {
	_, err := Encode(Log{WorkDir: t.TempDir(), Results: []Result{{Rule: "no-such-rule", Level: report.Error, Path: "x.so"}}})
	if err == nil || !strings.Contains(err.Error(), `no rule "no-such-rule"`) {
		t.Errorf("err = %v", err)
	}
}

func TestNumericVersion(t *testing.T) {
	for in, want := range map[string]string{
		"v1.2.3": "1.2.3", "1.0.0-rc1": "1.0.0-rc1", "(devel)": "0.0.0+devel",
		"054780a": "0.0.0+054780a", "v0.3.0-2-g054780a-dirty": "0.3.0-2-g054780a-dirty", "": "0.0.0+",
	} {
		if got := numericVersion(in); got != want {
			t.Errorf("numericVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRuleName(t *testing.T) {
	for in, want := range map[string]string{"missing-dependency": "MissingDependency", "crash": "Crash", "invalid-utf8": "InvalidUtf8"} {
		if got := ruleName(in); got != want {
			t.Errorf("ruleName(%q) = %q, want %q", in, got, want)
		}
	}
}
