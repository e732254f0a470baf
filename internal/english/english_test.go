package english

import (
	"testing"
	"time"
)

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 plugins", 1: "1 plugin", 2: "2 plugins", -1: "-1 plugins"} {
		if got := Count(n, "plugin"); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
	if Noun(1, "crate") != "crate" || Noun(3, "crate") != "crates" {
		t.Error("Noun")
	}
}

func TestSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0.00 s", 1500 * time.Millisecond: "1.50 s", 12345 * time.Millisecond: "12.35 s"} {
		if got := Seconds(d); got != want {
			t.Errorf("Seconds(%v) = %q, want %q", d, got, want)
		}
	}
}
