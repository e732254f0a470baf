package inspect

import (
	"math/bits"
	"slices"
	"strings"
)

// sortByNames sorts s by name as sortSymbols' slices.SortFunc does, with
// a string sort: the names of a large library share long prefixes (a
// Rust library's run to hundreds of bytes, most of them alike), and a
// comparison sort compares those prefixes again at every step, where
// this one reads each byte of them about once. It reports false, with s
// unchanged, where the result could differ from SortFunc's: where two
// symbols of one name differ, SortFunc (not a stable sort) puts them in
// an order of its own.
func sortByNames(s []Symbol) bool {
	names := make([]string, len(s))
	idx := make([]int32, len(s))
	for i := range s {
		names[i], idx[i] = s[i].Name, int32(i)
	}
	multikey(idx, names, 0, splitBudget(len(s)))
	for k := 1; k < len(idx); k++ {
		if a, b := &s[idx[k-1]], &s[idx[k]]; a.Name == b.Name && *a != *b {
			return false
		}
	}
	sorted := make([]Symbol, len(s))
	for i, j := range idx {
		sorted[i] = s[j]
	}
	copy(s, sorted)
	return true
}

// multikey sorts idx by names[idx[i]][d:], every one of which is at least
// d bytes long: Bentley and Sedgewick's multikey quicksort, which splits
// by the byte at d into less, equal and greater, and sorts the equal part
// from d+1. After budget splits at one byte (twice the depth a good split
// needs) it sorts by comparisons instead, so that no input makes it
// quadratic.
func multikey(idx []int32, names []string, d, budget int) {
	for len(idx) > 16 {
		if budget == 0 {
			slices.SortFunc(idx, func(a, b int32) int { return strings.Compare(names[a][d:], names[b][d:]) })
			return
		}
		budget--
		n := len(idx)
		p := median(byteAt(names[idx[0]], d), byteAt(names[idx[n/2]], d), byteAt(names[idx[n-1]], d))
		lt, i, gt := 0, 0, n
		for i < gt {
			switch c := byteAt(names[idx[i]], d); {
			case c < p:
				idx[lt], idx[i] = idx[i], idx[lt]
				lt++
				i++
			case c > p:
				gt--
				idx[gt], idx[i] = idx[i], idx[gt]
			default:
				i++
			}
		}
		multikey(idx[:lt], names, d, budget)
		multikey(idx[gt:], names, d, budget)
		if p < 0 {
			return // the equal part is names that end at d: equal
		}
		idx, d, budget = idx[lt:gt], d+1, splitBudget(gt-lt)
	}
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && names[idx[j]][d:] < names[idx[j-1]][d:]; j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
}

func splitBudget(n int) int { return 2 * bits.Len(uint(n)) }

// byteAt is the byte at d of s, or -1 past its end (which sorts first).
func byteAt(s string, d int) int {
	if d < len(s) {
		return int(s[d])
	}
	return -1
}

func median(a, b, c int) int {
	if a > b {
		a, b = b, a
	}
	return max(a, min(b, c))
}
