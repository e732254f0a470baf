package inspect

import (
	"cmp"
	"encoding/binary"
	"slices"
)

// sortByNames sorts s by name as sortSymbols' slices.SortFunc does, with
// a string sort: the names of a large library share long prefixes
// (librustc_driver's 19,888 share 66 bytes with the next on average), and
// a comparison sort compares those prefixes again at every step. This
// one sorts by eight bytes at a time, kept beside each symbol's index:
// the names' first eight bytes, then, among names alike in those, the
// next eight, and so on. It reports false, with s unchanged, where the
// result could differ from SortFunc's: where two symbols of one name
// differ, SortFunc (not a stable sort) puts them in an order of its own.
func sortByNames(s []Symbol) bool {
	if slices.IsSortedFunc(s, compareSymbols) {
		// A PE export table is sorted already (its loader searches it).
		return !differingNamesakes(len(s), func(i int) *Symbol { return &s[i] })
	}
	names := make([]string, len(s))
	keys := make([]nameKey, len(s))
	for i := range s {
		names[i], keys[i].i = s[i].Name, int32(i)
	}
	byEightBytes(keys, names, 0)
	// The order is checked as it is taken: a name with a NUL in it (no
	// reader makes one) would break the padding's rule below.
	for k := 1; k < len(keys); k++ {
		if names[keys[k-1].i] > names[keys[k].i] {
			return false
		}
	}
	if differingNamesakes(len(keys), func(k int) *Symbol { return &s[keys[k].i] }) {
		return false
	}
	sorted := make([]Symbol, len(s))
	for i, k := range keys {
		sorted[i] = s[k.i]
	}
	copy(s, sorted)
	return true
}

// differingNamesakes reports whether two symbols of one name, next to
// each other in the n symbols at(0), at(1)... in order by name, differ.
func differingNamesakes(n int, at func(int) *Symbol) bool {
	for k := 1; k < n; k++ {
		if a, b := at(k-1), at(k); a.Name == b.Name && *a != *b {
			return true
		}
	}
	return false
}

// nameKey is a name's index and eight of its bytes, from some offset.
type nameKey struct {
	key uint64
	i   int32
}

// byEightBytes sorts keys by names[keys[k].i][d:], every one of which
// is at least d bytes long and alike before d. Names are C strings, with
// no NUL in them: a name that ends inside the eight bytes is padded with
// zeros, which sort first as its end does, and names with the same eight
// bytes none of which goes on past them are the same name. Each level
// reads eight more bytes, so no input does worse than a comparison sort
// per level for a name's length / 8 levels.
func byEightBytes(keys []nameKey, names []string, d int) {
	for k := range keys {
		keys[k].key = eightBytes(names[keys[k].i], d)
	}
	slices.SortFunc(keys, func(a, b nameKey) int { return cmp.Compare(a.key, b.key) })
	if len(keys) >= parallelSort {
		// The groups are sorted apart: a large table's second half
		// (from a group's start) on another core.
		half := len(keys) / 2
		for half > 0 && keys[half].key == keys[half-1].key {
			half--
		}
		if half > 0 {
			done := make(chan struct{})
			go func() {
				byEightBytesGroups(keys[half:], names, d)
				close(done)
			}()
			byEightBytesGroups(keys[:half], names, d)
			<-done
			return
		}
	}
	byEightBytesGroups(keys, names, d)
}

// parallelSort is the size from which byEightBytes sorts on two cores.
const parallelSort = 4096

// byEightBytesGroups sorts each run of keys alike in their eight bytes
// by the bytes after them.
func byEightBytesGroups(keys []nameKey, names []string, d int) {
	for start := 0; start < len(keys); {
		end, longer := start+1, len(names[keys[start].i]) > d+8
		for end < len(keys) && keys[end].key == keys[start].key {
			longer = longer || len(names[keys[end].i]) > d+8
			end++
		}
		if end-start > 1 && longer {
			byEightBytes(keys[start:end], names, d+8)
		}
		start = end
	}
}

// eightBytes is the eight bytes of s from d, big-endian (so that they
// compare as the bytes do), zeros past its end.
func eightBytes(s string, d int) uint64 {
	if len(s) >= d+8 {
		return binary.BigEndian.Uint64([]byte(s[d : d+8]))
	}
	var b [8]byte
	copy(b[:], s[d:])
	return binary.BigEndian.Uint64(b[:])
}
