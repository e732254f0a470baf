package worker

import "testing"

// The state is the field after the last ")": a command name may hold ") Z".
func TestDeadStat(t *testing.T) {
	for stat, want := range map[string]bool{
		"42 (sleep) S 1 42":       false,
		"42 (sleep) Z 1 42":       true,
		"42 (sleep) X 1 42":       true,
		"42 (a) Z (b) S 1 42":     false,
		"42 (Z) R 1":              false,
		"42 (x)":                  false,
		"42 (x) ":                 false,
		"42 (x) Z":                true,
		"no parenthesis Z at all": false,
		") Z 1":                   true,
	} {
		if got := deadStat([]byte(stat)); got != want {
			t.Errorf("deadStat(%q) = %v", stat, got)
		}
	}
}
