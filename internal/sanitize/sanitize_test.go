package sanitize

import (
	"strings"
	"testing"
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
		{"c1 csi", "a\u009b31mb", `a\u009b31mb`, Controls},
		{"bidi override", "abc\u202edef", `abc\u202edef`, Controls},
		{"invalid byte", "a\xffb", `a\xffb`, InvalidUTF8},
		{"truncated rune", "a\xe6\x97", `a\xe6\x97`, InvalidUTF8},
		{"both", "\xff\x1b", `\xff\x1b`, InvalidUTF8 | Controls},
		{"backslash kept", `C:\x1b`, `C:\x1b`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, flags := Text([]byte(tt.in))
			if got != tt.want || flags != tt.flags {
				t.Errorf("Text(%q) = %q, %b; want %q, %b", tt.in, got, flags, tt.want, tt.flags)
			}
		})
	}
}

// FuzzText checks the promise the package makes for any input: the result is
// valid UTF-8 and holds no byte or rune a terminal would act on.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b]0;t\x07", "\xff\xfe", "\u202e", "\u009b", "a\nb"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, flags := Text(b)
		if !utf8.ValidString(s) {
			t.Fatalf("Text(%q) = %q: not valid UTF-8", b, s)
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || isBidi(r) {
				t.Fatalf("Text(%q) = %q: holds control %U", b, s, r)
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
