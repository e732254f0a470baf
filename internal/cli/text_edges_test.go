package cli

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/plugctl/plugctl/internal/preflight"
	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/sanitize"
	"github.com/plugctl/plugctl/internal/testplugins"
	"github.com/plugctl/plugctl/internal/verify"
	"github.com/plugctl/plugctl/internal/worker"
)

// A verdict's lines: the logs it shows (the last 20, with a note when there
// were more or some were not kept), what the plugin printed (the first 20
// lines, each cut at 300 bytes, with a count when there was more), and
// what it left running.
func TestPrintVerdictEdges(t *testing.T) {
	logs := func(n int) []sanitize.Line {
		var l []sanitize.Line
		for i := range n {
			l = append(l, sanitize.Line(fmt.Sprintf("log %d", i)))
		}
		return l
	}
	lines := func(n, width int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "%-*d\n", width, i)
		}
		return b.String()
	}
	for _, tt := range []struct {
		name      string
		r         verify.Result
		want, not []string
	}{
		{"20 logs: all, no note", verify.Result{Logs: logs(20), LogLines: 20},
			[]string{"log: log 0\n", "log: log 19\n"}, []string{"log lines;"}},
		{"21 logs: the last 20, and a note", verify.Result{Logs: logs(21), LogLines: 21},
			[]string{"(21 log lines; the text report shows the last 20 kept", "log: log 1\n", "log: log 20\n"}, []string{"log: log 0\n"}},
		{"1 log of 2 kept: a note", verify.Result{Logs: logs(1), LogLines: 2},
			[]string{"(2 log lines; the text report shows the last 1 kept"}, nil},
		{"no settling", verify.Result{}, nil, []string{"settle:"}},
		{"left a thread", verify.Result{Left: []string{"1 thread"}, SettleMS: 250},
			[]string{"settle: watched for 250.0 ms after init_plugin returned, which left 1 thread"}, nil},
		{"20 lines printed: all, no count", verify.Result{Stdout: report.Output{Text: lines(20, 1), Bytes: 50}},
			[]string{"stdout: 0\n", "stdout: 19\n"}, []string{"lines shown"}},
		{"21 lines printed: 20, and a count", verify.Result{Stdout: report.Output{Text: lines(21, 1), Bytes: 52}},
			[]string{"stdout: 19\n", "stdout: (52 bytes in all; 20 lines shown)"}, []string{"stdout: 20\n"}},
		{"cut short: a count", verify.Result{Stderr: report.Output{Text: "a\n", Bytes: 9000, Truncated: true}},
			[]string{"stderr: a\n", "stderr: (9000 bytes in all; 1 lines shown)"}, nil},
		{"a line of 300 bytes, whole", verify.Result{Stdout: report.Output{Text: lines(1, 300), Bytes: 301}},
			[]string{"stdout: 0" + strings.Repeat(" ", 299) + "\n"}, []string{"…"}},
		{"a line of 301 bytes, cut", verify.Result{Stdout: report.Output{Text: lines(1, 301), Bytes: 302}},
			[]string{"stdout: 0" + strings.Repeat(" ", 299) + "…\n"}, nil},
		{"nothing printed", verify.Result{Stdout: report.Output{Bytes: 0}}, nil, []string{"stdout"}},
	} {
		s, out, _ := testStreams(false, nil)
		r := tt.r
		r.Path, r.Status = "/p/libx.so", report.Pass
		printVerdict(s, &r, false)
		checkText(t, tt.name, out.String(), tt.want, tt.not)
	}
}

// checkText reports each of want that got lacks, and each of not it has.
func checkText(t *testing.T, name, got string, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s: no %q in\n%s", name, w, got)
		}
	}
	for _, w := range not {
		if strings.Contains(got, w) {
			t.Errorf("%s: %q in\n%s", name, w, got)
		}
	}
}

func TestFormatMS(t *testing.T) {
	for ms, want := range map[float64]string{999.9: "999.9 ms", 1000: "1.00 s", 1500: "1.50 s", 0.25: "0.2 ms"} {
		if got := formatMS(ms); got != want {
			t.Errorf("formatMS(%v) = %q, want %q", ms, got, want)
		}
	}
}

// The bar fills in proportion, and only a terminal with more than one
// plugin to go gets it.
func TestProgressBarDrawing(t *testing.T) {
	for _, tt := range []struct {
		done, total int
		want        string
	}{
		{0, 3, "\r[" + strings.Repeat(" ", 30) + "] 0/3 plugins, 0 s\x1b[K"},
		{1, 3, "\r[" + strings.Repeat("=", 10) + strings.Repeat(" ", 20) + "] 1/3 plugins, 0 s\x1b[K"},
		{3, 3, "\r[" + strings.Repeat("=", 30) + "] 3/3 plugins, 0 s\x1b[K"},
	} {
		s, _, errb := testStreams(false, nil)
		p := &verifyPrinter{s: s, total: tt.total, done: tt.done, started: time.Now()}
		p.drawLocked()
		if errb.String() != tt.want || !p.shown {
			t.Errorf("%d/%d: %q, want %q", tt.done, tt.total, errb, tt.want)
		}
	}
	// On a terminal, a bar for two plugins or more; none for one.
	opts := &verifyOptions{format: "json", progressAfter: 0}
	for total, want := range map[int]bool{1: false, 2: true} {
		s, _, errb := testStreams(true, nil)
		p := newVerifyPrinter(s, opts, total, false)
		drawn := func() bool {
			p.mu.Lock()
			defer p.mu.Unlock()
			return errb.Len() > 0
		}
		deadline := time.Now().Add(5 * time.Second)
		for !drawn() && time.Now().Before(deadline) && want {
			time.Sleep(10 * time.Millisecond)
		}
		if !want {
			time.Sleep(200 * time.Millisecond) // the ticker draws at once, if there is one
		}
		p.Done(&verify.Result{Path: "x", Status: report.Pass})
		if got := drawn(); got != want {
			t.Errorf("%d plugins on a terminal: bar %v, want %v", total, got, want)
		}
		p.stopProgress()
		if p.done != 1 {
			t.Errorf("after one result: done %d", p.done)
		}
	}
}

// JUnit: what a plugin logged, printed and was warned about, each where a
// CI page shows it; failures and errors counted apart.
func TestJUnitCaseEdges(t *testing.T) {
	rs := []*verify.Result{
		{Path: "/p/a.so", Status: report.Pass, DurationMS: 1500, Logs: []sanitize.Line{"hello"}, LogLines: 3,
			Stdout: report.Output{Text: "out", Bytes: 3}, Stderr: report.Output{Text: "err", Bytes: 3}, Warnings: []report.Finding{{ID: "w", Severity: report.Warning, Message: "m"}}},
		{Path: "/p/b.so", Status: report.Fail, Check: "init", Reason: "returned false"},
		{Path: "/p/c.so", Status: report.Crash, Check: "load", Reason: "SIGSEGV"},
		{Path: "/p/d.so", Status: report.Timeout, Check: "init", Reason: "timed out"},
	}
	s, out, _ := testStreams(false, nil)
	if err := writeJUnit(s, rs, 2*time.Second, nil); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	set := doc.Suites[0]
	if doc.Tests != 4 || doc.Failures != 1 || doc.Errors != 2 || set.Failures != 1 || set.Errors != 2 {
		t.Errorf("counts: %+v", doc)
	}
	a := set.Cases[0]
	if a.Time != "1.500" || a.SystemOut != "hello\n(2 more log lines not kept)\n--- stdout (3 bytes) ---\nout\n" ||
		a.SystemErr != "warning: w: m\n--- stderr (3 bytes) ---\nerr\n" || a.Failure != nil || a.Error != nil {
		t.Errorf("passing case: %+v", a)
	}
	if b := set.Cases[1]; b.Failure == nil || b.Error != nil || b.SystemOut != "" || b.SystemErr != "" {
		t.Errorf("failing case: %+v", b)
	}
	if c := set.Cases[2]; c.Error == nil || c.Error.Type != "crash" || c.Failure != nil {
		t.Errorf("crashing case: %+v", c)
	}
}

// A report that cannot be written says so.
func TestJUnitWriteError(t *testing.T) {
	s, _, errb := testStreams(false, nil)
	s.Out = failAfter{n: len(xml.Header)}
	if err := writeJUnit(s, []*verify.Result{{Path: "x", Status: report.Pass}}, 0, nil); err == nil {
		t.Errorf("no error; stderr %q", errb)
	}
}

// failAfter takes n bytes, then fails every write.
type failAfter struct{ n int }

func (f failAfter) Write(b []byte) (int, error) {
	if f.n >= len(b) {
		return len(b), nil
	}
	return 0, errors.New("disk full")
}

// The text report shows a soname, rpath and runpath row only for a file
// that has one, and names Mach-O's search path LC_RPATH.
func TestInspectTextRows(t *testing.T) {
	for _, tt := range []struct {
		r         preflight.Report
		want, not []string
	}{
		{preflight.Report{Format: "ELF"}, nil, []string{"soname", "rpath", "runpath"}},
		{preflight.Report{Format: "ELF", SOName: "libx.so.1", RPath: []sanitize.Untrusted{"/a", "/b"}, RunPath: []sanitize.Untrusted{"$ORIGIN"}},
			[]string{"soname      libx.so.1\n", "rpath       /a:/b\n", "runpath     $ORIGIN\n"}, nil},
		{preflight.Report{Format: "Mach-O", RPath: []sanitize.Untrusted{"@loader_path"}}, []string{"LC_RPATH    @loader_path\n"}, []string{"  rpath"}},
	} {
		s, out, _ := testStreams(false, nil)
		r := tt.r
		r.Path = "x"
		printReport(s, &r, false)
		checkText(t, fmt.Sprintf("%+v", tt.r), out.String(), tt.want, tt.not)
	}
}

// Reports of several files are separated by one blank line, and none
// comes first.
func TestInspectTextSeparator(t *testing.T) {
	s, out, _ := testStreams(false, nil)
	p := testplugins.Path(t, "libplain.so")
	Main([]string{"inspect", p, p, p}, s)
	if strings.HasPrefix(out.String(), "\n") || strings.Count(out.String(), "\n\n"+sanitize.String(p)) != 2 {
		t.Errorf("three reports:\n%s", out)
	}
}

// A version set at link time is the version shown.
func TestVersionString(t *testing.T) {
	defer func(v string) { version = v }(version)
	version = "v1.2.3"
	if got := versionString(); !strings.HasPrefix(got, "v1.2.3 (plugin API") {
		t.Errorf("versionString() = %q", got)
	}
}

// On a terminal, an error finding is red and a warning yellow.
func TestFindingColours(t *testing.T) {
	var b strings.Builder
	printFindings(&b, newReportPainter(true), []report.Finding{
		{ID: "e", Severity: report.Error, Message: "m"},
		{ID: "w", Severity: report.Warning, Message: "m"},
	})
	red, yellow := "\x1b[31;1merror\x1b[0;22m e:", "\x1b[33mwarning\x1b[0m w:"
	if !strings.Contains(b.String(), red) || !strings.Contains(b.String(), yellow) {
		t.Errorf("findings %q: want %q and %q", b.String(), red, yellow)
	}
}

// plugctl with no arguments shows its help; it is not a worker.
func TestNoArguments(t *testing.T) {
	s, out, _ := testStreams(false, nil)
	if code := Main(nil, s); code != ExitOK || !strings.Contains(out.String(), "Usage:") {
		t.Errorf("no arguments: exit %d, %q", code, out)
	}
}

// A plugin whose worker could not be started did not run: load calls it
// not-run and verify fails it with a reason that says whose failure it is,
// never that the plugin ended the process.
func TestNotRunIsNotThePlugins(t *testing.T) {
	j := verify.Judge(worker.NotStarted(&worker.StartError{Attempts: 4, Err: syscall.EAGAIN}), nil, 64)
	if k := failureKind(j); k != report.KindNotRun {
		t.Errorf("load's kind %q, want not-run", k)
	}
	if j.Status != report.Fail || !strings.HasPrefix(string(j.Reason), "not run: plugctl could not start a worker process") {
		t.Errorf("verify: %s, %q", j.Status, j.Reason)
	}
}

// A path that cannot be read is named on stderr escaped, and exactly in
// the JSON document.
func TestPathErrorsAreSanitized(t *testing.T) {
	s, out, errb := testStreams(false, nil)
	if code := Main([]string{"list", "--format", "json", "no\x1b[2Jsuch"}, s); code != ExitFailed {
		t.Fatalf("exit %d", code)
	}
	if errb.String() != "plugctl: error: no\\x1b[2Jsuch: no such file or directory\n" {
		t.Errorf("stderr %q", errb)
	}
	if !strings.Contains(out.String(), `"path": "no\u001b[2Jsuch"`) {
		t.Errorf("JSON %s: want the path as it was given", out)
	}
}

// plugctl list's table is laid out as text/tabwriter lays it out (which
// it was written with before), wide and narrow characters, colour and
// all.
func TestListTableIsTabwriters(t *testing.T) {
	compatible := false
	entries := []listEntry{
		{Path: "/p/libplain.so", Status: report.Plugin, Arch: "x86_64", OS: runtime.GOOS},
		{Path: "/p/lib日本語é.so", Status: report.Plugin, Arch: "aarch64", OS: "darwin",
			Manifest: &preflight.Manifest{Manifest: &hostapi.Manifest{Name: "wide 名前", Version: "1.0.0-βeta", APIVersion: 2}, Error: "too new"}},
		{Path: "/p/a-much-longer-path/than-the-others/libx.so", Status: report.Invalid, Reason: "not an ELF, PE or Mach-O file",
			Manifest: &preflight.Manifest{Error: "short"}},
		{Path: "/p/libabi.so", Status: report.Incompatible, Arch: "i386", OS: "windows", ABI: &preflight.ABIReport{Version: "1.2", Compatible: &compatible}},
	}
	for _, colour := range []bool{false, true} {
		var got, want bytes.Buffer
		printList(&Streams{Out: &got, Err: io.Discard, outColor: colour}, entries)
		tw := tabwriter.NewWriter(&want, 0, 0, 2, ' ', 0)
		p := newReportPainter(colour)
		for _, row := range append([][len(listHeader)]string{listHeader}, rows(p, entries)...) {
			fmt.Fprintln(tw, strings.Join(row[:], "\t"))
		}
		tw.Flush()
		if got.String() != want.String() {
			t.Errorf("colour %v:\n%s\ntabwriter:\n%s", colour, got.String(), want.String())
		}
	}
}

func rows(p reportPainter, entries []listEntry) (r [][len(listHeader)]string) {
	for _, e := range entries {
		r = append(r, listRow(p, e))
	}
	return r
}
