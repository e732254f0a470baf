package report

import (
	"strings"

	"github.com/plugctl/plugctl/internal/sanitize"
)

// Output is what a plugin wrote to its stdout or stderr, as reports show it.
type Output struct {
	Text      string `json:"text"` // sanitized, at most what was kept
	Bytes     int64  `json:"bytes"`
	Truncated bool   `json:"truncated"`
}

// Capture makes an Output of data, the first bytes of total that a plugin
// wrote. It sanitizes line by line: the text keeps its line breaks, and
// nothing else that could move a terminal's cursor. A CR that ends a line
// (C runtimes on Windows write CRLF) goes with the line break; any other CR,
// which could rewrite a terminal line, is escaped.
func Capture(data []byte, total int64) Output {
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		if i < len(lines)-1 {
			l = strings.TrimSuffix(l, "\r")
		}
		lines[i] = sanitize.String(l)
	}
	return Output{Text: strings.Join(lines, "\n"), Bytes: total, Truncated: total > int64(len(data))}
}
