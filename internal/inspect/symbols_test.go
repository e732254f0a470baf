package inspect

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// hasRustLegacyHash is the regexp it replaced, on any name.
func FuzzRustLegacyHash(f *testing.F) {
	for _, s := range []string{
		"_ZN4core3fmt5write17h0123456789abcdefE",
		"_ZN4core3fmt5write17h0123456789abcdeFE",
		"_ZN4core3fmt5write17h0123456789abcdefEE",
		"17h0123456789abcdefE",
		"7h0123456789abcdefE",
		"_ZN3foo17h0123456789abcdeE",
		"",
	} {
		f.Add(s)
	}
	re := regexp.MustCompile(`17h[0-9a-f]{16}E$`)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := hasRustLegacyHash(s), re.MatchString(s); got != want {
			t.Errorf("%q: %v, the regexp says %v", s, got, want)
		}
	})
}

// sortSymbols sorts as slices.SortFunc by name does, however the names
// share prefixes, repeat or end; symbols of one name that differ are
// left to SortFunc.
func FuzzSortSymbols(f *testing.F) {
	f.Add([]byte("_ZN5rustc3foo\x00_ZN5rustc3bar\x00_ZN5rustc\x00a\x00a\x00"), uint16(600), false)
	f.Add([]byte("x\x00xy\x00xyz\x00\x00y"), uint16(2000), true)
	f.Fuzz(func(t *testing.T, alphabet []byte, n uint16, weak bool) {
		words := strings.Split(string(alphabet), "\x00")
		if len(words) == 0 || n > 5000 {
			return
		}
		// n names, each a few words chosen by a fixed sequence.
		rnd := uint32(len(alphabet)) + uint32(n)
		next := func() uint32 { rnd = rnd*1664525 + 1013904223; return rnd >> 8 }
		syms := make([]Symbol, n)
		for i := range syms {
			var b strings.Builder
			for range next() % 4 {
				b.WriteString(words[next()%uint32(len(words))])
			}
			syms[i] = Symbol{Name: b.String(), Kind: Function, Weak: weak && next()%7 == 0}
		}
		want := slices.Clone(syms)
		slices.SortFunc(want, compareSymbols)
		got := slices.Clone(syms)
		sortSymbols(got)
		if !slices.Equal(got, want) {
			t.Errorf("sorted %d names from %q: not as slices.SortFunc sorts them", n, words)
		}
	})
}

// A library's worth of Rust names, names that end at every offset of the
// eight bytes read at a time, and long runs of one name, sort as SortFunc
// sorts them.
func TestSortSymbolsEdges(t *testing.T) {
	var syms []Symbol
	for i := range 3000 {
		syms = append(syms, Symbol{Name: fmt.Sprintf("_ZN12rustc_middle2ty7context%d4each17h%016xE", i%97, i*2654435761)})
	}
	for i := range 2000 {
		syms = append(syms, Symbol{Name: strings.Repeat("a", i%300) + "b"}, Symbol{Name: strings.Repeat("a", i%37)})
	}
	for i := range 700 {
		syms = append(syms, Symbol{Name: "same"}, Symbol{Name: fmt.Sprint(i)})
	}
	want := slices.Clone(syms)
	slices.SortFunc(want, compareSymbols)
	sortSymbols(syms)
	if !slices.Equal(syms, want) {
		t.Error("not sorted as slices.SortFunc sorts")
	}
	// Names with a NUL in them, which the eight bytes' padding cannot
	// tell from their end: SortFunc's order still.
	nul := slices.Clone(want)
	for i := range 600 {
		nul = append(nul, Symbol{Name: "nul" + strings.Repeat("\x00", i%3)}, Symbol{Name: fmt.Sprintf("z%d", i)})
	}
	wantNUL := slices.Clone(nul)
	slices.SortFunc(wantNUL, compareSymbols)
	if sortSymbols(nul); !slices.Equal(nul, wantNUL) {
		t.Error("names with NULs: not sorted as slices.SortFunc sorts")
	}
	// Two symbols of one name that differ: SortFunc's order, whether
	// they come sorted (as a PE export table does) or not.
	dup := append(slices.Clone(want), Symbol{Name: "same", Weak: true})
	if sortByNames(slices.Clone(dup)) {
		t.Error("sorted symbols of one name that differ itself")
	}
	slices.SortFunc(dup, compareSymbols)
	if sortByNames(dup) {
		t.Error("took sorted symbols of one name that differ as they came")
	}
	if sorted := slices.Clone(want); !sortByNames(sorted) || !slices.Equal(sorted, want) {
		t.Error("did not take sorted symbols as they came")
	}
}
