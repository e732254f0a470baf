// Package sarif turns what a plugctl command found into a SARIF 2.1.0 log,
// the format code-scanning dashboards read (GitHub code scanning, GitLab,
// Azure DevOps, the SARIF viewers): one rule per finding ID, verdict and
// file status (report.Rules), with its help text; one result per problem,
// located at the plugin file, relative to the working directory when it is
// under it; and the run's invocation with its exit status. The document is
// built with github.com/owenrumney/go-sarif.
package sarif

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	gosarif "github.com/owenrumney/go-sarif/v2/sarif"
	"github.com/plugctl/plugctl/internal/report"
)

// SrcRoot is the base ID of result locations under the working directory.
const SrcRoot = "%SRCROOT%"

// InformationURI is where the tool is documented.
const InformationURI = "https://github.com/plugctl/plugctl"

// A Result is one problem with one file.
type Result struct {
	Rule    string          // the ID of one of report.Rules
	Level   report.Severity // error, warning or note
	Message string          // what the evidence shows; a hint may follow on a line of its own
	Path    string          // the file, as given on the command line or found in a directory
}

// A PathError is a path plugctl could not read: a tool execution
// notification, not a result (no rule covers it).
type PathError struct {
	Path, Message string
}

// Log is one run of a plugctl command.
type Log struct {
	Version    string   // plugctl's version
	Args       []string // the command line, the program's name first
	WorkDir    string   // an absolute path
	ExitCode   int
	Start, End time.Time
	Results    []Result
	Errors     []PathError
}

// Encode returns l as an indented SARIF 2.1.0 document. It fails on a
// result whose rule is not in report.Rules: every result has its rule.
func Encode(l Log) ([]byte, error) {
	doc, err := gosarif.New(gosarif.Version210)
	if err != nil {
		return nil, err
	}
	driver := gosarif.NewDriver("plugctl")
	driver.InformationURI = ptr(InformationURI)
	driver.Version = ptr(numericVersion(l.Version))
	index := map[string]uint{}
	for i, r := range report.Rules {
		index[r.ID] = uint(i)
		rule := gosarif.NewRule(r.ID)
		// A name the same as the ID, but for case, is left out (SARIF
		// 3.49.7).
		if name := ruleName(r.ID); !strings.EqualFold(name, r.ID) {
			rule.WithName(name)
		}
		driver.Rules = append(driver.Rules, rule.
			WithShortDescription(gosarif.NewMultiformatMessageString(r.Summary)).
			WithFullDescription(gosarif.NewMultiformatMessageString(r.Summary+".")).
			WithHelp(gosarif.NewMultiformatMessageString(r.Help)).
			WithHelpURI(InformationURI+"/blob/main/docs/cli.md").
			WithDefaultConfiguration(gosarif.NewReportingConfiguration().WithLevel(string(r.Level))))
	}
	run := gosarif.NewRun(*gosarif.NewTool(driver))
	base := dirURI(l.WorkDir)
	run.OriginalUriBaseIDs = map[string]*gosarif.ArtifactLocation{
		SrcRoot: gosarif.NewArtifactLocation().WithUri(base),
	}
	run.Results = []*gosarif.Result{}
	for _, r := range l.Results {
		i, ok := index[r.Rule]
		if !ok {
			return nil, fmt.Errorf("sarif: result for %s: no rule %q", r.Path, r.Rule)
		}
		res := gosarif.NewRuleResult(r.Rule).
			WithRuleIndex(int(i)).
			WithLevel(string(r.Level)).
			WithMessage(gosarif.NewTextMessage(r.Message)).
			WithLocations([]*gosarif.Location{location(l.WorkDir, r.Path)})
		// Results are told apart across runs by rule and file: a message
		// may hold a duration.
		sum := sha256.Sum256([]byte(r.Rule + "\x00" + filepath.ToSlash(r.Path)))
		res.PartialFingerprints = map[string]any{"plugctlFile/v1": hex.EncodeToString(sum[:16])}
		run.AddResult(res)
	}
	inv := gosarif.NewInvocation()
	inv.Arguments = l.Args
	inv.CommandLine = ptr(commandLine(l.Args))
	inv.ExitCode = ptr(l.ExitCode)
	inv.ExitCodeDescription = ptr(exitDescription(l.ExitCode))
	inv.WorkingDirectory = gosarif.NewArtifactLocation().WithUri(base)
	// A path that could not be read, or an interrupted run, is a run that
	// did not do all it was asked: its results are not the whole story.
	inv.ExecutionSuccessful = ptr(len(l.Errors) == 0 && (l.ExitCode == 0 || l.ExitCode == 1))
	if !l.Start.IsZero() {
		start, end := l.Start.UTC(), l.End.UTC()
		inv.StartTimeUTC, inv.EndTimeUTC = &start, &end
	}
	for _, e := range l.Errors {
		n := gosarif.NewNotification().WithLevel("error").WithTextMessage(e.Path + ": " + e.Message)
		n.AddLocation(location(l.WorkDir, e.Path))
		inv.AddTToolExecutionNotification(n)
	}
	run.AddInvocations(inv)
	doc.AddRun(run)
	var b bytes.Buffer
	if err := doc.PrettyWrite(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// location is path's artifact location: relative to %SRCROOT% when it is
// under dir, else an absolute file URI.
func location(dir, path string) *gosarif.Location {
	art := gosarif.NewArtifactLocation()
	abs := path
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(dir, path)
	}
	pl := gosarif.NewPhysicalLocation().WithArtifactLocation(art)
	// The whole file is the region (SARIF 3.30): its bytes, when it is a
	// file that is there.
	if st, err := os.Stat(abs); err == nil && st.Mode().IsRegular() {
		pl.WithRegion(gosarif.NewRegion().WithByteOffset(0).WithByteLength(int(st.Size())))
	}
	if rel, err := filepath.Rel(dir, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		art.WithUri((&url.URL{Path: filepath.ToSlash(rel)}).EscapedPath()).WithUriBaseId(SrcRoot)
	} else {
		art.WithUri(fileURI(abs))
	}
	return gosarif.NewLocationWithPhysicalLocation(pl)
}

// fileURI is the file URI of an absolute path (C:\x is file:///C:/x).
func fileURI(abs string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// dirURI is the file URI of a directory: with a final slash, as SARIF
// requires of a base URI.
func dirURI(dir string) string {
	u := fileURI(dir)
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}

// numericVersion is v as SARIF wants a version, starting with a number:
// v1.2.3 is 1.2.3, and a build that is no release (a commit, "(devel)")
// is 0.0.0+ that.
func numericVersion(v string) string {
	v = strings.TrimPrefix(v, "v")
	if v != "" && v[0] >= '0' && v[0] <= '9' && strings.Contains(v, ".") {
		return v
	}
	return "0.0.0+" + strings.Trim(v, "()")
}

// ruleName is a rule ID in the PascalCase SARIF viewers expect of a name:
// missing-dependency is MissingDependency.
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// commandLine joins args as a POSIX shell would read them back.
func commandLine(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+%@") == "" {
			quoted[i] = a
		} else {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
}

// exitDescription says what plugctl's exit status means (docs/cli.md).
func exitDescription(code int) string {
	switch code {
	case 0:
		return "success"
	case 1:
		return "a plugin or file failed, crashed or timed out, or a path could not be read"
	case 2:
		return "usage error"
	case 130:
		return "interrupted"
	}
	return fmt.Sprintf("exit status %d", code)
}

func ptr[T any](v T) *T { return &v }
