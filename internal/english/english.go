// Package english words the counts in plugctl's messages. Every noun it is
// given takes -s in the plural.
package english

import (
	"strconv"
	"time"
)

// Count is n with noun, plural unless n is 1: "1 plugin", "3 plugins".
func Count(n int, noun string) string { return strconv.Itoa(n) + " " + Noun(n, noun) }

// Noun is noun, plural unless n is 1.
func Noun(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// Seconds is d in seconds to the hundredth, for messages: "1.50 s".
func Seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s" }
