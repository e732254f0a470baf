package inspect

import (
	"bytes"
	"debug/elf"
	"debug/pe"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/plugctl/plugctl/internal/testplugins"
)

// Each case sits on one edge of lengthPrefixed's grammar: the digits of
// the length (at most four), the underscore v0 puts before an identifier
// that starts with a digit or an underscore, and the bytes a crate name may
// hold.
func TestLengthPrefixed(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"12", ""},      // digits to the end
		{"0abc", ""},    // length 0
		{"3abc", "abc"}, // exactly fills the string
		{"3ab", ""},     // one byte short
		{"10abcdefghij", "abcdefghij"},
		{"19abcdefghijklmnopqrs", "abcdefghijklmnopqrs"},
		{"9999" + strings.Repeat("a", 9999), strings.Repeat("a", 9999)},
		{"12345" + strings.Repeat("a", 12345), ""}, // five digits: not a length
		{"3__ab", "_ab"}, // the underscore that precedes "_ab"
		{"2_ab", "_a"},   // no digit or underscore after it: part of the name
		{"3_ab", "_ab"},
		{"2__a", "_a"}, // the underscore, then exactly the identifier
		{"2__", "__"},  // no room for both: the underscore is the name
		{"2_/a", ""},   // '/' sits just before '0'
		{"1_/", "_"},   // so the underscore is the name, and '/' what follows
		{"2_:a", ""},   // ':' just after '9'
		{"2_0a", ""},   // a crate name does not start with a digit
		{"2_9a", ""},
		{"1a", "a"}, {"1z", "z"}, {"1A", "A"}, {"1Z", "Z"}, {"1_", "_"},
		{"1`", ""}, {"1{", ""}, {"1@", ""}, {"1[", ""},
		{"2a0", "a0"}, {"2a9", "a9"}, {"2a/", ""}, {"2a:", ""},
		{"10", ""}, {"1" + "0", ""},
	}
	for _, tt := range tests {
		if got := lengthPrefixed(tt.in); got != tt.want {
			t.Errorf("lengthPrefixed(%.20q) = %.20q, want %.20q", tt.in, got, tt.want)
		}
	}
}

// A string table hands out 4 bytes per byte it holds, plus 64 KiB: a name
// may be counted while the budget covers it, and no further.
func TestStrtabBudget(t *testing.T) {
	// A table of "\0" + 8193 'A's + "\0": its budget, 4*8195 + 65536 =
	// 98316, is exactly 12 times the long name.
	const long = 8193
	b := append(append([]byte{0}, bytes.Repeat([]byte{'A'}, long)...), 0)
	tab := newStrtab(b)
	for i := range 12 {
		if n, err := tab.count(1); n != long || err != nil {
			t.Fatalf("count %d of 12: %d, %v", i+1, n, err)
		}
	}
	if tab.left != 0 {
		t.Fatalf("budget left after 12 names: %d, want 0", tab.left)
	}
	// The empty name costs nothing, even with the budget spent.
	if n, err := tab.count(0); n != 0 || err != nil {
		t.Errorf("empty name with no budget: %d, %v", n, err)
	}
	if _, err := tab.count(1); !errors.Is(err, ErrNameReuse) {
		t.Errorf("13th long name: %v, want ErrNameReuse", err)
	}
	// Past the end, and at it, there is no name.
	for _, off := range []uint64{uint64(len(b)), uint64(len(b)) + 1} {
		if n, err := tab.count(off); n != 0 || err != nil {
			t.Errorf("count(%d) = %d, %v", off, n, err)
		}
	}

	// A last name with no NUL runs to the table's end.
	tab = newStrtab([]byte("ab\x00cd"))
	if s, err := tab.name(3); s != "cd" || err != nil {
		t.Errorf(`name(3) of "ab\0cd" = %q, %v`, s, err)
	}
	if s, err := tab.name(0); s != "ab" || err != nil {
		t.Errorf(`name(0) = %q, %v`, s, err)
	}
}

// crossNeeds returns the cross_needs.dll fixture, its parsed image and the
// file offsets of its export directory's function, name and ordinal
// tables.
func crossNeeds(t *testing.T) (orig []byte, img *peImage, dir pe.DataDirectory, funcs, ords int64) {
	t.Helper()
	orig, pf := crossDLL(t, "cross_needs.dll")
	dir = pf.OptionalHeader.(*pe.OptionalHeader64).DataDirectory[peDirExport]
	img = &peImage{r: bytes.NewReader(orig), size: int64(len(orig)), sections: pf.Sections}
	hdr, err := img.read(dir.VirtualAddress, 40, "export directory")
	if err != nil {
		t.Fatal(err)
	}
	at := func(field int) int64 {
		off, _, ok := img.offset(binary.LittleEndian.Uint32(hdr[field:]))
		if !ok {
			t.Fatalf("export table at %d has no offset", field)
		}
		return off
	}
	return orig, img, dir, at(28), at(36)
}

// An export's ordinal indexes the function table, and its address is a
// forwarder exactly when it falls inside the export directory.
func TestPEExportEdges(t *testing.T) {
	orig, img, dir, funcs, ords := crossNeeds(t)
	le := binary.LittleEndian
	edata := img.sections[slices.IndexFunc(img.sections, func(s *pe.Section) bool { return s.Name == ".edata" })]
	text := img.sections[0]
	first := func(patch func(b []byte)) (Symbol, error) {
		b := slices.Clone(orig)
		patch(b)
		f, err := newFile(bytes.NewReader(b), reading{full: true})
		if err != nil {
			return Symbol{}, err
		}
		if len(f.Damaged) > 0 {
			return Symbol{}, errors.Join(f.Damaged...)
		}
		return f.Exports[slices.IndexFunc(f.Exports, func(s Symbol) bool { return s.Name == "cross_counter" })], nil
	}
	// The export table is sorted by name: cross_counter is name 0, and
	// ordinal entry 0 says which function it is.
	if _, err := first(func(b []byte) { le.PutUint16(b[ords:], 3) }); err != nil {
		t.Errorf("ordinal index 3 of 4 functions: %v", err)
	}
	if _, err := first(func(b []byte) { le.PutUint16(b[ords:], 4) }); err == nil || !strings.Contains(err.Error(), "ordinal index 4") {
		t.Errorf("ordinal index 4 of 4 functions: got %v, want it refused", err)
	}
	for _, tt := range []struct {
		rva  uint32
		kind SymbolKind
	}{
		{dir.VirtualAddress, OtherSymbol},                // the directory's first byte: a forwarder
		{dir.VirtualAddress + dir.Size - 1, OtherSymbol}, // its last byte
		{dir.VirtualAddress + dir.Size, Data},            // just past it: .edata's data
		{dir.VirtualAddress - 1, OtherSymbol},            // just below .edata: in no section
		{text.VirtualAddress, Function},
		{text.VirtualAddress - 1, OtherSymbol},
		{edata.VirtualAddress + max(edata.VirtualSize, edata.Size) - 1, Data},
	} {
		x, err := first(func(b []byte) {
			le.PutUint16(b[ords:], 0)
			le.PutUint32(b[funcs:], tt.rva)
		})
		if err != nil || x.Kind != tt.kind {
			t.Errorf("export at RVA %#x: %v, %v; want %v", tt.rva, x.Kind, err, tt.kind)
		}
	}
	if dir.VirtualAddress != edata.VirtualAddress {
		t.Fatalf("fixture: export directory at %#x, .edata at %#x", dir.VirtualAddress, edata.VirtualAddress)
	}
}

// A code section's kind holds from its first byte to its last, by the
// larger of its virtual and file sizes.
func TestPEKindAt(t *testing.T) {
	p := &peImage{sections: []*pe.Section{
		{SectionHeader: pe.SectionHeader{VirtualAddress: 0x1000, VirtualSize: 0x300, Size: 0x200, Characteristics: pe.IMAGE_SCN_CNT_CODE}},
		{SectionHeader: pe.SectionHeader{VirtualAddress: 0x2000, VirtualSize: 0x100, Size: 0x200, Characteristics: pe.IMAGE_SCN_MEM_READ}},
	}}
	for rva, want := range map[uint32]SymbolKind{
		0x0fff: OtherSymbol, 0x1000: Function, 0x12ff: Function, 0x1300: OtherSymbol,
		0x2000: Data, 0x21ff: Data, 0x2200: OtherSymbol,
	} {
		if got := p.kindAt(rva); got != want {
			t.Errorf("kindAt(%#x) = %v, want %v", rva, got, want)
		}
	}
}

// A DLL that exports no plugin_manifest says so with -1; PE records no
// symbol sizes, so one that does gives 0.
func TestPEManifestSize(t *testing.T) {
	for name, want := range map[string]int64{"crossdep.dll": -1, "cross.dll": 0} {
		f, err := Open(filepath.Join(testplugins.Dir(t), "cross", name))
		if err != nil || f.ManifestSize != want {
			t.Errorf("%s: ManifestSize %v, %v; want %d", name, f.ManifestSize, err, want)
		}
	}
}

// peSectionsFile builds a PE file with a zeroed 240-byte optional header,
// nsect sections all named "/4", the first byte of a string table holding
// one name of nameLen bytes, and no symbols.
func peSectionsFile(nsect, nameLen int) []byte {
	le := binary.LittleEndian
	const optSize = 240
	b := make([]byte, 0x44+20+optSize+40*nsect)
	b[0], b[1] = 'M', 'Z'
	le.PutUint32(b[0x3c:], 0x40)
	copy(b[0x40:], "PE\x00\x00")
	fh := b[0x44:]
	le.PutUint16(fh[0:], 0x8664)
	le.PutUint16(fh[2:], uint16(nsect))
	le.PutUint32(fh[8:], uint32(len(b)))
	le.PutUint16(fh[16:], optSize)
	for i := range nsect {
		copy(b[0x44+20+optSize+40*i:], "/4")
	}
	b = le.AppendUint32(b, uint32(4+nameLen+1))
	return append(b, longName(nameLen)...)
}

// A string table of 100,001 bytes may hand out 4 x 100,001 + 64 KiB =
// 465,540 bytes: four copies of its name, not five. Each count is exact,
// so the last section and the last symbol are checked too.
func TestPENameBudgetEdges(t *testing.T) {
	for _, tt := range []struct {
		name string
		file []byte
		bad  bool
	}{
		{"4 sections", peSectionsFile(4, 100_000), false},
		{"5 sections", peSectionsFile(5, 100_000), true},
		{"4 symbols", peSymbolsFile(4, 100_000), false},
		{"5 symbols", peSymbolsFile(5, 100_000), true},
		// A short name many times: 5,465 copies of 12 bytes fit the
		// budget of 4 x 13 + 64 KiB, 6,000 do not.
		{"5465 short", peSymbolsFile(5465, 12), false},
		{"6000 short", peSymbolsFile(6000, 12), true},
		// The budget comes from the table's own length, not from what
		// follows it: 9 x 13,110 is over 4 x 13,111 + 64 KiB, not over
		// 4 x 13,115 + 64 KiB.
		{"9 followed", append(peSymbolsFile(9, 13_110), "tail"...), true},
	} {
		err := checkPETables(bytes.NewReader(tt.file), int64(len(tt.file)))
		if tt.bad != errors.Is(err, ErrNameReuse) {
			t.Errorf("%s: got %v, want ErrNameReuse %v", tt.name, err, tt.bad)
		}
	}
	// A table that would run past the end of the file is not read.
	b := peSymbolsFile(5, 100_000)
	if err := checkPETables(bytes.NewReader(b), int64(len(b))-1); err != nil {
		t.Errorf("string table past the end: %v", err)
	}
}

// A section may claim gigabytes the file does not hold: read refuses to
// take them before it allocates anything of that size.
func TestPEReadAllocatesWhatTheFileHolds(t *testing.T) {
	file := make([]byte, 0x600)
	sec := &pe.Section{SectionHeader: pe.SectionHeader{VirtualAddress: 0x1000, VirtualSize: 0xfffff000, Size: 0xfffff000, Offset: 0x400}}
	p := &peImage{r: bytes.NewReader(file), size: int64(len(file)), sections: []*pe.Section{sec}, headers: 0x400}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := p.read(0x1000, 1<<28, "table"); err == nil {
		t.Error("read of 256 MiB from a 1.5 KiB file succeeded")
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("read allocated %d bytes", n)
	}
}

// A data symbol's bytes run from its address to its size, or to its
// section's end when it records no size, and exist only inside a section.
func TestELFSymbolData(t *testing.T) {
	data := []byte("0123456789")
	progbits := &elf.Section{SectionHeader: elf.SectionHeader{Type: elf.SHT_PROGBITS, Addr: 0x100, Size: 10}, ReaderAt: bytes.NewReader(data)}
	nobits := &elf.Section{SectionHeader: elf.SectionHeader{Type: elf.SHT_NOBITS, Addr: 0x200, Size: 10}}
	ef := &elf.File{Sections: []*elf.Section{{}, progbits, nobits}}
	for _, tt := range []struct {
		name  string
		sec   elf.SectionIndex
		value uint64
		size  uint64
		want  []byte
	}{
		{"first byte, sized", 1, 0x100, 4, []byte("0123")},
		{"unsized: to the section's end", 1, 0x104, 0, []byte("456789")},
		{"larger than its section", 1, 0x108, 5, []byte("89")},
		{"last byte", 1, 0x109, 0, []byte("9")},
		{"just past the section", 1, 0x10a, 0, nil},
		{"just below it", 1, 0xff, 1, nil},
		{".bss: zeros", 2, 0x204, 0, make([]byte, 6)},
		{".bss, sized", 2, 0x200, 3, make([]byte, 3)},
		{"just past .bss", 2, 0x20a, 0, nil},
		{"no such section", 3, 0x100, 1, nil},
		{"SHN_ABS", elf.SHN_ABS, 0x100, 1, nil},
	} {
		got := elfSymbolData(ef, elf.Symbol{Section: tt.sec, Value: tt.value, Size: tt.size})
		if !bytes.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	// A file with a section at every index still has no data at the
	// reserved ones.
	many := &elf.File{Sections: slices.Repeat([]*elf.Section{progbits}, int(elf.SHN_LORESERVE)+2)}
	if got := elfSymbolData(many, elf.Symbol{Section: elf.SHN_LORESERVE, Value: 0x100, Size: 1}); got != nil {
		t.Errorf("SHN_LORESERVE in a file of %d sections: %q", len(many.Sections), got)
	}
}

// Exports are what nm -D --defined-only lists, weak ones marked.
func TestELFExportBinding(t *testing.T) {
	for _, tt := range []struct {
		bind elf.SymBind
		typ  elf.SymType
		ok   bool
		weak bool
		kind SymbolKind
	}{
		{elf.STB_GLOBAL, elf.STT_FUNC, true, false, Function},
		{elf.STB_WEAK, elf.STT_FUNC, true, true, Function},
		{elf.STB_WEAK, elf.STT_OBJECT, true, true, Data},
		{elf.STB_LOCAL, elf.STT_FUNC, false, false, ""},
		{elf.STB_GLOBAL, elf.STT_NOTYPE, true, false, OtherSymbol},
	} {
		x, ok := elfExport(elf.Symbol{Name: "f", Section: 1, Info: elf.ST_INFO(tt.bind, tt.typ)})
		if ok != tt.ok || ok && (x.Weak != tt.weak || x.Kind != tt.kind) {
			t.Errorf("%v %v: %+v, %v", tt.bind, tt.typ, x, ok)
		}
	}
}

// rustc's version string in .comment marks a Rust library; a .comment of
// 64 KiB or more is not read.
func TestELFCommentBound(t *testing.T) {
	for size, want := range map[int]bool{1<<16 - 1: true, 1 << 16: false} {
		comment := make([]byte, size)
		copy(comment, "rustc version 1.90.0")
		b := elfWith(2,
			testSection{name: 1, typ: elf.SHT_PROGBITS, data: comment},
			testSection{name: 10, typ: elf.SHT_STRTAB, data: []byte("\x00.comment\x00.shstrtab\x00")})
		f, err := newFile(bytes.NewReader(b), reading{full: true})
		if err != nil || f.Rust != want {
			t.Errorf(".comment of %d bytes: Rust %v, %v; want %v", size, f.Rust, err, want)
		}
	}
}

// elfTail is elfWith with the section headers first and the sections' data
// after them, so that the last section ends the file.
func elfTail(shstrndx int, sections ...testSection) []byte {
	le := binary.LittleEndian
	b := elfWith(shstrndx)[:64]
	le.PutUint64(b[40:], 64)
	le.PutUint16(b[60:], uint16(len(sections)+1))
	off := 64 + 64*(len(sections)+1)
	b = append(b, make([]byte, 64)...) // section 0
	for _, s := range sections {
		h := make([]byte, 64)
		le.PutUint32(h[0:], s.name)
		le.PutUint32(h[4:], uint32(s.typ))
		le.PutUint64(h[24:], uint64(off))
		le.PutUint64(h[32:], uint64(len(s.data)))
		le.PutUint32(h[40:], s.link)
		b = append(b, h...)
		off += len(s.data)
	}
	for _, s := range sections {
		b = append(b, s.data...)
	}
	return b
}

// dynEntries is a 64-bit dynamic section of n entries of tag, each naming
// offset 0 of its string table.
func dynEntries(n int, tag elf.DynTag) []byte {
	var b []byte
	for range n {
		b = binary.LittleEndian.AppendUint64(b, uint64(tag))
		b = binary.LittleEndian.AppendUint64(b, 0)
	}
	return b
}

// verdef is one version definition (Elf64_Verdef) that says it has cnt
// names, followed by one name record (Elf64_Verdaux) that links to itself.
func verdef(cnt uint16) []byte {
	b := make([]byte, 28)
	binary.LittleEndian.PutUint16(b[0:], 1)
	binary.LittleEndian.PutUint16(b[6:], cnt)
	binary.LittleEndian.PutUint32(b[12:], 20)
	return b
}

// verneed is one library, named at offset 0, needing n versions all named
// at off, each a record of its own chained to the next, with gap bytes
// between records.
func verneed(n int, off uint32, gap int) []byte {
	le := binary.LittleEndian
	stride := 16 + gap
	b := make([]byte, 16+stride*n)
	le.PutUint16(b[0:], 1)
	le.PutUint16(b[2:], uint16(n))
	le.PutUint32(b[8:], 16)
	for i := range n {
		a := b[16+stride*i:]
		le.PutUint32(a[8:], off)
		if i < n-1 {
			le.PutUint32(a[12:], uint32(stride))
		}
	}
	return b
}

// libraries is n libraries (Elf64_Verneed) needing no versions, chained,
// all named at offset 0: the last ends the section.
func libraries(n int) []byte {
	b := make([]byte, 16*n)
	for i := range n {
		binary.LittleEndian.PutUint16(b[16*i:], 1)
		if i < n-1 {
			binary.LittleEndian.PutUint32(b[16*i+12:], 16)
		}
	}
	return b
}

// overlapping is n bytes of library records (Elf64_Verneed) 8 bytes apart:
// each reads version 1, no versions needed, file name at 8, and the next 8
// bytes on.
func overlapping(n int) []byte {
	return bytes.Repeat([]byte{1, 0, 0, 0, 8, 0, 0, 0}, n/8)
}

// chainedDefs is n version definitions, each with two name records: the
// first named at offset 0 (""), linked to the second, named at offset 1.
// Each definition's flags are 0x100, which no name offset reaches.
func chainedDefs(n int) []byte {
	le := binary.LittleEndian
	var b []byte
	for i := range n {
		d := make([]byte, 36)
		le.PutUint16(d[0:], 1)
		le.PutUint16(d[2:], 0x100)
		le.PutUint16(d[6:], 2)
		le.PutUint32(d[12:], 20)
		if i < n-1 {
			le.PutUint32(d[16:], 36)
		}
		le.PutUint32(d[24:], 8) // the first name record's next
		le.PutUint32(d[28:], 1) // the second's name
		b = append(b, d...)
	}
	return b
}

// Each of the ELF table walks, one record either side of its limit. A
// string table of 100,001 bytes may hand out 465,540 bytes: four copies of
// its 100,000-byte name, not five.
func TestELFTableEdges(t *testing.T) {
	le := binary.LittleEndian
	long := testSection{typ: elf.SHT_STRTAB, data: longName(100_000)}
	short := testSection{typ: elf.SHT_STRTAB, data: []byte("\x00a\x00")}
	prog := testSection{typ: elf.SHT_PROGBITS}
	dynsym := func(n int) testSection { return testSection{typ: elf.SHT_DYNSYM, link: 2, data: make([]byte, 24*n)} }
	// Section 0 holds the real count and name-table index when the header's
	// fields overflow (e_shnum 0, e_shstrndx SHN_XINDEX).
	extended := func(b []byte, count uint64, shstrndx uint32) []byte {
		shoff := le.Uint64(b[40:])
		if count > 0 {
			le.PutUint16(b[60:], 0)
			le.PutUint64(b[shoff+32:], count)
		}
		if shstrndx > 0 {
			le.PutUint16(b[62:], uint16(elf.SHN_XINDEX))
			le.PutUint32(b[shoff+40:], shstrndx)
		}
		return b
	}
	// A string table whose name at offset 1 is 100,000 bytes long.
	longAt1 := testSection{typ: elf.SHT_STRTAB, data: append([]byte{0}, longName(100_000)...)}
	// A definition whose one name record starts 4 bytes before the
	// section ends.
	cutAux := verdef(1)
	le.PutUint32(cutAux[12:], 24)
	tests := []struct {
		name string
		file []byte
		want error // nil: passes
	}{
		// Every section's name, section 0's too, is counted.
		{"4 section names", elfWith(1, long, prog, prog), nil},
		{"5 section names", elfWith(1, long, prog, prog, prog), ErrNameReuse},
		{"5 section names, counted in section 0", extended(elfWith(1, long, prog, prog, prog), 5, 0), ErrNameReuse},
		{"5 section names, their table named in section 0", extended(elfWith(1, long, prog, prog, prog), 0, 1), ErrNameReuse},
		{"no name table", elfWith(0, long, prog, prog, prog), nil},
		// Symbol 0 is the null symbol: not counted.
		{"5 symbols", elfWith(0, dynsym(5), long), nil},
		{"6 symbols", elfWith(0, dynsym(6), long), ErrNameReuse},
		{"6 symbols, their names in section 2 of 2", elfWith(0, testSection{typ: elf.SHT_DYNSYM, link: 2, data: make([]byte, 24*6)}), nil},
		// A table that ends the file is read; one that runs past it is not.
		{"6 symbols, names at the end", elfTail(0, dynsym(6), long), ErrNameReuse},
		{"6 symbols, names past the end", elfTail(0, dynsym(6), testSection{typ: elf.SHT_STRTAB, data: longName(100_000)})[:64+64*3+24*6+100_000], nil},
		// The dynamic section's DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH.
		{"4 DT_NEEDED", elfWith(0, testSection{typ: elf.SHT_DYNAMIC, link: 2, data: dynEntries(4, elf.DT_NEEDED)}, long), nil},
		{"5 DT_NEEDED", elfWith(0, testSection{typ: elf.SHT_DYNAMIC, link: 2, data: dynEntries(5, elf.DT_NEEDED)}, long), ErrNameReuse},
		{"5 DT_RUNPATH", elfWith(0, testSection{typ: elf.SHT_DYNAMIC, link: 2, data: dynEntries(5, elf.DT_RUNPATH)}, long), ErrNameReuse},
		{"50 DT_HASH: no names", elfWith(0, testSection{typ: elf.SHT_DYNAMIC, link: 2, data: dynEntries(50, elf.DT_HASH)}, long), nil},
		{"5 DT_NEEDED, names in no section", elfWith(0, testSection{typ: elf.SHT_DYNAMIC, link: 3, data: dynEntries(5, elf.DT_NEEDED)}, long), nil},
		// A 28-byte definition holds 3 records besides its own: debug/elf
		// walks the one name record as often as the count says.
		{"a definition with 3 names", elfWith(0, dynsym(2), short, testSection{typ: elf.SHT_GNU_VERDEF, link: 2, data: verdef(3)}), nil},
		{"a definition with 4 names", elfWith(0, dynsym(2), short, testSection{typ: elf.SHT_GNU_VERDEF, link: 2, data: verdef(4)}), errOverlappingVersions},
		{"versions without dynamic symbols", elfWith(0, prog, short, testSection{typ: elf.SHT_GNU_VERDEF, link: 2, data: verdef(4)}), nil},
		{"5 libraries named by one long name", elfWith(0, dynsym(1), long, testSection{typ: elf.SHT_GNU_VERNEED, link: 2, data: libraries(5)}), ErrNameReuse},
		{"4 libraries named by one long name", elfWith(0, dynsym(1), long, testSection{typ: elf.SHT_GNU_VERNEED, link: 2, data: libraries(4)}), nil},
		{"a name record cut off by the section's end", elfWith(0, dynsym(2), short, testSection{typ: elf.SHT_GNU_VERDEF, link: 2, data: cutAux}), nil},
		// Libraries 8 bytes apart, each record overlapping the next: 32
		// bytes hold 3 and may (2 records of 16, and one more); 40 bytes
		// hold 4 and may not.
		{"3 overlapping libraries", elfWith(0, dynsym(2), short, testSection{typ: elf.SHT_GNU_VERNEED, link: 2, data: overlapping(32)}), nil},
		{"4 overlapping libraries", elfWith(0, dynsym(2), short, testSection{typ: elf.SHT_GNU_VERNEED, link: 2, data: overlapping(40)}), errOverlappingVersions},
		// Names reached through the chain of a definition's or a need's
		// records are counted.
		{"5 definitions whose second name is long", elfWith(0, dynsym(1), longAt1, testSection{typ: elf.SHT_GNU_VERDEF, link: 2, data: chainedDefs(5)}), ErrNameReuse},
		{"4 definitions whose second name is long", elfWith(0, dynsym(1), longAt1, testSection{typ: elf.SHT_GNU_VERDEF, link: 2, data: chainedDefs(4)}), nil},
		{"5 needed versions named by one long name", elfWith(0, dynsym(1), longAt1, testSection{typ: elf.SHT_GNU_VERNEED, link: 2, data: verneed(5, 1, 16)}), ErrNameReuse},
		{"4 needed versions named by one long name", elfWith(0, dynsym(1), longAt1, testSection{typ: elf.SHT_GNU_VERNEED, link: 2, data: verneed(4, 1, 16)}), nil},
		{"1024 versions needed", elfWith(0, dynsym(2), short, testSection{typ: elf.SHT_GNU_VERNEED, link: 2, data: verneed(1024, 1, 0)}), nil},
		{"1025 versions needed", elfWith(0, dynsym(2), short, testSection{typ: elf.SHT_GNU_VERNEED, link: 2, data: verneed(1025, 1, 0)}), errTooManyVersions},
	}
	for _, tt := range tests {
		_, err := checkELFTables(bytes.NewReader(tt.file), int64(len(tt.file)))
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
		if errors.Is(err, errTooManyVersions) && !strings.Contains(err.Error(), "names 1025 symbol versions") {
			t.Errorf("%s: %v, want the count", tt.name, err)
		}
		// Overlapping entries are reported where their table starts.
		if errors.Is(tt.want, errOverlappingVersions) {
			ef, perr := elf.NewFile(bytes.NewReader(tt.file))
			if perr != nil {
				t.Fatalf("%s: %v", tt.name, perr)
			}
			sec := ef.SectionByType(elf.SHT_GNU_VERDEF)
			if sec == nil {
				sec = ef.SectionByType(elf.SHT_GNU_VERNEED)
			}
			_, err := newFile(bytes.NewReader(tt.file), reading{full: true})
			fe := &FormatError{Off: -1}
			if !errors.As(err, &fe) || fe.Off != int64(sec.Offset) {
				t.Errorf("%s: %v, want it at offset %#x", tt.name, err, sec.Offset)
			}
		}
	}
}

// A file truncated while it is read, and a header that claims 200,000
// sections in a file of 4 KiB: neither is read, nor allocated for.
func TestELFSectionCountEdges(t *testing.T) {
	b := elfWith(1, testSection{typ: elf.SHT_STRTAB, data: longName(100_000)}, testSection{}, testSection{}, testSection{})
	if _, err := checkELFTables(bytes.NewReader(b[:len(b)-1]), int64(len(b))); err != nil {
		t.Errorf("section headers cut short: %v", err)
	}
	// The section headers start at byte 64, so 4,000 bytes could hold 62
	// of them.
	small := elfWith(1, testSection{typ: elf.SHT_STRTAB, data: make([]byte, 4000)})
	binary.LittleEndian.PutUint64(small[40:], 64)
	binary.LittleEndian.PutUint16(small[60:], 0)
	binary.LittleEndian.PutUint64(small[64+32:], 200_000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := checkELFTables(bytes.NewReader(small), int64(len(small))); err != nil {
		t.Errorf("200,000 sections: %v", err)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("200,000 sections in %d bytes: allocated %d bytes", len(small), n)
	}
}

// The version walk counts what debug/elf decodes: each definition's name
// and the versions it depends on, and each version needed, in libraries
// whose definitions chain several names.
func TestVersionWalkMatchesDebugELF(t *testing.T) {
	paths := []string{"/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libm.so.6"}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("reads this machine's libraries")
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Skip(err)
		}
		ef, err := elf.NewFile(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		want := map[elf.SectionType]int{}
		defs, _ := ef.DynamicVersions()
		for _, d := range defs {
			want[elf.SHT_GNU_VERDEF] += 1 + len(d.Deps)
		}
		needs, _ := ef.DynamicVersionNeeds()
		for _, n := range needs {
			want[elf.SHT_GNU_VERNEED] += len(n.Needs)
		}
		c, ok := readELFSections(bytes.NewReader(b), int64(len(b)))
		if !ok {
			t.Fatalf("%s: section headers not read", p)
		}
		dynstr, err := c.symbolNames(elf.SHT_DYNSYM, true)
		if err != nil {
			t.Fatal(err)
		}
		for typ, n := range want {
			got, err := c.versionNames(typ, dynstr)
			if err != nil || got != n {
				t.Errorf("%s: %v: walked %d versions (%v), debug/elf decodes %d", p, typ, got, err, n)
			}
		}
		if want[elf.SHT_GNU_VERDEF] <= len(defs) && p == paths[0] {
			t.Errorf("%s: no definition depends on another: the test needs one that does", p)
		}
	}
}

// An ELF file for another OS is refused on this one; one for Linux or for
// this OS is not.
func TestCheckHostOS(t *testing.T) {
	if HostFormat() != ELF {
		t.Skip("an ELF host")
	}
	for _, tt := range []struct {
		os string
		ok bool
	}{{"linux", true}, {runtime.GOOS, true}, {"freebsd", runtime.GOOS == "freebsd"}} {
		os, ok := tt.os, tt.ok
		f := &File{Format: ELF, OS: os, Arch: HostArch(), Bits: HostBits()}
		var inc *IncompatibleError
		if err := f.CheckHost(); ok != (err == nil) || !ok && (!errors.As(err, &inc) || !strings.Contains(err.Error(), "built for "+os)) {
			t.Errorf("ELF for %s: %v", os, err)
		}
	}
}

// sizeOf asks a file or a reader for its size, and knows none otherwise.
func TestSizeOf(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, make([]byte, 1234), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n := sizeOf(f); n != 1234 {
		t.Errorf("sizeOf(*os.File) = %d", n)
	}
	if n := sizeOf(bytes.NewReader(make([]byte, 7))); n != 7 {
		t.Errorf("sizeOf(*bytes.Reader) = %d", n)
	}
	if n := sizeOf(struct{ io.ReaderAt }{f}); n != math.MaxInt64 {
		t.Errorf("sizeOf(a bare ReaderAt) = %d", n)
	}
	f.Close()
	if n := sizeOf(f); n != math.MaxInt64 {
		t.Errorf("sizeOf(a closed file) = %d", n)
	}
}

// crossDLL returns the DLL fixture name and its parsed headers.
func crossDLL(t *testing.T, name string) ([]byte, *pe.File) {
	t.Helper()
	orig, err := os.ReadFile(filepath.Join(testplugins.Dir(t), "cross", name))
	if err != nil {
		t.Fatal(err)
	}
	pf, err := pe.NewFile(bytes.NewReader(orig))
	if err != nil {
		t.Fatal(err)
	}
	return orig, pf
}

// A delay-import descriptor names its DLL by RVA, or, in old files whose
// attributes lack bit 0, by virtual address. Either way the DLL is an
// optional dependency.
func TestPEDelayImports(t *testing.T) {
	orig, pf := crossDLL(t, "cross.dll")
	oh := pf.OptionalHeader.(*pe.OptionalHeader64)
	data := pf.Section(".data")
	// .data's file data runs past its virtual size: room for a descriptor,
	// an all-zero one, and a name.
	if data.Size < data.VirtualSize+0x100 {
		t.Fatalf("fixture: .data has %#x bytes in the file, %#x in memory", data.Size, data.VirtualSize)
	}
	desc, name := data.VirtualAddress+data.VirtualSize+0x10, data.VirtualAddress+data.VirtualSize+0x60
	fileOff := func(rva uint32) uint32 { return rva - data.VirtualAddress + data.Offset }
	// The data directories follow the optional header's 112 fixed bytes.
	dirs := binary.LittleEndian.Uint32(orig[0x3c:]) + 4 + 20 + 112
	for _, tt := range []struct {
		attrs uint32
		field uint64
	}{
		{1, uint64(name)},                // an RVA
		{0, oh.ImageBase + uint64(name)}, // a VA
	} {
		b := slices.Clone(orig)
		le := binary.LittleEndian
		le.PutUint32(b[dirs+8*peDirDelayImport:], desc)
		le.PutUint32(b[dirs+8*peDirDelayImport+4:], 64)
		le.PutUint32(b[fileOff(desc):], tt.attrs)
		le.PutUint32(b[fileOff(desc)+4:], uint32(tt.field))
		copy(b[fileOff(name):], "delayed.dll\x00")
		f, err := newFile(bytes.NewReader(b), reading{full: true})
		if err != nil {
			t.Fatalf("attributes %d: %v", tt.attrs, err)
		}
		i := slices.IndexFunc(f.Needed, func(d Dependency) bool { return d.Name == "delayed.dll" })
		if i < 0 || !f.Needed[i].Optional {
			t.Errorf("attributes %d: needed %+v, want delayed.dll, optional", tt.attrs, f.Needed)
		}
		if j := slices.IndexFunc(f.Needed, func(d Dependency) bool { return d.Name == "KERNEL32.dll" }); j < 0 || f.Needed[j].Optional {
			t.Errorf("attributes %d: needed %+v, want KERNEL32.dll, not optional", tt.attrs, f.Needed)
		}
	}
}

// rustc's version string in a .comment section marks a Rust DLL; one of
// 64 KiB or more is not read.
func TestPECommentBound(t *testing.T) {
	orig, pf := crossDLL(t, "cross.dll")
	i := slices.IndexFunc(pf.Sections, func(s *pe.Section) bool { return s.Name == ".data" })
	// The section headers follow the optional header.
	hdr := int(binary.LittleEndian.Uint32(orig[0x3c:])) + 4 + 20 + int(pf.SizeOfOptionalHeader) + 40*i
	for size, want := range map[int]bool{1<<16 - 1: true, 1 << 16: false} {
		for _, name := range []string{".comment", ".commenx"} {
			b := slices.Clone(orig)
			copy(b[hdr:hdr+8], name)
			binary.LittleEndian.PutUint32(b[hdr+16:], uint32(size))   // SizeOfRawData
			binary.LittleEndian.PutUint32(b[hdr+20:], uint32(len(b))) // PointerToRawData
			comment := make([]byte, size)
			copy(comment, "GCC: (GNU) 14\x00rustc version 1.90.0")
			b = append(b, comment...)
			f, err := newFile(bytes.NewReader(b), reading{full: true})
			if err != nil || f.Rust != (want && name == ".comment") {
				t.Errorf("%s of %d bytes: Rust %v, %v", name, size, f.Rust, err)
			}
		}
	}
}
