package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/plugctl/plugctl/internal/preflight"
	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/sanitize"
	"github.com/plugctl/plugctl/internal/sarif"
	"github.com/plugctl/plugctl/internal/verify"
)

// --format sarif: a SARIF 2.1.0 log for code-scanning dashboards
// (docs/ci.md). Each problem is a result at the plugin's file: a verdict
// other than pass, a finding, a file status other than plugin.

// writeSARIF writes the log of a run that started at start, found results
// and could not read errs, and ends in err (its exit status is recorded).
func writeSARIF(s *Streams, start time.Time, results []sarif.Result, errs []pathError, err error) error {
	wd, werr := os.Getwd()
	if werr != nil {
		return fmt.Errorf("writing the SARIF log: the working directory: %w", werr)
	}
	log := sarif.Log{
		Version: plugctlVersion(), Args: append([]string{"plugctl"}, s.args...), WorkDir: wd,
		ExitCode: statusOf(err), Start: start, End: time.Now(), Results: results,
	}
	for _, e := range errs {
		log.Errors = append(log.Errors, sarif.PathError{Path: string(e.Path), Message: sanitize.String(e.Message)})
	}
	b, err := sarif.Encode(log)
	if err != nil {
		return err
	}
	if _, err := s.Out.Write(b); err != nil {
		return writeFailed(err)
	}
	return nil
}

// withHint is a result's message: the finding's, and its hint on a line of
// its own.
func withHint(message, hint sanitize.Line) string {
	if hint == "" {
		return string(message)
	}
	return string(message) + "\nhint: " + string(hint)
}

func findingResult(path sanitize.Untrusted, f report.Finding) sarif.Result {
	return sarif.Result{Rule: string(f.ID), Level: f.Severity, Message: withHint(f.Message, f.Hint), Path: string(path)}
}

// verifyResults are verify's verdicts other than pass (the rule is the
// verdict; the message names the check) and every warning.
func verifyResults(rs []*verify.Result) []sarif.Result {
	var out []sarif.Result
	for _, r := range rs {
		if r.Status != report.Pass {
			msg := sanitize.Line(fmt.Sprintf("%s at %s: ", r.Status, r.Check)) + r.Reason
			if r.HostVersion != "" {
				msg = sanitize.Line(fmt.Sprintf("%s on host version %s at %s: ", r.Status, r.HostVersion, r.Check)) + r.Reason
			}
			out = append(out, sarif.Result{Rule: string(r.Status), Level: report.Error, Message: withHint(msg, r.Hint), Path: string(r.Path)})
		}
		for _, w := range r.Warnings {
			out = append(out, findingResult(r.Path, w))
		}
	}
	return out
}

// inspectResults are inspect's findings.
func inspectResults(rs []*preflight.Report) []sarif.Result {
	var out []sarif.Result
	for _, r := range rs {
		for _, f := range r.Findings {
			out = append(out, findingResult(r.Path, f))
		}
	}
	return out
}

// listResults are the files list does not call a plugin: invalid and
// incompatible ones are errors, libraries that are not plugins notes.
func listResults(entries []listEntry) []sarif.Result {
	var out []sarif.Result
	for _, e := range entries {
		level := report.Error
		switch e.Status {
		case report.Plugin:
			continue
		case report.NotPlugin:
			level = report.Note
		}
		out = append(out, sarif.Result{Rule: string(e.Status), Level: level, Message: string(e.Reason), Path: string(e.Path)})
	}
	return out
}
