package inspect

import (
	"encoding/binary"
	"io"
	"strconv"
)

// checkPETables refuses a PE file whose COFF string table the section and
// symbol names point into far more often than a linker would, before
// debug/pe reads it: debug/pe copies the name of every section and symbol, so
// thousands of symbols naming one long string make it copy gigabytes from a
// megabyte. A file it cannot make sense of passes: debug/pe reports what is
// wrong with it.
func checkPETables(r io.ReaderAt, size int64) error {
	le := binary.LittleEndian
	var dos [0x40]byte
	if n, _ := r.ReadAt(dos[:], 0); n < len(dos) {
		return nil
	}
	base := int64(le.Uint32(dos[0x3c:])) + 4 // the COFF header follows "PE\0\0"
	var fh [20]byte
	if n, _ := r.ReadAt(fh[:], base); n < len(fh) {
		return nil
	}
	nsect, symoff, nsyms, optSize := int64(le.Uint16(fh[2:])), int64(le.Uint32(fh[8:])), int64(le.Uint32(fh[12:])), int64(le.Uint16(fh[16:]))
	if symoff == 0 {
		return nil // no COFF symbol table, so no string table
	}
	// The string table follows the symbols and counts its own 4-byte
	// length. One that is not all in the file is debug/pe's to report.
	var lenb [4]byte
	stroff := symoff + 18*nsyms
	if n, _ := r.ReadAt(lenb[:], stroff); n < 4 {
		return nil
	}
	strlen := int64(le.Uint32(lenb[:]))
	if strlen > size-stroff {
		return nil
	}
	names := newStrtab(readAtMost(r, stroff+4, int(strlen-4)))
	// A long name is an offset into the table that counts its own 4-byte
	// length.
	long := func(off uint64) error {
		if off < 4 {
			return nil
		}
		_, err := names.count(off - 4)
		return err
	}
	sections := readAtMost(r, base+20+optSize, int(40*nsect)) // at most 2.6 MB
	for s := sections; len(s) >= 40; s = s[40:] {
		if s[0] == '/' {
			if off, err := strconv.Atoi(cString(s[1:8])); err == nil {
				if err := long(uint64(off)); err != nil {
					return err
				}
			}
		}
	}
	syms := readAtMost(r, symoff, int(18*nsyms))
	for i := 0; i+18 <= len(syms); i += 18 {
		s := syms[i:]
		if le.Uint32(s) == 0 {
			if err := long(uint64(le.Uint32(s[4:]))); err != nil {
				return err
			}
		}
		i += 18 * int(s[17]) // auxiliary records carry no name
	}
	return nil
}
