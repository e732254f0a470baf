package inspect

import (
	"bytes"
	"debug/elf"
	"io"
)

// A plain ELF file is one debug/elf reads without error and the same as
// elfTables does: readELF then takes everything from the tables, and
// debug/elf is never asked. debug/elf's NewFile allocates a Section, its
// readers and its name for every section header, and the program
// headers, about half of what listing a small plugin allocates; listing
// a thousand of them is mostly that and its collection.
//
// Plain is decided by the checks NewFile makes, in a stricter form where
// that is simpler (no extended section numbering, no compressed section),
// so that a plain file is always one NewFile accepts; anything else is
// read through debug/elf as before. TestPlainIsDebugELF and FuzzPlainELF
// hold the two paths to the same File.

// plain reports whether the file is plain (above), deciding it once.
func (c *elfTables) plain() bool {
	if c.plainDone {
		return c.isPlain
	}
	c.plainDone = true
	c.isPlain = c.checkPlain()
	return c.isPlain
}

func (c *elfTables) checkPlain() bool {
	h := &c.header
	phentsize := 32
	if c.is64 {
		phentsize = 56
	}
	// The identification and the file header, as NewFile checks them
	// (readELFSections has read the whole header: the section headers
	// follow it).
	if !h.magic || h.ident != uint32(elf.EV_CURRENT) || h.version != uint32(elf.EV_CURRENT) || h.phoff >= 1<<63 {
		return false
	}
	// Section headers: readELFSections has found them all in the file,
	// each of the size NewFile expects, but counted in section 0 they
	// are not plain.
	if c.shnum == 0 || c.shstrndx <= 0 || c.shstrndx >= int(c.shnum) || c.shstrndx >= len(c.sections) {
		return false
	}
	for i := range c.sections {
		s := &c.sections[i]
		if s.offset >= 1<<63 || s.size >= 1<<63 || s.flags&elf.SHF_COMPRESSED != 0 {
			return false
		}
	}
	// Program headers: all in the file, their offsets and sizes
	// positive as int64s.
	c.emptyDynamic = -1
	if h.phnum > 0 {
		if h.phentsize < phentsize {
			return false
		}
		n := uint64(h.phnum) * uint64(h.phentsize)
		if h.phoff > uint64(c.size) || n > uint64(c.size)-h.phoff {
			return false
		}
		b := view(c.r, int64(h.phoff), int(n))
		if uint64(len(b)) != n {
			return false
		}
		for i := 0; i < h.phnum; i++ {
			p := b[i*h.phentsize:]
			typ, off, filesz, memsz := c.order.Uint32(p), uint64(0), uint64(0), uint64(0)
			if c.is64 {
				off, filesz, memsz = c.order.Uint64(p[8:]), c.order.Uint64(p[32:]), c.order.Uint64(p[40:])
			} else {
				off, filesz, memsz = uint64(c.order.Uint32(p[4:])), uint64(c.order.Uint32(p[16:])), uint64(c.order.Uint32(p[20:]))
			}
			if off >= 1<<63 || filesz >= 1<<63 {
				return false
			}
			if elf.ProgType(typ) == elf.PT_DYNAMIC && filesz == 0 && memsz > 0 && c.emptyDynamic < 0 {
				c.emptyDynamic = int64(off)
			}
		}
	}
	// The section names: a string table, whole in the file, holding
	// every section's name. A name debug/elf would read as compressed
	// (.zdebug*) is not plain either.
	names := &c.sections[c.shstrndx]
	if names.typ != elf.SHT_STRTAB {
		return false
	}
	c.shstrtab = c.complete(names)
	if c.shstrtab == nil {
		return false
	}
	// readELF asks for some sections by name: debug/elf's Section gives
	// the first of each name.
	c.comment, c.linking = nil, [len(elfLinkingSections)]*elfSectionHeader{}
	for i := range c.sections {
		s := &c.sections[i]
		name, ok := c.sectionName(s)
		if !ok || bytes.HasPrefix(name, []byte(".zdebug")) {
			return false
		}
		if string(name) == ".comment" && c.comment == nil {
			c.comment = s
		}
		for k, n := range elfLinkingSections {
			if string(name) == n && c.linking[k] == nil {
				c.linking[k] = s
			}
		}
	}
	return true
}

// sectionName returns the name of s, as debug/elf's getString reads it
// from the section name table: ok is false where it fails.
func (c *elfTables) sectionName(s *elfSectionHeader) ([]byte, bool) {
	off := uint64(s.name)
	if off >= uint64(len(c.shstrtab)) {
		return nil, false
	}
	n := bytes.IndexByte(c.shstrtab[off:], 0)
	if n < 0 {
		return nil, false
	}
	return c.shstrtab[off : off+uint64(n)], true
}

// file reads a plain file from the tables, as readDebugELF reads it with
// debug/elf. ok is false where the tables cannot answer for debug/elf (a
// table it would fail to read, say): the caller then asks it.
func (c *elfTables) file(want reading) (f *File, ok bool) {
	if c == nil || !c.plain() {
		return nil, false
	}
	h := &c.header
	f = newELFFile(h.class, h.data, h.osabi, h.machine, c.order.std())
	f.Kind = elfKindOf(h.typ, c.pie)
	if s := c.comment; want.full && s != nil && s.typ != elf.SHT_NOBITS && s.size < 1<<16 {
		f.Rust = containsRustc(c.complete(s))
	}
	var nobits []string
	for i, s := range c.linking {
		if s != nil && s.typ == elf.SHT_NOBITS && s.size > 0 {
			nobits = append(nobits, elfLinkingSections[i])
		}
	}
	if f.Damaged = elfDamageOf(nobits, c.emptyDynamic); f.Damaged != nil {
		return f, true
	}
	if want.full {
		syms, ok := c.dynamicSymbols(nil)
		if !ok {
			return nil, false
		}
		f.addSymbols(syms, want, c.symbolData)
	}
	dyn, ok := c.dynamicStrings(nil)
	if !ok {
		return nil, false
	}
	f.setDynamic(dyn)
	vers, ok := c.versions(nil)
	if !ok {
		return nil, false
	}
	f.VersionNeeds = vers.needs
	if c.byType(elf.SHT_GNU_VERDEF) != nil {
		f.VersionDefs = vers.defs
	}
	return f, true
}

// pie reports whether the dynamic section's DT_FLAGS_1 says the file is a
// position-independent executable, as debug/elf's DynValue reads it.
func (c *elfTables) pie() bool {
	d := c.complete(c.byType(elf.SHT_DYNAMIC))
	ent := c.dynEntrySize()
	if len(d)%ent != 0 {
		return false
	}
	for i := 0; i+ent <= len(d); i += ent {
		if tag, val := c.dynEntry(d[i:]); tag == elf.DT_FLAGS_1 && val&uint64(elf.DF_1_PIE) != 0 {
			return true
		}
	}
	return false
}

// symbolData is elfSymbolData for a plain file.
func (c *elfTables) symbolData(s elf.Symbol) []byte {
	if int(s.Section) >= len(c.sections) || s.Section >= elf.SHN_LORESERVE {
		return nil
	}
	sec := &c.sections[s.Section]
	rel, n, ok := symbolSpan(s, sec.addr, sec.size)
	if !ok {
		return nil
	}
	if sec.typ == elf.SHT_NOBITS {
		return make([]byte, n) // .bss: zeros at run time
	}
	// debug/elf's section reader, which ends where the section does.
	return readAtMost(io.NewSectionReader(c.r, int64(sec.offset), int64(sec.size)), int64(rel), int(n))
}

// elfLinkingSections are the sections a loader links by, which
// elfDamage finds empty in a debug-info file.
var elfLinkingSections = [...]string{".dynamic", ".dynsym", ".dynstr"}
