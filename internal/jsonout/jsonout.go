// Package jsonout writes a value as indented JSON, byte for byte what
// encoding/json's Encoder writes with SetIndent("", "  "), without holding
// the indented copy: the Encoder builds the compact text, then an indented
// copy of it (about 1.5 times its size, grown by doubling), then writes
// that. For a report of a large library (4 MB of JSON) that copy was a
// third of the page faults of plugctl inspect.
package jsonout

import (
	"bufio"
	"encoding/json"
	"io"
)

// Write writes v to w as JSON indented by two spaces, with a newline after
// it. An error is encoding/json's (a value it cannot encode: nothing is
// written) or w's.
func Write(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	bw, ok := w.(*bufio.Writer)
	if !ok || bw.Size() < 4096 {
		bw = bufio.NewWriterSize(w, 64<<10)
	}
	indent(bw, b)
	_ = bw.WriteByte('\n')
	return bw.Flush()
}

// indent writes compact, encoding/json's compact text (no space outside
// strings), indented as json.Indent indents it: a newline and the depth's
// indent after each '{' or '[' that does not close at once, after each
// ',', and before each closing bracket; a space after each ':'. Errors
// are w's, which it keeps until Flush.
func indent(w *bufio.Writer, compact []byte) {
	depth := 0
	open := false // after '{' or '[': its newline waits for what follows
	newline := func() {
		_ = w.WriteByte('\n')
		for range depth {
			_, _ = w.WriteString("  ")
		}
	}
	for i := 0; i < len(compact); i++ {
		c := compact[i]
		if open && c != '}' && c != ']' {
			open = false
			depth++
			newline()
		}
		switch c {
		case '"':
			// The whole string, escapes and all, as it is.
			j := i + 1
			for j < len(compact) && compact[j] != '"' {
				if compact[j] == '\\' {
					j++
				}
				j++
			}
			_, _ = w.Write(compact[i:min(j+1, len(compact))])
			i = j
		case '{', '[':
			_ = w.WriteByte(c)
			open = true
		case ',':
			_ = w.WriteByte(c)
			newline()
		case ':':
			_, _ = w.WriteString(": ")
		case '}', ']':
			if open {
				open = false // empty: {} or []
			} else {
				depth--
				newline()
			}
			_ = w.WriteByte(c)
		default:
			_ = w.WriteByte(c)
		}
	}
}
