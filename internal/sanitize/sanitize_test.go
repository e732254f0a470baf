package sanitize

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  string
		flags Flags
	}{
		{"plain", "hello, world", "hello, world", 0},
		{"empty", "", "", 0},
		{"utf8 kept", "grüße 日本 🙂", "grüße 日本 🙂", 0},
		{"newline forging a line", "ok\nplugctl: error: fake", `ok\nplugctl: error: fake`, Controls},
		{"carriage return", "progress\r100%", `progress\r100%`, Controls},
		{"tab", "a\tb", `a\tb`, Controls},
		{"csi colour", "\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`, Controls},
		{"osc title", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`, Controls},
		{"nul and del", "a\x00b\x7f", `a\x00b\x7f`, Controls},
		{"del alone", "a\x7fb", `a\x7fb`, Controls},
		{"space and tilde plain", " ~", " ~", 0},
		{"c1 csi", "a\u009b31mb", `a\u009b31mb`, Controls},
		{"c1 edges", "\u0080\u009f", `\u0080\u009f`, Controls},
		{"nbsp after c1 kept", "a\u00a0b", "a\u00a0b", 0},
		{"bidi override", "abc\u202edef", `abc\u202edef`, Controls},
		{"invalid byte", "a\xffb", `a\xffb`, InvalidUTF8},
		{"truncated rune", "a\xe6\x97", `a\xe6\x97`, InvalidUTF8},
		{"both", "\xff\x1b", `\xff\x1b`, InvalidUTF8 | Controls},
		{"backslash kept", `C:\x1b`, `C:\x1b`, 0},
		{"line separators", "a\u2028b\u2029c", `a\u2028b\u2029c`, Controls},
		{"zero-width space kept", "a\u200bb", "a\u200bb", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, flags := Text([]byte(tt.in))
			if string(got) != tt.want || flags != tt.flags {
				t.Errorf("Text(%q) = %q, %b; want %q, %b", tt.in, got, flags, tt.want, tt.flags)
			}
		})
	}
}

// Every bidirectional control Unicode lists (Bidi_Control), each alone and
// amid text, is written out, as \uXXXX with four lower-case hex digits.
func TestEveryBidiControl(t *testing.T) {
	n := 0
	for _, rg := range unicode.Bidi_Control.R16 {
		for r := rune(rg.Lo); r <= rune(rg.Hi); r += rune(rg.Stride) {
			n++
			want := "x" + `\u` + strings.ToLower(strings.TrimPrefix(fmt.Sprintf("%U", r), "U+")) + "y"
			if got, flags := Text([]byte("x" + string(r) + "y")); string(got) != want || flags != Controls {
				t.Errorf("Text(x %U y) = %q, %b; want %q, Controls", r, got, flags, want)
			}
		}
	}
	if n < 12 || len(unicode.Bidi_Control.R32) != 0 {
		t.Fatalf("Unicode's Bidi_Control has %d runes here (and %d wide ranges); the test expects 12 or more, all below U+10000", n, len(unicode.Bidi_Control.R32))
	}
}

// FuzzText checks the promise the package makes for any input: the result is
// valid UTF-8 and holds no byte or rune a terminal would act on.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b]0;t\x07", "\xff\xfe", "\u202e", "\u009b", "a\nb", "\u061c", "\u2028\u2029", "\u2066x\u2069"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		line, flags := Text(b)
		s := string(line)
		if !utf8.ValidString(s) {
			t.Fatalf("Text(%q) = %q: not valid UTF-8", b, s)
		}
		// The oracle is Unicode's own tables, not the package's: no
		// control character (Cc: C0, DEL, C1), no bidirectional control
		// (Bidi_Control), no line or paragraph separator (Zl, Zp).
		for _, r := range s {
			if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || unicode.In(r, unicode.Zl, unicode.Zp) {
				t.Fatalf("Text(%q) = %q: holds %U", b, s, r)
			}
		}
		if flags == 0 && s != string(b) {
			t.Fatalf("Text(%q) = %q with no flags, but changed the text", b, s)
		}
		if strings.Contains(s, "\x1b") {
			t.Fatalf("escape survived")
		}
	})
}

func BenchmarkTextPlain(b *testing.B) {
	msg := []byte("plugin started: 42 workers, cache at /var/cache/plugin")
	for b.Loop() {
		Text(msg)
	}
}

// A text of control characters only, or of one byte, takes the same path
// as any other: no byte below 0x20 or from 0x7f up comes out as itself.
func TestControlsAlone(t *testing.T) {
	for c := range 256 {
		if c >= 0x20 && c < 0x7f {
			continue
		}
		for _, b := range [][]byte{{byte(c)}, {byte(c), byte(c)}, {0x1b, byte(c)}} {
			got, flags := Text(b)
			if strings.ContainsRune(string(got), rune(c)) && c < 0x80 || string(got) == string(b) || flags == 0 {
				t.Errorf("Text(%q) = %q, %v", b, got, flags)
			}
		}
	}
}

// A name read from a file prints sanitized (fmt uses its String method) and
// stays exact in JSON.
func TestUntrusted(t *testing.T) {
	u := Untrusted("lib\x1b[2J.so")
	if got := fmt.Sprintf("%s|%v", u, u); got != `lib\x1b[2J.so|lib\x1b[2J.so` {
		t.Errorf("printed %q", got)
	}
	if got := Join([]Untrusted{u, "b"}, ":"); got != `lib\x1b[2J.so:b` {
		t.Errorf("Join = %q", got)
	}
	b, err := json.Marshal(u)
	if err != nil || string(b) != `"lib\u001b[2J.so"` {
		t.Errorf("JSON %s, %v: want the exact bytes", b, err)
	}
}
