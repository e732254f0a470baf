package inspect

import (
	"bytes"
	"errors"
)

// strtab hands out the NUL-terminated names of one string table (ELF
// .dynstr and .strtab, Mach-O's string table) without copying each, and
// bounds the bytes it hands out in all.
//
// The standard library's readers copy every name a symbol or load command
// points at. Thousands of symbols may all point at one long name, so a file of
// a megabyte can make them copy gigabytes; strtab lets a file's names total at
// most a few times the size of the table they come from, more than any
// linker's output needs.
type strtab struct {
	b    []byte
	s    string // b as a string, made on first use: each name is a substring of it
	left int    // bytes the table may still hand out
}

// ErrNameReuse is returned for a file whose sections, symbols or load commands name
// the same bytes of a string table far more often than a linker would.
var ErrNameReuse = errors.New("its tables name the same string-table bytes over and over, as no linker writes them")

func newStrtab(b []byte) *strtab { return &strtab{b: b, left: 4*len(b) + 64<<10} }

// name returns the string at off, up to its NUL or the table's end. An
// offset outside the table gives "".
func (t *strtab) name(off uint64) (string, error) {
	n, err := t.count(off)
	if err != nil || n == 0 {
		return "", err
	}
	if t.s == "" {
		t.s = string(t.b)
	}
	return t.s[off : off+uint64(n)], nil
}

// count charges the string at off to the table's budget and returns its
// length.
func (t *strtab) count(off uint64) (int, error) {
	if off >= uint64(len(t.b)) {
		return 0, nil
	}
	rest := t.b[off:]
	// Scan no further than the budget allows: the time spent is bounded
	// as well as the bytes handed out.
	scan := rest[:min(len(rest), t.left+1)]
	n := bytes.IndexByte(scan, 0)
	if n < 0 {
		if len(scan) < len(rest) {
			return 0, ErrNameReuse
		}
		n = len(rest)
	}
	t.left -= n
	return n, nil
}
