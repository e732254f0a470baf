package inspect

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// checkELFTables refuses an ELF file whose tables would make debug/elf work
// out of all proportion to the file's size, before debug/elf reads it.
// debug/elf copies every name it decodes (of sections, symbols, dynamic
// entries and versions), so one long name that thousands of entries point at
// makes it copy gigabytes from a megabyte; it walks a version definition's
// names as many times as the definition's count says, however few there are;
// and for each dynamic symbol it searches every version. This check walks the
// same tables the same way, counting instead of copying, and stops at the
// first sign of excess. A file it cannot make sense of passes: debug/elf
// reports what is wrong with it. (The full symbol table is never decoded:
// MangledEntry searches its string table as bytes.)
func checkELFTables(r io.ReaderAt, size int64) error {
	c, ok := readELFSections(r, size)
	if !ok {
		return nil
	}
	if s := c.section(c.shstrndx); s != nil {
		names, err := c.strtab(s)
		if err != nil {
			return err
		}
		for _, sec := range c.sections {
			if _, err := names.count(uint64(sec.name)); err != nil {
				return err
			}
		}
	}
	dynstr, err := c.symbolNames(elf.SHT_DYNSYM)
	if err != nil {
		return err
	}
	if err := c.dynamicNames(); err != nil {
		return err
	}
	if dynstr == nil {
		return nil // debug/elf reads versions with the dynamic symbols only
	}
	defs, err := c.versionNames(elf.SHT_GNU_VERDEF, dynstr)
	if err != nil {
		return err
	}
	needs, err := c.versionNames(elf.SHT_GNU_VERNEED, dynstr)
	if err != nil {
		return err
	}
	if defs+needs > maxELFVersions {
		return fmt.Errorf("it names %d symbol versions, %w", defs+needs, errTooManyVersions)
	}
	return nil
}

// maxELFVersions bounds the symbol versions a file may define and need:
// debug/elf searches them all for each dynamic symbol. glibc's libc defines
// fewer than 50, libstdc++ fewer than 150.
const maxELFVersions = 1024

type elfSectionHeader struct {
	name, link   uint32
	typ          elf.SectionType
	flags        elf.SectionFlag
	offset, size uint64
}

type elfTables struct {
	r        io.ReaderAt
	size     int64
	order    binary.ByteOrder
	is64     bool
	sections []elfSectionHeader
	shstrndx int
}

// readELFSections reads the section headers as debug/elf finds them; ok is
// false when the header makes no sense to it.
func readELFSections(r io.ReaderAt, size int64) (c *elfTables, ok bool) {
	var h [64]byte
	if n, _ := r.ReadAt(h[:], 0); n < 52 {
		return nil, false
	}
	c = &elfTables{r: r, size: size}
	switch elf.Data(h[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		c.order = binary.LittleEndian
	case elf.ELFDATA2MSB:
		c.order = binary.BigEndian
	default:
		return nil, false
	}
	var shoff uint64
	var shentsize, shnum, shstrndx uint16
	switch elf.Class(h[elf.EI_CLASS]) {
	case elf.ELFCLASS32:
		shoff = uint64(c.order.Uint32(h[0x20:]))
		shentsize, shnum, shstrndx = c.order.Uint16(h[0x2e:]), c.order.Uint16(h[0x30:]), c.order.Uint16(h[0x32:])
	case elf.ELFCLASS64:
		c.is64 = true
		shoff = c.order.Uint64(h[0x28:])
		shentsize, shnum, shstrndx = c.order.Uint16(h[0x3a:]), c.order.Uint16(h[0x3c:]), c.order.Uint16(h[0x3e:])
	default:
		return nil, false
	}
	want := uint16(40)
	if c.is64 {
		want = 64
	}
	if shoff == 0 || shoff >= uint64(size) || shentsize != want {
		return nil, false
	}
	count := uint64(shnum)
	c.shstrndx = int(shstrndx)
	if shnum == 0 || shstrndx == uint16(elf.SHN_XINDEX) {
		// The real values live in section 0.
		first, ok := c.readHeader(shoff)
		if !ok {
			return nil, false
		}
		if shnum == 0 {
			count = first.size
		}
		if shstrndx == uint16(elf.SHN_XINDEX) {
			c.shstrndx = int(first.link)
		}
	}
	if count > (uint64(size)-shoff)/uint64(want) {
		return nil, false
	}
	block := readAtMost(r, int64(shoff), int(count)*int(want))
	if len(block) < int(count)*int(want) {
		return nil, false
	}
	c.sections = make([]elfSectionHeader, count)
	for i := range c.sections {
		c.sections[i] = c.parseHeader(block[i*int(want):])
	}
	return c, true
}

func (c *elfTables) readHeader(off uint64) (elfSectionHeader, bool) {
	b := readAtMost(c.r, int64(off), 64)
	if len(b) < 40 || c.is64 && len(b) < 64 {
		return elfSectionHeader{}, false
	}
	return c.parseHeader(b), true
}

func (c *elfTables) parseHeader(b []byte) elfSectionHeader {
	o := c.order
	s := elfSectionHeader{name: o.Uint32(b[0:]), typ: elf.SectionType(o.Uint32(b[4:]))}
	if c.is64 {
		s.flags = elf.SectionFlag(o.Uint64(b[8:]))
		s.offset, s.size, s.link = o.Uint64(b[24:]), o.Uint64(b[32:]), o.Uint32(b[40:])
	} else {
		s.flags = elf.SectionFlag(o.Uint32(b[8:]))
		s.offset, s.size, s.link = uint64(o.Uint32(b[16:])), uint64(o.Uint32(b[20:])), o.Uint32(b[24:])
	}
	return s
}

func (c *elfTables) section(i int) *elfSectionHeader {
	if i <= 0 || i >= len(c.sections) {
		return nil
	}
	return &c.sections[i]
}

// byType returns the first section of typ, the one debug/elf reads.
func (c *elfTables) byType(typ elf.SectionType) *elfSectionHeader {
	for i := range c.sections {
		if c.sections[i].typ == typ {
			return &c.sections[i]
		}
	}
	return nil
}

var errCompressedTable = errors.New("a symbol, string, dynamic or version table is compressed, which no loader reads")

// data returns a section's bytes: nil for one outside the file.
func (c *elfTables) data(s *elfSectionHeader) ([]byte, error) {
	if s.flags&elf.SHF_COMPRESSED != 0 {
		return nil, at(int64(s.offset), errCompressedTable)
	}
	if s.typ == elf.SHT_NOBITS || s.offset > uint64(c.size) || s.size > uint64(c.size)-s.offset {
		return nil, nil
	}
	return readAtMost(c.r, int64(s.offset), int(s.size)), nil
}

func (c *elfTables) strtab(s *elfSectionHeader) (*strtab, error) {
	b, err := c.data(s)
	if err != nil {
		return nil, err
	}
	return newStrtab(b), nil
}

// symbolNames takes the name of every symbol in the first table of typ from
// its string table, which it returns.
func (c *elfTables) symbolNames(typ elf.SectionType) (*strtab, error) {
	sym := c.byType(typ)
	if sym == nil {
		return nil, nil
	}
	str := c.section(int(sym.link))
	if str == nil {
		return nil, nil
	}
	syms, err := c.data(sym)
	if err != nil {
		return nil, err
	}
	names, err := c.strtab(str)
	if err != nil {
		return nil, err
	}
	ent := 16
	if c.is64 {
		ent = 24
	}
	for i := ent; i+ent <= len(syms); i += ent {
		if _, err := names.count(uint64(c.order.Uint32(syms[i:]))); err != nil {
			return nil, err
		}
	}
	return names, nil
}

// dynamicNames takes the strings the dynamic section's DT_NEEDED, DT_SONAME,
// DT_RPATH and DT_RUNPATH entries name.
func (c *elfTables) dynamicNames() error {
	dyn := c.byType(elf.SHT_DYNAMIC)
	if dyn == nil {
		return nil
	}
	str := c.section(int(dyn.link))
	if str == nil {
		return nil
	}
	d, err := c.data(dyn)
	if err != nil {
		return err
	}
	names, err := c.strtab(str)
	if err != nil {
		return err
	}
	ent := 8
	if c.is64 {
		ent = 16
	}
	for i := 0; i+ent <= len(d); i += ent {
		var tag elf.DynTag
		var val uint64
		if c.is64 {
			tag, val = elf.DynTag(c.order.Uint64(d[i:])), c.order.Uint64(d[i+8:])
		} else {
			tag, val = elf.DynTag(c.order.Uint32(d[i:])), uint64(c.order.Uint32(d[i+4:]))
		}
		switch tag {
		case elf.DT_NEEDED, elf.DT_SONAME, elf.DT_RPATH, elf.DT_RUNPATH:
			if _, err := names.count(val); err != nil {
				return err
			}
		}
	}
	return nil
}

// versionNames walks the version definitions (SHT_GNU_VERDEF) or needs
// (SHT_GNU_VERNEED) as debug/elf does, taking each name from str, and
// returns how many versions they list. Each entry and each of its names is
// a record of its own in a real file, so walking more of them than the
// section holds records means entries that overlap or repeat.
func (c *elfTables) versionNames(typ elf.SectionType, str *strtab) (int, error) {
	sec := c.byType(typ)
	if sec == nil {
		return 0, nil
	}
	d, err := c.data(sec)
	if err != nil {
		return 0, err
	}
	head, aux := 20, 8 // Elf_Verdef, Elf_Verdaux
	if typ == elf.SHT_GNU_VERNEED {
		head, aux = 16, 16 // Elf_Verneed, Elf_Vernaux
	}
	o := c.order
	budget := len(d)/min(head, aux) + 1
	versions := 0
	for i := 0; i+head <= len(d); {
		if o.Uint16(d[i:]) != 1 {
			return versions, nil // debug/elf refuses the table
		}
		var cnt uint16
		var auxOff, next uint32
		if typ == elf.SHT_GNU_VERNEED {
			cnt, auxOff, next = o.Uint16(d[i+2:]), o.Uint32(d[i+8:]), o.Uint32(d[i+12:])
			if _, err := str.count(uint64(o.Uint32(d[i+4:]))); err != nil { // the library
				return 0, err
			}
		} else {
			cnt, auxOff, next = o.Uint16(d[i+6:]), o.Uint32(d[i+12:]), o.Uint32(d[i+16:])
		}
		if budget--; budget < 0 {
			return 0, at(int64(sec.offset), errOverlappingVersions)
		}
		for j, k := i+int(auxOff), 0; k < int(cnt) && j+aux <= len(d); k++ {
			if budget--; budget < 0 {
				return 0, at(int64(sec.offset), errOverlappingVersions)
			}
			nameOff, vnext := o.Uint32(d[j:]), o.Uint32(d[j+4:])
			if typ == elf.SHT_GNU_VERNEED {
				nameOff, vnext = o.Uint32(d[j+8:]), o.Uint32(d[j+12:])
			}
			if _, err := str.count(uint64(nameOff)); err != nil {
				return 0, err
			}
			versions++
			if typ == elf.SHT_GNU_VERNEED && vnext == 0 {
				break
			}
			j += int(vnext)
		}
		if next == 0 {
			break
		}
		i += int(next)
	}
	return versions, nil
}

var errTooManyVersions = errors.New("more than any library defines or needs")

var errOverlappingVersions = errors.New("its symbol version entries overlap or repeat, as no linker writes them")
