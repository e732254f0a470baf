package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/plugctl/plugctl/internal/preflight"
	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/sanitize"
	"github.com/plugctl/plugctl/internal/testplugins"
)

// The documented JSON schema of inspect (docs/cli.md): decoded strictly, so a
// renamed or missing field fails.
func TestInspectJSONSchema(t *testing.T) {
	type needed struct {
		Name   string    `json:"name"`
		Path   *string   `json:"path"`
		Status string    `json:"status"`
		Via    string    `json:"via"`
		Needs  []*needed `json:"needs"`
	}
	var doc struct {
		Host struct {
			OS, Arch   string
			APIVersion int `json:"api_version"`
		} `json:"host"`
		Files []struct {
			Path, Status, Format, Arch, OS string
			Bits                           int
			LoadsHere                      *bool `json:"loads_here"`
			Manifest                       *struct {
				Name       string `json:"name"`
				APIVersion int    `json:"api_version"`
			} `json:"manifest"`
			Exports []struct {
				Name, Kind, Role string
			} `json:"exports"`
			Needed   []*needed `json:"needed"`
			Findings []struct {
				ID, Severity, Message, Hint string
			} `json:"findings"`
		} `json:"files"`
	}
	s, out, errb := testStreams(false, nil)
	code := Main([]string{"inspect", "--format", "json", "--tree",
		testplugins.Path(t, "libsdk_hello.so"), testplugins.Path(t, "libtransitive.so")}, s)
	if code != ExitFailed || errb.Len() != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb)
	}
	dec := json.NewDecoder(strings.NewReader(out.String()))
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Host.APIVersion != 1 || doc.Host.OS == "" || len(doc.Files) != 2 {
		t.Fatalf("doc %+v", doc)
	}
	hello, trans := doc.Files[0], doc.Files[1]
	if hello.Status != "plugin" || hello.Format != "ELF" || hello.Arch != "x86_64" || hello.Bits != 64 ||
		hello.LoadsHere == nil || !*hello.LoadsHere || hello.Manifest == nil || hello.Manifest.Name != "sdk-c" {
		t.Errorf("libsdk_hello.so: %+v", hello)
	}
	if len(hello.Exports) != 2 || hello.Exports[0].Name != "init_plugin" || hello.Exports[0].Kind != "function" || hello.Exports[0].Role != "entry point" {
		t.Errorf("exports %+v", hello.Exports)
	}
	if hello.Findings == nil || len(hello.Findings) != 0 {
		t.Errorf("findings %+v: want []", hello.Findings)
	}
	if len(trans.Needed) != 1 || trans.Needed[0].Path == nil || trans.Needed[0].Via != "RUNPATH" {
		t.Fatalf("libtransitive.so needed %+v", trans.Needed)
	}
	gone := trans.Needed[0].Needs
	if len(gone) != 1 || gone[0].Name != "libplugctl_gone.so" || gone[0].Path != nil || gone[0].Status != "missing" {
		t.Errorf("transitive %+v", gone)
	}
	if !strings.Contains(out.String(), `"path": null`) {
		t.Error(`an unresolved library's path is not written as null`)
	}
	if len(trans.Findings) != 1 || trans.Findings[0].ID != "missing-dependency" || trans.Findings[0].Severity != "error" || trans.Findings[0].Hint == "" {
		t.Errorf("findings %+v", trans.Findings)
	}
}

// Names read from a file are untrusted: a symbol, library or path with an
// escape sequence reaches the terminal neutralised.
func TestReportSanitizesFileText(t *testing.T) {
	s, out, _ := testStreams(false, nil)
	bad := "evil\x1b[2J\x1b]0;title\x07\u202ename"
	lib := sanitize.Untrusted("/lib/" + bad + ".so")
	name := sanitize.Untrusted(bad)
	r := &preflight.Report{
		Path: "p\x1b[31m.so", Status: report.Plugin, Format: "ELF", Kind: "shared library", Arch: "x86_64",
		Bits: 64, ByteOrder: "little", OS: "linux", LoadsHere: true, SOName: name, RunPath: []sanitize.Untrusted{name},
		Exports:  []preflight.Export{{Name: name, Kind: "function"}},
		Needed:   []*preflight.Needed{{Name: name, Path: &lib, Status: "found", Via: "RUNPATH"}},
		Findings: []report.Finding{{ID: "x", Severity: report.Warning, Message: sanitize.Clean(bad), Hint: sanitize.Clean(bad)}},
	}
	printReport(s, r, true)
	got := out.String()
	if strings.ContainsAny(got, "\x1b\x07\u202e") {
		t.Fatalf("raw control characters in the report:\n%q", got)
	}
	if !strings.Contains(got, `evil\x1b[2J\x1b]0;title\x07\u202ename`) {
		t.Errorf("names not shown escaped:\n%s", got)
	}
}

// Reports are coloured on a terminal only.
func TestInspectColour(t *testing.T) {
	for _, tty := range []bool{true, false} {
		s, out, _ := testStreams(tty, nil)
		Main([]string{"inspect", testplugins.Path(t, "libnoentry.so")}, s)
		if got := strings.Contains(out.String(), "\x1b["); got != tty {
			t.Errorf("terminal %v: colour %v", tty, got)
		}
		s, out, _ = testStreams(tty, map[string]string{"NO_COLOR": "1"})
		Main([]string{"list", testplugins.Dir(t)}, s)
		if strings.Contains(out.String(), "\x1b[") {
			t.Errorf("terminal %v, NO_COLOR: list is coloured", tty)
		}
	}
}
