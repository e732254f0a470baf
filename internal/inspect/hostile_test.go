package inspect

import (
	"bytes"
	"debug/elf"
	"debug/pe"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// machoSymtabFile builds a 64-bit little-endian Mach-O dylib with `tables`
// LC_SYMTAB commands that all name one table of nsyms exported symbols whose
// names all start at offset 0 of a string table holding one name of nameLen
// bytes.
func machoSymtabFile(tables, nsyms, nameLen int) []byte {
	le := binary.LittleEndian
	hdr := 32
	cmds := 24 * tables
	symoff := hdr + cmds
	stroff := symoff + 16*nsyms
	b := make([]byte, stroff+nameLen+1)
	le.PutUint32(b[0:], 0xfeedfacf)
	le.PutUint32(b[4:], 0x01000007)
	le.PutUint32(b[8:], 3)
	le.PutUint32(b[12:], 6) // MH_DYLIB
	le.PutUint32(b[16:], uint32(tables))
	le.PutUint32(b[20:], uint32(cmds))
	for i := range tables {
		c := b[hdr+24*i:]
		le.PutUint32(c[0:], 2) // LC_SYMTAB
		le.PutUint32(c[4:], 24)
		le.PutUint32(c[8:], uint32(symoff))
		le.PutUint32(c[12:], uint32(nsyms))
		le.PutUint32(c[16:], uint32(stroff))
		le.PutUint32(c[20:], uint32(nameLen+1))
	}
	for i := range nsyms {
		s := b[symoff+16*i:]
		s[4] = 0x0f // N_SECT | N_EXT
		s[5] = 1
	}
	copy(b[stroff:], bytes.Repeat([]byte{'A'}, nameLen))
	return b
}

type testSection struct {
	name uint32
	typ  elf.SectionType
	link uint32
	data []byte
}

// elfWith builds a 64-bit little-endian ELF shared object holding sections
// (after the null section 0); shstrndx names the section-name table.
func elfWith(shstrndx int, sections ...testSection) []byte {
	le := binary.LittleEndian
	b := make([]byte, 64)
	copy(b, "\x7fELF\x02\x01\x01")
	le.PutUint16(b[16:], uint16(elf.ET_DYN))
	le.PutUint16(b[18:], uint16(elf.EM_X86_64))
	le.PutUint32(b[20:], 1)
	le.PutUint16(b[52:], 64)
	le.PutUint16(b[58:], 64)
	le.PutUint16(b[60:], uint16(len(sections)+1))
	le.PutUint16(b[62:], uint16(shstrndx))
	offsets := make([]int, len(sections))
	for i, s := range sections {
		offsets[i] = len(b)
		b = append(b, s.data...)
	}
	le.PutUint64(b[40:], uint64(len(b)))
	b = append(b, make([]byte, 64)...) // section 0
	for i, s := range sections {
		h := make([]byte, 64)
		le.PutUint32(h[0:], s.name)
		le.PutUint32(h[4:], uint32(s.typ))
		le.PutUint64(h[24:], uint64(offsets[i]))
		le.PutUint64(h[32:], uint64(len(s.data)))
		le.PutUint32(h[40:], s.link)
		b = append(b, h...)
	}
	return b
}

// longName is a string table of one name of n bytes.
func longName(n int) []byte { return append(bytes.Repeat([]byte{'A'}, n), 0) }

// Files whose tables make debug/elf and debug/macho copy or walk far more than
// the file holds are refused as malformed, before the standard readers see
// them. (On the first two, debug/elf alone spends 0.3 s and 2.7 s.)
func TestHostileTables(t *testing.T) {
	le := binary.LittleEndian
	manySections := make([]testSection, 2000)
	manySections[0] = testSection{typ: elf.SHT_STRTAB, data: longName(100_000)}
	for i := 1; i < len(manySections); i++ {
		manySections[i] = testSection{typ: elf.SHT_PROGBITS}
	}
	syms := make([]byte, 24*5000) // every name at offset 0
	verdef := make([]byte, 28)    // one definition that counts 65535 names, all the same record
	le.PutUint16(verdef[0:], 1)
	le.PutUint16(verdef[6:], 0xffff)
	le.PutUint32(verdef[12:], 20)
	var verneed []byte // 1100 libraries needing a version each: records of their own
	for i := range 1100 {
		e := make([]byte, 32)
		le.PutUint16(e[0:], 1)
		le.PutUint16(e[2:], 1)
		le.PutUint32(e[8:], 16)
		if i < 1099 {
			le.PutUint32(e[12:], 32)
		}
		verneed = append(verneed, e...)
	}
	smallSyms := make([]byte, 24*2)
	tests := []struct {
		name string
		file []byte
		want error
	}{
		{"2000 sections named by one long name", elfWith(1, manySections...), ErrNameReuse},
		{"5000 symbols named by one long name", elfWith(0,
			testSection{typ: elf.SHT_DYNSYM, link: 2, data: syms},
			testSection{typ: elf.SHT_STRTAB, data: longName(100_000)}), ErrNameReuse},
		{"a version definition that repeats its name 65535 times", elfWith(0,
			testSection{typ: elf.SHT_DYNSYM, link: 2, data: smallSyms},
			testSection{typ: elf.SHT_STRTAB, data: longName(10)},
			testSection{typ: elf.SHT_GNU_VERDEF, link: 2, data: verdef}), errOverlappingVersions},
		{"1100 version needs", elfWith(0,
			testSection{typ: elf.SHT_DYNSYM, link: 2, data: smallSyms},
			testSection{typ: elf.SHT_STRTAB, data: longName(10)},
			testSection{typ: elf.SHT_GNU_VERNEED, link: 2, data: verneed}), nil},
		{"one LC_SYMTAB per symbol", machoSymtabFile(5000, 5000, 1), nil},
		{"5000 Mach-O symbols named by one long name", machoSymtabFile(1, 5000, 100_000), ErrNameReuse},
	}
	for _, tc := range tests {
		start := time.Now()
		_, err := newFile(bytes.NewReader(tc.file), reading{full: true})
		took := time.Since(start)
		var fe *FormatError
		if !errors.As(err, &fe) || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want a malformed file (%v)", tc.name, err, tc.want)
			continue
		}
		t.Logf("%s (%d bytes): refused in %v: %v", tc.name, len(tc.file), took, err)
	}
}

// peSymbolsFile builds a PE file with no sections and nsyms COFF symbols
// whose long names all start at the first byte of a string table holding
// one name of nameLen bytes.
func peSymbolsFile(nsyms, nameLen int) []byte {
	le := binary.LittleEndian
	b := make([]byte, 0x40+4+20)
	b[0], b[1] = 'M', 'Z'
	le.PutUint32(b[0x3c:], 0x40)
	copy(b[0x40:], "PE\x00\x00")
	fh := b[0x44:]
	le.PutUint16(fh[0:], 0x8664)
	le.PutUint32(fh[8:], uint32(len(b)))
	le.PutUint32(fh[12:], uint32(nsyms))
	le.PutUint16(fh[18:], 0x2002) // executable DLL
	for range nsyms {
		s := make([]byte, 18)
		le.PutUint32(s[4:], 4)
		b = append(b, s...)
	}
	b = le.AppendUint32(b, uint32(4+nameLen+1))
	return append(b, longName(nameLen)...)
}

func TestHostilePENames(t *testing.T) {
	_, err := newFile(bytes.NewReader(peSymbolsFile(5000, 100_000)), reading{full: true})
	if !errors.Is(err, ErrNameReuse) {
		t.Errorf("5000 symbols named by one long name: got %v, want ErrNameReuse", err)
	}
	// A few symbols with one name each are an ordinary file.
	if _, err := newFile(bytes.NewReader(peSymbolsFile(3, 100_000)), reading{full: true}); err != nil {
		t.Errorf("3 symbols: %v", err)
	}
}

// MangledEntry searches the full symbol table's names as bytes: 5,000
// symbols naming one 100 KB string cost it one read of the string table,
// not 500 MB of copies, and it finds no mangled entry there.
func TestHostileSymtab(t *testing.T) {
	b := elfWith(0,
		testSection{typ: elf.SHT_SYMTAB, link: 2, data: make([]byte, 24*5000)},
		testSection{typ: elf.SHT_STRTAB, data: longName(100_000)})
	path := filepath.Join(t.TempDir(), "libhostile.so")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := MangledEntry(path, "init_plugin"); got != "" {
		t.Errorf("MangledEntry = %q, want none", got)
	}
}

// debug/pe is shown a COFF header without symbols but with the string
// table where it is: it reads the same string table and sections, and no
// symbols; the patch covers exactly its eight bytes, whatever the read.
func TestWithoutCOFFSymbols(t *testing.T) {
	b := peSymbolsFile(3, 100)
	plain, err := pe.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	hidden, err := pe.NewFile(withoutCOFFSymbols(bytes.NewReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(plain.COFFSymbols) == 0 || len(hidden.COFFSymbols) != 0 {
		t.Errorf("COFF symbols: %d plain, %d hidden; want some, then none", len(plain.COFFSymbols), len(hidden.COFFSymbols))
	}
	if !bytes.Equal(plain.StringTable, hidden.StringTable) || len(plain.Sections) != len(hidden.Sections) {
		t.Errorf("string table or sections differ")
	}
	data := make([]byte, 100)
	for i := range data {
		data[i] = byte(i)
	}
	p := &patchedReader{r: bytes.NewReader(data), at: 10, bytes: [8]byte{0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7}}
	want := append([]byte(nil), data...)
	copy(want[10:], p.bytes[:])
	for _, r := range [][2]int{{0, 100}, {5, 15}, {12, 30}, {10, 18}, {17, 20}, {0, 10}, {18, 40}} {
		got := make([]byte, r[1]-r[0])
		if _, err := p.ReadAt(got, int64(r[0])); err != nil && err != io.EOF {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want[r[0]:r[1]]) {
			t.Errorf("ReadAt [%d, %d) = %x, want %x", r[0], r[1], got, want[r[0]:r[1]])
		}
	}
}
