package cli

import (
	"encoding/xml"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/sanitize"
	"github.com/plugctl/plugctl/internal/verify"
)

// JUnit XML, as CI dashboards (Jenkins, GitLab, GitHub test reporters)
// read it: one testcase per plugin; fail is a <failure>, crash and timeout
// are <error>s. Logs go to <system-out>, warnings and what the plugin wrote
// to stderr to <system-err>. A run on several host versions (verify --abi
// --host-version V,V...) has a testsuite per version.
type junitSuites struct {
	XMLName  xml.Name   `xml:"testsuites"`
	Name     string     `xml:"name,attr"`
	Tests    int        `xml:"tests,attr"`
	Failures int        `xml:"failures,attr"`
	Errors   int        `xml:"errors,attr"`
	Time     string     `xml:"time,attr"`
	Suites   []junitSet `xml:"testsuite"`
}

type junitSet struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Errors     int              `xml:"errors,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Time       string           `xml:"time,attr"`
	Timestamp  string           `xml:"timestamp,attr"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Cases      []junitCase      `xml:"testcase"`
}

// junitProperties are the run's settings worth keeping with its results:
// the sandbox it ran in.
type junitProperties struct {
	Property []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
	SystemErr string        `xml:"system-err,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func writeJUnit(s *Streams, rs []*verify.Result, elapsed time.Duration, sb *sandboxReport) error {
	sandboxed := "no"
	if sb != nil {
		sandboxed = sb.Summary()
	}
	doc := junitSuites{Name: "plugctl verify", Time: seconds(elapsed.Seconds())}
	var versions []string
	byVersion := map[string][]*verify.Result{}
	for _, r := range rs {
		if _, ok := byVersion[r.HostVersion]; !ok {
			versions = append(versions, r.HostVersion)
		}
		byVersion[r.HostVersion] = append(byVersion[r.HostVersion], r)
	}
	if len(versions) == 0 {
		versions = []string{""}
	}
	for _, v := range versions {
		set := junitSuite(byVersion[v], sandboxed)
		set.Time = doc.Time
		if len(versions) > 1 {
			// The versions ran one after another: each suite took what
			// its plugins took.
			set.Name += " (host version " + v + ")"
			var ms float64
			for _, r := range byVersion[v] {
				ms += r.DurationMS
			}
			set.Time = seconds(ms / 1000)
		}
		if v != "" {
			set.Properties.Property = append(set.Properties.Property, junitProperty{Name: "host_version", Value: v})
		}
		doc.Tests, doc.Failures, doc.Errors = doc.Tests+set.Tests, doc.Failures+set.Failures, doc.Errors+set.Errors
		doc.Suites = append(doc.Suites, set)
	}
	if _, err := fmt.Fprint(s.Out, xml.Header); err != nil {
		return writeFailed(err)
	}
	enc := xml.NewEncoder(s.Out)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return writeFailed(err)
	}
	fmt.Fprintln(s.Out)
	return nil
}

// junitSuite is the testsuite of results rs.
func junitSuite(rs []*verify.Result, sandboxed string) junitSet {
	set := junitSet{Name: "plugctl verify", Tests: len(rs), Timestamp: time.Now().UTC().Format("2006-01-02T15:04:05")}
	set.Properties = &junitProperties{[]junitProperty{{Name: "sandbox", Value: sandboxed}}}
	for _, r := range rs {
		// The path is shown as in the text report: a CI page renders it.
		c := junitCase{Name: r.Path.String(), Classname: "plugctl.verify", Time: seconds(r.DurationMS / 1000)}
		var out, errs strings.Builder
		for _, l := range r.Logs {
			out.WriteString(string(l) + "\n")
		}
		if n := r.LogsDropped(); n > 0 {
			fmt.Fprintf(&out, "(%d more log lines not kept)\n", n)
		}
		if r.Stdout.Bytes > 0 {
			fmt.Fprintf(&out, "--- stdout (%d bytes) ---\n%s\n", r.Stdout.Bytes, r.Stdout.Text)
		}
		for _, w := range r.Warnings {
			errs.WriteString("warning: " + w.String() + "\n")
		}
		if r.Stderr.Bytes > 0 {
			fmt.Fprintf(&errs, "--- stderr (%d bytes) ---\n%s\n", r.Stderr.Bytes, r.Stderr.Text)
		}
		c.SystemOut, c.SystemErr = out.String(), errs.String()
		if r.Status != report.Pass {
			p := &junitProblem{Message: string(r.Check) + ": " + string(r.Reason), Type: string(r.Status), Text: problemText(r)}
			if r.Status == report.Fail {
				c.Failure = p
				set.Failures++
			} else {
				c.Error = p
				set.Errors++
			}
		}
		set.Cases = append(set.Cases, c)
	}
	return set
}

func writeFailed(err error) error {
	return fmt.Errorf("writing output: %w", err)
}

// problemText is the body of a failure or error: the verdict, the hint and
// the plugin's logs.
func problemText(r *verify.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s: %s\n", r.Status, r.Check, r.Reason)
	if r.Hint != "" {
		b.WriteString("hint: " + string(r.Hint) + "\n")
	}
	if r.Rerun != "" {
		b.WriteString("note: " + r.Rerun + "\n")
	}
	for _, l := range r.Logs {
		b.WriteString("log: " + string(l) + "\n")
	}
	return b.String()
}

func seconds(s float64) string { return fmt.Sprintf("%.3f", s) }

// writeGitHub writes GitHub Actions workflow commands: an error annotation
// per plugin that did not pass, a warning annotation per warning. Text that
// came from a plugin is escaped so it cannot end the command or start
// another.
func writeGitHub(s *Streams, rs []*verify.Result) {
	for _, r := range rs {
		file := ghProperty(string(r.Path))
		on := ""
		if r.HostVersion != "" {
			on = " (host version " + r.HostVersion + ")"
		}
		if r.Status != report.Pass {
			msg := problemText(r)
			fmt.Fprintf(s.Out, "::error file=%s,title=%s::%s\n", file, ghProperty("plugctl verify: "+string(r.Status)+on), ghData(strings.TrimSuffix(msg, "\n")))
		}
		for _, w := range r.Warnings {
			fmt.Fprintf(s.Out, "::warning file=%s,title=%s::%s\n", file, ghProperty("plugctl verify: warning"+on), ghData(w.String()))
		}
	}
}

var (
	ghDataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	ghPropertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func ghData(s string) string     { return ghDataEscaper.Replace(s) }
func ghProperty(s string) string { return ghPropertyEscaper.Replace(sanitize.String(s)) }

// reportFile is a --report FORMAT=FILE: a report written to a file besides
// the one on stdout.
type reportFile struct {
	format, path string
	file         *os.File
}

type reportFiles []reportFile

// openReports parses --report values and creates their files, before any
// plugin runs: a report that cannot be written fails the run at once.
func openReports(specs []string) (reportFiles, error) {
	var rs reportFiles
	for _, spec := range specs {
		format, path, ok := strings.Cut(spec, "=")
		if !ok || path == "" || !slices.Contains([]string{"json", "junit", "sarif"}, format) {
			return nil, usagef("invalid --report %q: want FORMAT=FILE, FORMAT json, junit or sarif", sanitize.String(spec))
		}
		rs = append(rs, reportFile{format: format, path: path})
	}
	for i := range rs {
		f, err := os.Create(rs[i].path)
		if err != nil {
			rs.close()
			return nil, fmt.Errorf("--report %s: %w", sanitize.String(specs[i]), pathErr(err))
		}
		rs[i].file = f
	}
	return rs, nil
}

// close closes the files not yet closed (a run that ended early).
func (rs reportFiles) close() {
	for _, r := range rs {
		r.file.Close() // a second close only fails
	}
}
