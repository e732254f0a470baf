package cli

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/sanitize"
	"github.com/plugctl/plugctl/internal/testplugins"
	"github.com/plugctl/plugctl/internal/verify"
)

// The documented JSON schema of verify (docs/cli.md), decoded with unknown
// fields refused: a renamed, missing or extra field fails.
func TestVerifyJSONSchema(t *testing.T) {
	type output struct {
		Text      *string `json:"text"`
		Bytes     *int64  `json:"bytes"`
		Truncated *bool   `json:"truncated"`
	}
	var doc struct {
		HostAPIVersion *int `json:"host_api_version"`
		Plugins        []struct {
			Path     string   `json:"path"`
			Status   string   `json:"status"`
			Check    string   `json:"check"`
			Reason   string   `json:"reason"`
			Hint     string   `json:"hint"`
			Signal   string   `json:"signal"`
			Name     string   `json:"name"`
			Logs     []string `json:"logs"`
			LogLines *int     `json:"log_lines"`
			Warnings []struct {
				ID, Severity, Message string
				Hint                  *string
			} `json:"warnings"`
			Stdout      output   `json:"stdout"`
			Stderr      output   `json:"stderr"`
			ThreadsLeft *int     `json:"threads_left"`
			Left        []string `json:"left"`
			SettleMS    *float64 `json:"settle_ms"`
			Rerun       string   `json:"rerun"`
			DurationMS  *float64 `json:"duration_ms"`
		} `json:"plugins"`
		Errors []struct {
			Path, Message string
		} `json:"errors"`
		Sandbox *struct{} `json:"sandbox"`
		Summary struct {
			Pass, Fail, Crash, Timeout *int
		} `json:"summary"`
	}
	s, out, errb := testStreams(false, nil)
	code := Main([]string{"verify", "--format", "json", "-j", "3",
		testplugins.Path(t, "libsdk_hello.so"), testplugins.Path(t, "libcrash.so"), testplugins.Path(t, "libescapes.so"), "no-such-dir"}, s)
	if code != ExitFailed || errb.String() != "plugctl: error: no-such-dir: no such file or directory\n" {
		t.Fatalf("exit %d, stderr %q", code, errb)
	}
	dec := json.NewDecoder(strings.NewReader(out.String()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	// Written a plugin at a time, it is byte for byte what json.Encoder
	// makes of the whole report.
	var rep verifyReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	enc := json.NewEncoder(&again)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil || again.String() != out.String() {
		t.Errorf("layout differs from json.Encoder's:\n%s\nwant\n%s", out, again.String())
	}
	if doc.HostAPIVersion == nil || *doc.HostAPIVersion != 1 || len(doc.Plugins) != 3 {
		t.Fatalf("doc %+v", doc)
	}
	crash, escapes, hello := doc.Plugins[0], doc.Plugins[1], doc.Plugins[2]
	if crash.Status != "crash" || crash.Check != "init" || crash.Signal != "SIGSEGV" || len(crash.Logs) != 1 || crash.Logs[0] != "about to crash" {
		t.Errorf("crash: %+v", crash)
	}
	if hello.Status != "pass" || hello.Name != "sdk-c" || hello.Logs == nil || hello.Warnings == nil || len(hello.Warnings) != 0 ||
		hello.LogLines == nil || *hello.LogLines != 1 || hello.DurationMS == nil || *hello.DurationMS <= 0 ||
		hello.ThreadsLeft == nil || *hello.ThreadsLeft != 0 || hello.Left == nil || len(hello.Left) != 0 || hello.SettleMS == nil || *hello.SettleMS != 0 {
		t.Errorf("sdk_hello: %+v", hello)
	}
	if escapes.Stdout.Bytes == nil || *escapes.Stdout.Bytes == 0 || escapes.Stdout.Text == nil ||
		!strings.Contains(*escapes.Stdout.Text, `\x1b]0;pwned-too\x07`) || len(escapes.Warnings) != 1 {
		t.Errorf("escapes: %+v", escapes)
	} else if w := escapes.Warnings[0]; w.ID != "control-characters" || w.Severity != "warning" || w.Message == "" || w.Hint == nil {
		t.Errorf("escapes' warning %+v: want an object with id, severity, message and hint", w)
	}
	if len(doc.Errors) != 1 || doc.Errors[0].Path != "no-such-dir" || doc.Errors[0].Message != "no such file or directory" {
		t.Errorf("errors %+v", doc.Errors)
	}
	if *doc.Summary.Pass != 2 || *doc.Summary.Crash != 1 || *doc.Summary.Fail != 0 || *doc.Summary.Timeout != 0 {
		t.Errorf("summary %+v", doc.Summary)
	}
}

// JUnit output is well-formed XML whatever the plugins logged.
func TestVerifyJUnitIsXML(t *testing.T) {
	s, out, _ := testStreams(false, nil)
	Main([]string{"verify", "--format", "junit", testplugins.Path(t, "libhostile_log.so"), testplugins.Path(t, "libcrash.so")}, s)
	var doc struct {
		Suites []struct {
			Cases []struct {
				Name  string `xml:"name,attr"`
				Error *struct {
					Type string `xml:"type,attr"`
				} `xml:"error"`
				Out string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	cases := doc.Suites[0].Cases
	if len(cases) != 2 || cases[0].Error == nil || cases[0].Error.Type != "crash" || !strings.Contains(cases[1].Out, "still alive") {
		t.Errorf("cases %+v", cases)
	}
}

// On a terminal, a run that takes a while draws a progress bar on stderr,
// and clears it before each result line and at the end.
func TestVerifyProgressBar(t *testing.T) {
	s, out, errb := testStreams(false, nil)
	s.ErrTTY, s.ProgressDelay = true, 0
	code := Main([]string{"verify", "--color", "never", "-j", "1", "--timeout", "400ms",
		testplugins.Path(t, "libloop.so"), testplugins.Path(t, "libplain.so")}, s)
	if code != ExitFailed {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(errb.String(), "] 0/2 plugins") || !strings.HasSuffix(errb.String(), "\r\x1b[K") {
		t.Errorf("stderr %q: want a progress bar, cleared at the end", errb)
	}
	if strings.Contains(out.String(), "\r") {
		t.Errorf("progress reached stdout: %q", out)
	}
	// Not on a terminal: no bar.
	s, _, errb = testStreams(false, nil)
	Main([]string{"verify", "-j", "1", testplugins.Path(t, "libplain.so"), testplugins.Path(t, "libsdk_hello.so")}, s)
	if errb.Len() != 0 {
		t.Errorf("stderr %q off a terminal", errb)
	}
}

// Whatever a file or a plugin put in a result, the text report shows it
// escaped: reasons quote names read from the file (Lines, sanitized where
// they were made), and the rest is sanitized as it is printed.
func TestVerifyTextIsSanitized(t *testing.T) {
	bad := "evil\x1b[2J\x1b]0;title\x07\u202e\nname"
	s, out, _ := testStreams(false, nil)
	printVerdict(s, &verify.Result{
		Path: "p\x1b[31m.so", Status: report.Fail, Check: report.CheckPreflight,
		Reason: sanitize.Clean("missing-dependency: " + bad), Hint: sanitize.Clean(bad), Rerun: bad,
		Warnings: []report.Finding{{ID: "x", Severity: report.Warning, Message: sanitize.Clean(bad)}},
		Logs:     []sanitize.Line{"ok"}, LogLines: 1,
		Stdout: report.Output{Text: "line\x1b[0m", Bytes: 9},
	}, false)
	if strings.ContainsAny(out.String(), "\x1b\x07\u202e") {
		t.Errorf("raw control characters reached the report:\n%q", out)
	}
	if n := strings.Count(out.String(), `evil\x1b[2J\x1b]0;title\x07\u202e\nname`); n != 4 {
		t.Errorf("escaped text shown %d times, want 4 (reason, hint, note, warning):\n%s", n, out)
	}
}

// Plugins that settle after a settle period, one that dies in it and quiet
// ones, verified together from several slots: the report is complete and
// each verdict right (and, under make test-race, the settling goroutines,
// the workers' events and the printer meet without a race).
func TestVerifySettling(t *testing.T) {
	s, out, errb := testStreams(false, nil)
	code := Main([]string{"verify", "--format", "json", "-j", "2", "--settle", "400ms",
		testplugins.Path(t, "libthread.so"), testplugins.Path(t, "liblate_crash.so"), testplugins.Path(t, "libplain.so"),
		testplugins.Path(t, "libsdk_hello.so"), testplugins.Path(t, "libstate_chdir.so")}, s)
	if code != ExitFailed || errb.Len() != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb)
	}
	var rep verifyReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	got := map[string]report.Verdict{}
	for _, r := range rep.Plugins {
		got[r.Name] = r.Status
	}
	want := map[string]report.Verdict{"thread": report.Pass, "late_crash": report.Crash, "plain": report.Pass, "sdk-c": report.Pass, "state_chdir": report.Pass}
	if len(got) != len(want) {
		t.Fatalf("verdicts %v", got)
	}
	for name, st := range want {
		if got[name] != st {
			t.Errorf("%s: %s, want %s", name, got[name], st)
		}
	}
}
