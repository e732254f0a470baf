// Package sanitize turns untrusted bytes (what a plugin logs or prints) into
// text that is safe to show on a terminal or to embed in plugctl's own output:
// one line of valid UTF-8 in which nothing can move the cursor, change colours,
// set the window title, reorder text or start a new line.
//
// Every byte that is not printable is written out visibly instead:
//
//	C0 controls and DEL     \n \r \t... as Go escapes: \n, \r, \x1b, \x7f
//	C1 controls U+0080-9F   \u009b
//	bidi controls           \u202e (Unicode's Bidi_Control: U+061C, U+200E,
//	                        U+200F, U+202A-202E, U+2066-2069)
//	line and paragraph      \u2028, \u2029 (which some viewers take as a
//	separators              new line)
//	bytes that are not UTF-8 \xff
//
// Backslashes are kept as they are, so a message that contains the text "\x1b"
// reads the same as one that contained the byte; the Flags say which it was.
package sanitize

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line is text that has been through Text: safe to print anywhere plugctl
// prints, and to embed in its output. Text and Clean are how untrusted bytes
// become one; a Line converted from a constant is the code's own words.
// What a plugin logs is a Line from where it enters (the host's callback,
// or the worker's event channel) to where it is printed.
type Line string

// Untrusted is a name read from a file (a symbol, a library, a search
// path), kept exact: JSON carries its bytes as they are, and it prints
// sanitized, since fmt prints a value through its String method. string(u)
// is the raw name, for code that looks it up rather than prints it.
type Untrusted string

// String is u made safe to print.
func (u Untrusted) String() string { return String(string(u)) }

// Untrusteds converts names read from a file.
func Untrusteds(names []string) []Untrusted {
	if names == nil {
		return nil
	}
	u := make([]Untrusted, len(names))
	for i, n := range names {
		u[i] = Untrusted(n)
	}
	return u
}

// Join is names made safe to print, joined by sep.
func Join(names []Untrusted, sep string) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = n.String()
	}
	return strings.Join(s, sep)
}

// Flags report what Text had to change.
type Flags uint8

const (
	// InvalidUTF8: some bytes were not UTF-8 and were written as \xNN.
	InvalidUTF8 Flags = 1 << iota
	// Controls: control characters, escape sequences or bidi controls were
	// written out as escapes.
	Controls
)

// Text returns b as safe text and what it changed. It never returns an error:
// any byte sequence has a safe rendering.
func Text(b []byte) (Line, Flags) {
	if isPlain(b) {
		return Line(b), 0
	}
	var sb strings.Builder
	sb.Grow(len(b) + 16)
	var flags Flags
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && size <= 1:
			flags |= InvalidUTF8
			sb.WriteString(`\x`)
			sb.WriteString(hex2(b[0]))
		case r < 0x20 || r == 0x7f:
			flags |= Controls
			sb.WriteString(c0Escape(byte(r)))
		case r >= 0x80 && r <= 0x9f, isLayout(r):
			flags |= Controls
			sb.WriteString(`\u`)
			s := strconv.FormatInt(int64(r), 16)
			sb.WriteString(strings.Repeat("0", 4-len(s)))
			sb.WriteString(s)
		default:
			sb.Write(b[:size])
		}
		b = b[size:]
	}
	return Line(sb.String()), flags
}

// Clean is Text for a string, without the flags.
func Clean(s string) Line {
	t, _ := Text([]byte(s))
	return t
}

// String is Clean as a plain string: for names, paths and messages read
// from a file or a plugin, on their way to the terminal.
func String(s string) string { return string(Clean(s)) }

// isPlain reports whether b is printable ASCII only, the common case, which
// needs no rewriting.
func isPlain(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

func c0Escape(c byte) string {
	switch c {
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	}
	return `\x` + hex2(c)
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}

// isLayout reports the Unicode characters that change a line's layout
// rather than print: the bidirectional controls, which reorder how text is
// displayed and so can make a line read differently from what it holds,
// and the line and paragraph separators.
func isLayout(r rune) bool {
	return unicode.Is(unicode.Bidi_Control, r) || r == 0x2028 || r == 0x2029
}
