package preflight

import "strings"

// GlibcVersion is a glibc version's numbers: 2.34 is {2, 34}. preflight
// reads the newest a plugin needs, and verify's --max-glibc compares with
// it, by these rules alone.
type GlibcVersion []int

// ParseGlibc reads a glibc version, 2.34 or the symbol version GLIBC_2.34:
// numbers of one to six digits, separated by dots.
func ParseGlibc(s string) (GlibcVersion, bool) {
	parts := strings.Split(strings.TrimPrefix(s, "GLIBC_"), ".")
	v := make(GlibcVersion, 0, len(parts))
	for _, p := range parts {
		if p == "" || len(p) > 6 {
			return nil, false
		}
		n := 0
		for _, c := range p {
			if c < '0' || c > '9' {
				return nil, false
			}
			n = n*10 + int(c-'0')
		}
		v = append(v, n)
	}
	return v, true
}

// Compare returns a negative number, 0 or a positive number as v is older
// than, the same as or newer than w. A missing number is 0: 2.34 is
// 2.34.0.
func (v GlibcVersion) Compare(w GlibcVersion) int {
	for i := range max(len(v), len(w)) {
		var x, y int
		if i < len(v) {
			x = v[i]
		}
		if i < len(w) {
			y = w[i]
		}
		if x != y {
			return x - y
		}
	}
	return 0
}
