package verify

import (
	"fmt"
	"slices"
	"testing"
)

func TestShardsPartitionTheSet(t *testing.T) {
	var paths []string
	for i := range 23 {
		paths = append(paths, fmt.Sprintf("p/%02d.so", (i*7)%23))
	}
	paths = append(paths, "p/00.so") // a duplicate is verified once
	for n := 1; n <= 5; n++ {
		var all []string
		sizes := map[int]bool{}
		for k := 1; k <= n; k++ {
			got := Shard{k, n}.Select(paths)
			// The order of the input does not matter.
			rev := slices.Clone(paths)
			slices.Reverse(rev)
			if !slices.Equal(got, Shard{k, n}.Select(rev)) {
				t.Errorf("shard %d/%d depends on input order", k, n)
			}
			all = append(all, got...)
			sizes[len(got)] = true
		}
		slices.Sort(all)
		want := slices.Compact(slices.Sorted(slices.Values(paths)))
		if !slices.Equal(all, want) {
			t.Errorf("shards of %d: union %v, want %v", n, all, want)
		}
		if len(sizes) > 2 {
			t.Errorf("shards of %d: sizes %v differ by more than one", n, sizes)
		}
	}
}

func TestParseShard(t *testing.T) {
	for _, bad := range []string{"", "1", "0/2", "3/2", "a/b", "1/0", "-1/2", "1/2/3"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
	for _, good := range []Shard{{2, 4}, {1, 1}, {1, 2}, {2, 2}} {
		in := fmt.Sprintf("%d/%d", good.K, good.N)
		if sh, err := ParseShard(in); err != nil || sh != good {
			t.Errorf("ParseShard(%s) = %v, %v", in, sh, err)
		}
	}
}

// Uneven lengths compare as if padded with zeros, both ways round; the
// parsing is preflight's (TestParseGlibc).
func TestGlibcNewerUneven(t *testing.T) {
	if glibcNewer("2.34", "2.34.0") || glibcNewer("2.34.0", "2.34") || !glibcNewer("2.34.1", "2.34") || glibcNewer("2.34", "2.34.1") {
		t.Error("glibcNewer: versions of uneven length")
	}
	if !glibcNewer("GLIBC_2.35", "2.34") || glibcNewer("2.x", "1") {
		t.Error("glibcNewer: a GLIBC_ symbol version, or not a version")
	}
}

func TestGlibcNewer(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"2.34", "2.31", true}, {"2.31", "2.31", false}, {"2.2.5", "2.31", false},
		{"2.31.1", "2.31", true}, {"2.4", "2.31", false}, {"3.0", "2.99", true},
	} {
		if got := glibcNewer(tc.a, tc.b); got != tc.want {
			t.Errorf("glibcNewer(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
	for _, bad := range []string{"", "two", "2.", "2..3", "2.x", "GLIBC_"} {
		if _, err := ParseGlibc(bad); err == nil {
			t.Errorf("ParseGlibc(%q) accepted", bad)
		}
	}
	if v, err := ParseGlibc("GLIBC_2.31"); err != nil || v != "2.31" {
		t.Errorf("ParseGlibc(GLIBC_2.31) = %q, %v", v, err)
	}
}
