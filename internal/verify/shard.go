package verify

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Shard is the K-th of N parts of a file set (1 <= K <= N).
type Shard struct{ K, N int }

// ParseShard reads "K/N".
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 1 || k > n {
		return Shard{}, fmt.Errorf("%q: want K/N with 1 <= K <= N, like 2/4", s)
	}
	return Shard{k, n}, nil
}

// Select returns the paths of shard sh: the paths are sorted and dealt out in
// turn, so the N shards of a set are disjoint, cover it, differ in size by
// at most one, and do not depend on the order paths came in.
func (sh Shard) Select(paths []string) []string {
	sorted := slices.Sorted(slices.Values(paths))
	sorted = slices.Compact(sorted)
	if sh.N <= 1 {
		return sorted
	}
	var out []string
	for i, p := range sorted {
		if i%sh.N == sh.K-1 {
			out = append(out, p)
		}
	}
	return out
}
