package inspect

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"unsafe"
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
// MangledEntry searches its string table as bytes.) It returns the tables
// it read (nil where it could not make sense of the file), which readELF
// takes the dynamic section's strings from.
func checkELFTables(r io.ReaderAt, size int64) (*elfTables, error) {
	return checkELF(r, size, true)
}

// checkELF is checkELFTables, walking the dynamic symbols only if symbols
// is set. Without them, the tables are those of a file read for its
// linkage: its dynamic symbols (tens of thousands in a large library, and
// their megabytes of names) are walked by checkSymbols only if debug/elf
// is to decode them after all.
func checkELF(r io.ReaderAt, size int64, symbols bool) (*elfTables, error) {
	c, ok := readELFSections(r, size)
	if !ok {
		return nil, nil
	}
	if s := c.section(c.shstrndx); s != nil {
		names, err := c.strtab(s)
		if err != nil {
			return nil, err
		}
		for _, sec := range c.sections {
			if _, err := names.count(uint64(sec.name)); err != nil {
				return nil, err
			}
		}
	}
	dynstr, err := c.symbolNames(elf.SHT_DYNSYM, symbols)
	if err != nil {
		return nil, err
	}
	if err := c.dynamicNames(); err != nil {
		return nil, err
	}
	if dynstr == nil {
		return c, nil // debug/elf reads versions with the dynamic symbols only
	}
	defs, err := c.versionNames(elf.SHT_GNU_VERDEF, dynstr)
	if err != nil {
		return nil, err
	}
	needs, err := c.versionNames(elf.SHT_GNU_VERNEED, dynstr)
	if err != nil {
		return nil, err
	}
	if defs+needs > maxELFVersions {
		return nil, fmt.Errorf("it names %d symbol versions, %w", defs+needs, errTooManyVersions)
	}
	return c, nil
}

// elfOrder is a file's byte order, its reads inlined where
// binary.ByteOrder's are calls through an interface: the tables read
// every section header and symbol with them.
type elfOrder struct{ big bool }

func (o elfOrder) Uint16(b []byte) uint16 {
	if o.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (o elfOrder) Uint32(b []byte) uint32 {
	if o.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (o elfOrder) Uint64(b []byte) uint64 {
	if o.big {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}

// std is the order as encoding/binary names it.
func (o elfOrder) std() binary.ByteOrder {
	if o.big {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// maxELFVersions bounds the symbol versions a file may define and need:
// debug/elf searches them all for each dynamic symbol. glibc's libc defines
// fewer than 50, libstdc++ fewer than 150.
const maxELFVersions = 1024

type elfSectionHeader struct {
	name, link         uint32
	typ                elf.SectionType
	flags              elf.SectionFlag
	addr, offset, size uint64
}

// elfHeader is what readELF takes from the file header, beside the
// section headers.
type elfHeader struct {
	magic          bool // the file starts with ELF's magic number
	class          elf.Class
	data           elf.Data
	osabi          elf.OSABI
	typ            elf.Type
	machine        elf.Machine
	ident, version uint32 // EI_VERSION, and e_version
	phoff          uint64
	phentsize      int
	phnum          int
}

type elfTables struct {
	r        io.ReaderAt
	size     int64
	order    elfOrder
	is64     bool
	header   elfHeader
	sections []elfSectionHeader
	shstrndx int
	shnum    uint16 // e_shnum as the header gives it (0: in section 0)
	// read keeps each section's bytes once read: the dynamic symbols and
	// the dynamic section name strings of the same table, megabytes in a
	// large library. The bytes are never written once read, and are the
	// file's own where it was read whole (view): dynamicSymbols takes its
	// names as strings that share them only where they are not.
	read map[*elfSectionHeader][]byte
	// vers is what versions read, once; versOK whether it could.
	vers   *elfVersions
	versOK bool
	// What plain decided, once, and learnt on the way: the section
	// names, where the first empty PT_DYNAMIC segment says it is (-1:
	// none), and the first sections named .comment and each of
	// elfLinkingSections (nil: none).
	plainDone, isPlain bool
	shstrtab           []byte
	emptyDynamic       int64
	comment            *elfSectionHeader
	linking            [len(elfLinkingSections)]*elfSectionHeader
	// syms is dynamicSymbols' table, kept with the tables for the next
	// file (release).
	syms []elf.Symbol
	// nameLens are the lengths of the dynamic symbols' names, found by
	// symbolNames' walk (-1: no name), which dynamicSymbols need not
	// look for again.
	nameLens []int32
}

// Tables are reused from one file to the next (release): a listing of
// small plugins would otherwise allocate, fault in and collect their
// section headers and symbols file after file.
var tablesPool sync.Pool

// newELFTables returns empty tables for r, reusing released ones.
func newELFTables(r io.ReaderAt, size int64) *elfTables {
	c, _ := tablesPool.Get().(*elfTables)
	if c == nil {
		return &elfTables{r: r, size: size}
	}
	*c = elfTables{r: r, size: size, sections: c.sections[:0], syms: c.syms[:0], nameLens: c.nameLens[:0], read: c.read}
	return c
}

// release gives the tables back once the file is read: nothing that
// outlives the reading may point into them (the section headers, the
// symbol table, the read cache). Large ones are left to the collector.
func (c *elfTables) release() {
	if c == nil || cap(c.sections) > 256 || cap(c.syms) > 4096 {
		return
	}
	clear(c.syms[:cap(c.syms)]) // their names hold the file's strings
	clear(c.read)
	c.r, c.vers, c.shstrtab = nil, nil, nil
	tablesPool.Put(c)
}

// readELFSections reads the section headers as debug/elf finds them; ok is
// false when the header makes no sense to it.
func readELFSections(r io.ReaderAt, size int64) (c *elfTables, ok bool) {
	var h [64]byte
	n, _ := r.ReadAt(h[:], 0)
	if n < 52 {
		return nil, false
	}
	c = newELFTables(r, size)
	c.header.class, c.header.data, c.header.osabi = elf.Class(h[elf.EI_CLASS]), elf.Data(h[elf.EI_DATA]), elf.OSABI(h[elf.EI_OSABI])
	c.header.ident = uint32(h[elf.EI_VERSION])
	c.header.magic = string(h[:4]) == elf.ELFMAG
	switch elf.Data(h[elf.EI_DATA]) {
	case elf.ELFDATA2LSB:
		c.order = elfOrder{}
	case elf.ELFDATA2MSB:
		c.order = elfOrder{big: true}
	default:
		return nil, false
	}
	var shoff uint64
	var shentsize, shnum, shstrndx uint16
	switch elf.Class(h[elf.EI_CLASS]) {
	case elf.ELFCLASS32:
		shoff = uint64(c.order.Uint32(h[0x20:]))
		shentsize, shnum, shstrndx = c.order.Uint16(h[0x2e:]), c.order.Uint16(h[0x30:]), c.order.Uint16(h[0x32:])
		c.header.phoff = uint64(c.order.Uint32(h[0x1c:]))
		c.header.phentsize, c.header.phnum = int(c.order.Uint16(h[0x2a:])), int(c.order.Uint16(h[0x2c:]))
	case elf.ELFCLASS64:
		c.is64 = true
		shoff = c.order.Uint64(h[0x28:])
		shentsize, shnum, shstrndx = c.order.Uint16(h[0x3a:]), c.order.Uint16(h[0x3c:]), c.order.Uint16(h[0x3e:])
		c.header.phoff = c.order.Uint64(h[0x20:])
		c.header.phentsize, c.header.phnum = int(c.order.Uint16(h[0x36:])), int(c.order.Uint16(h[0x38:]))
	default:
		return nil, false
	}
	c.header.typ, c.header.machine = elf.Type(c.order.Uint16(h[0x10:])), elf.Machine(c.order.Uint16(h[0x12:]))
	c.header.version = c.order.Uint32(h[0x14:])
	c.shnum = shnum
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
	block := view(r, int64(shoff), int(count)*int(want))
	if len(block) < int(count)*int(want) {
		return nil, false
	}
	c.sections = slices.Grow(c.sections[:0], int(count))[:count]
	for i := range c.sections {
		c.sections[i] = c.parseHeader(block[i*int(want):])
	}
	return c, true
}

func (c *elfTables) readHeader(off uint64) (elfSectionHeader, bool) {
	b := view(c.r, int64(off), 64)
	if len(b) < 40 || c.is64 && len(b) < 64 {
		return elfSectionHeader{}, false
	}
	return c.parseHeader(b), true
}

func (c *elfTables) parseHeader(b []byte) elfSectionHeader {
	o := c.order
	s := elfSectionHeader{name: o.Uint32(b[0:]), typ: elf.SectionType(o.Uint32(b[4:]))}
	if c.is64 {
		s.flags, s.addr = elf.SectionFlag(o.Uint64(b[8:])), o.Uint64(b[16:])
		s.offset, s.size, s.link = o.Uint64(b[24:]), o.Uint64(b[32:]), o.Uint32(b[40:])
	} else {
		s.flags, s.addr = elf.SectionFlag(o.Uint32(b[8:])), uint64(o.Uint32(b[12:]))
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
	if b, ok := c.read[s]; ok {
		return b, nil
	}
	b := view(c.r, int64(s.offset), int(s.size))
	if c.read == nil {
		c.read = map[*elfSectionHeader][]byte{}
	}
	c.read[s] = b
	return b, nil
}

func (c *elfTables) strtab(s *elfSectionHeader) (*strtab, error) {
	b, err := c.data(s)
	if err != nil {
		return nil, err
	}
	return newStrtab(b), nil
}

// checkSymbols does for a file checkELF read without its dynamic symbols
// what it would have done for them.
func (c *elfTables) checkSymbols() error {
	if c == nil {
		return nil
	}
	_, err := c.symbolNames(elf.SHT_DYNSYM, true)
	return err
}

// symbolNames returns the string table of the first symbol table of typ,
// having taken from it the name of every symbol in that table if walk is
// set.
func (c *elfTables) symbolNames(typ elf.SectionType, walk bool) (*strtab, error) {
	sym := c.byType(typ)
	if sym == nil {
		return nil, nil
	}
	str := c.section(int(sym.link))
	if str == nil {
		return nil, nil
	}
	if !walk {
		return c.strtab(str)
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
	dynamic := typ == elf.SHT_DYNSYM
	if dynamic {
		c.nameLens = c.nameLens[:0]
	}
	for i := ent; i+ent <= len(syms); i += ent {
		off := uint64(c.order.Uint32(syms[i:]))
		n, err := names.count(off)
		if err != nil {
			return nil, err
		}
		if off+uint64(n) >= uint64(len(names.b)) {
			n = -1 // no NUL: no name, for debug/elf
		}
		if dynamic {
			c.nameLens = append(c.nameLens, int32(n))
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
	ent := c.dynEntrySize()
	for i := 0; i+ent <= len(d); i += ent {
		tag, val := c.dynEntry(d[i:])
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

// elfDynamic is what the dynamic section says of linking, by tag.
type elfDynamic struct {
	needed, soname, rpath, runpath []string
}

// dynamicStrings reads the dynamic section's DT_NEEDED, DT_SONAME, DT_RPATH
// and DT_RUNPATH strings as debug/elf's DynString does, from the bytes
// checkELFTables read: DynString reads the section and its whole string
// table again for each tag. ok is false where debug/elf might answer
// otherwise (a table it would fail to read, sections it counts
// differently): the caller then asks debug/elf.
func (c *elfTables) dynamicStrings(ef *elf.File) (d elfDynamic, ok bool) {
	if !c.agrees(ef) {
		return d, false
	}
	ds := c.byType(elf.SHT_DYNAMIC)
	if ds == nil {
		return d, true // no dynamic section: no strings
	}
	if ds.typ == elf.SHT_NOBITS {
		return d, false
	}
	ent := c.dynEntrySize()
	dyn, names := c.complete(ds), c.complete(c.section(int(ds.link)))
	if dyn == nil || names == nil || len(dyn)%ent != 0 {
		return d, false
	}
	for i := 0; i+ent <= len(dyn); i += ent {
		tag, val := c.dynEntry(dyn[i:])
		var to *[]string
		switch tag {
		case elf.DT_NEEDED:
			to = &d.needed
		case elf.DT_SONAME:
			to = &d.soname
		case elf.DT_RPATH:
			to = &d.rpath
		case elf.DT_RUNPATH:
			to = &d.runpath
		default:
			continue
		}
		// debug/elf's getString(names, int(val)): the bytes up to a NUL,
		// none without one.
		if o := int(val); o >= 0 && o < len(names) {
			if n := bytes.IndexByte(names[o:], 0); n >= 0 {
				*to = append(*to, string(names[o:o+n]))
			}
		}
	}
	return d, true
}

// agrees reports whether what the tables say may stand for what debug/elf
// says of ef, read from the same bytes. ef nil stands for the debug/elf
// File the bytes would make: the tables agree with it if the file is
// plain (elfTables.plain).
func (c *elfTables) agrees(ef *elf.File) bool {
	if c == nil {
		return false
	}
	if ef == nil {
		return c.plain()
	}
	return c.sameSections(ef)
}

// sameSections reports whether the tables' section headers are debug/elf's
// (debug/elf has read ef from the same bytes): only then may what the
// tables say stand for what debug/elf would.
func (c *elfTables) sameSections(ef *elf.File) bool {
	if c == nil || len(c.sections) != len(ef.Sections) {
		return false
	}
	for i, s := range ef.Sections {
		h := c.sections[i]
		if h.typ != s.Type || h.flags != s.Flags || h.offset != s.Offset || h.size != s.Size || h.link != s.Link {
			return false
		}
	}
	return true
}

// complete returns the whole of section s, or nil when it cannot be read
// whole (debug/elf's Data then fails).
func (c *elfTables) complete(s *elfSectionHeader) []byte {
	if s == nil || s.typ == elf.SHT_NOBITS {
		return nil
	}
	b, err := c.data(s)
	if err != nil || uint64(len(b)) != s.size {
		return nil
	}
	return b
}

// elfVersions is what the GNU version tables say: the versions the file
// needs, by library, and those it defines (the file's own name left out);
// and, for the dynamic symbols, each version index's names in the order
// debug/elf searches them (needs first, then every definition).
type elfVersions struct {
	needs []VersionNeed
	defs  []string
	refs  []versionRef
}

type versionRef struct {
	index            uint16
	version, library string
}

// dynamicSymbolTable returns the dynamic symbols' bytes (the null symbol
// first) and their string table, or ok false where debug/elf's getSymbols
// would fail or find none: no table, one it could not read whole, or of a
// size no whole number of symbols makes.
func (c *elfTables) dynamicSymbolTable() (syms, str []byte, ok bool) {
	if str, ok = c.dynamicSymbolStrings(); !ok {
		return nil, nil, false
	}
	syms = c.complete(c.byType(elf.SHT_DYNSYM))
	return syms, str, syms != nil
}

// dynamicSymbolStrings is the string table dynamicSymbolTable returns,
// and ok what it returns, without reading the symbols themselves: that
// they could be read whole is enough.
func (c *elfTables) dynamicSymbolStrings() (str []byte, ok bool) {
	sym := c.byType(elf.SHT_DYNSYM)
	if sym == nil {
		return nil, false
	}
	ent := uint64(16)
	if c.is64 {
		ent = 24
	}
	if sym.size == 0 || sym.size%ent != 0 || !c.readable(sym) {
		return nil, false
	}
	str = c.complete(c.section(int(sym.link)))
	return str, str != nil
}

// readable reports whether complete would return the bytes of s: from
// what was read of it, or else by reading its last byte.
func (c *elfTables) readable(s *elfSectionHeader) bool {
	if b, ok := c.read[s]; ok {
		return uint64(len(b)) == s.size
	}
	if s.typ == elf.SHT_NOBITS || s.flags&elf.SHF_COMPRESSED != 0 ||
		s.offset > uint64(c.size) || s.size > uint64(c.size)-s.offset {
		return false
	}
	return s.size == 0 || len(view(c.r, int64(s.offset+s.size-1), 1)) == 1
}

// versions reads the version needs and definitions as debug/elf's
// DynamicVersionNeeds and DynamicVersions do, from the bytes checkELFTables
// read: without dynamic symbols read first, those decode every dynamic
// symbol (tens of thousands in a large library) only to find the string
// table. ok is false where debug/elf might answer otherwise, or fail: any
// table it could not read whole, a version entry it refuses; the caller
// then asks debug/elf.
func (c *elfTables) versions(ef *elf.File) (elfVersions, bool) {
	if c == nil {
		return elfVersions{}, false
	}
	if c.vers == nil {
		v, ok := c.readVersions(ef)
		c.vers, c.versOK = &v, ok
	}
	return *c.vers, c.versOK
}

func (c *elfTables) readVersions(ef *elf.File) (v elfVersions, ok bool) {
	if !c.agrees(ef) {
		return v, false
	}
	// debug/elf reads versions only where there is a version table
	// (SHT_GNU_VERSYM): without one it finds none, needed or defined
	// (most plugins need no versioned symbol). It takes their names
	// from the dynamic symbols' string table.
	if c.byType(elf.SHT_GNU_VERSYM) == nil {
		return v, true
	}
	str, ok := c.dynamicSymbolStrings()
	if !ok {
		return v, false
	}
	o := c.order
	name := func(off uint32) string {
		if i := int(off); i >= 0 && i < len(str) {
			if n := bytes.IndexByte(str[i:], 0); n >= 0 {
				return string(str[i : i+n])
			}
		}
		return ""
	}
	// Needs: Elf_Verneed entries of 16 bytes, each with cnt Elf_Vernaux of 16.
	if sec := c.byType(elf.SHT_GNU_VERNEED); sec != nil {
		d := c.complete(sec)
		if d == nil && sec.size > 0 {
			return v, false
		}
		for i := 0; i+16 <= len(d); {
			if o.Uint16(d[i:]) != 1 {
				return v, false // debug/elf: unexpected need version
			}
			cnt, aux, next := o.Uint16(d[i+2:]), o.Uint32(d[i+8:]), o.Uint32(d[i+12:])
			need := VersionNeed{Library: name(o.Uint32(d[i+4:]))}
			for j, k := i+int(aux), 0; k < int(cnt) && j+16 <= len(d); k++ {
				dep := name(o.Uint32(d[j+8:]))
				need.Versions = append(need.Versions, dep)
				v.refs = append(v.refs, versionRef{o.Uint16(d[j+6:]), dep, need.Library})
				vnext := o.Uint32(d[j+12:])
				if vnext == 0 {
					break
				}
				j += int(vnext)
			}
			v.needs = append(v.needs, need)
			if next == 0 {
				break
			}
			i += int(next)
		}
	}
	// Definitions: Elf_Verdef entries of 20 bytes, each with cnt
	// Elf_Verdaux names of 8, the first the version's own. (debug/elf
	// reads them first, but a refused entry anywhere fails both.)
	if sec := c.byType(elf.SHT_GNU_VERDEF); sec != nil {
		d := c.complete(sec)
		if d == nil && sec.size > 0 {
			return v, false
		}
		for i := 0; i+20 <= len(d); {
			if o.Uint16(d[i:]) != 1 || o.Uint16(d[i+6:]) == 0 {
				return v, false // debug/elf: unexpected version, or no name
			}
			flags, ndx, aux, next := o.Uint16(d[i+2:]), o.Uint16(d[i+4:]), o.Uint32(d[i+12:]), o.Uint32(d[i+16:])
			// Its name is its first Elf_Verdaux's, if that is in the table.
			def := ""
			if j := i + int(aux); j+8 <= len(d) {
				def = name(o.Uint32(d[j:]))
			}
			if flags&uint16(elf.VER_FLG_BASE) == 0 {
				v.defs = append(v.defs, def)
			}
			v.refs = append(v.refs, versionRef{index: ndx, version: def})
			if next == 0 {
				break
			}
			i += int(next)
		}
	}
	return v, true
}

// dynamicSymbols reads the dynamic symbols as debug/elf's DynamicSymbols
// does, versions included, from the bytes checkELFTables read: debug/elf
// reads the symbols and their string table again and copies every name;
// here each name is a substring of the table as read. ok is false
// where debug/elf might answer otherwise, or fail; the caller then asks
// debug/elf.
func (c *elfTables) dynamicSymbols(ef *elf.File) (_ []elf.Symbol, ok bool) {
	if !c.agrees(ef) {
		return nil, false
	}
	data, strtab, ok := c.dynamicSymbolTable()
	if !ok {
		return nil, false
	}
	var versym []byte
	var vers elfVersions
	hasVersions := false
	if vs := c.byType(elf.SHT_GNU_VERSYM); vs != nil {
		if versym = c.complete(vs); versym == nil && vs.size > 0 {
			return nil, false
		}
		if vers, ok = c.versions(ef); !ok {
			return nil, false
		}
		hasVersions = true
	}
	first := map[uint16]int{} // a version index's first entry in refs
	for k, r := range vers.refs {
		if _, ok := first[r.index]; !ok {
			first[r.index] = k
		}
	}
	// The names share the table's bytes (which nothing writes: see
	// elfTables.read) rather than a copy: megabytes in a large library.
	// Bytes seen in place in a file read whole are copied once: the
	// buffer is the next file's.
	str := unsafe.String(unsafe.SliceData(strtab), len(strtab))
	if _, inPlace := c.r.(*memFile); inPlace {
		str = string(strtab)
	}
	o := c.order
	ent := 16
	if c.is64 {
		ent = 24
	}
	lens := c.nameLens
	if len(lens) != len(data)/ent-1 {
		lens = nil // not walked
	}
	name := func(k int, off uint32) string {
		if lens != nil {
			if n := lens[k]; n >= 0 {
				return str[off : off+uint32(n)]
			}
			return ""
		}
		if i := int(off); i >= 0 && i < len(str) {
			if n := strings.IndexByte(str[i:], 0); n >= 0 {
				return str[i : i+n]
			}
		}
		return ""
	}
	// The first, all zeros, is left out. (The slice is the tables':
	// what it says is copied before they are released.)
	syms := slices.Grow(c.syms[:0], len(data)/ent-1)[:len(data)/ent-1]
	c.syms = syms
	for i := range syms {
		b := data[(i+1)*ent:]
		s := &syms[i]
		if c.is64 {
			s.Name, s.Info, s.Other = name(i, o.Uint32(b)), b[4], b[5]
			s.Section, s.Value, s.Size = elf.SectionIndex(o.Uint16(b[6:])), o.Uint64(b[8:]), o.Uint64(b[16:])
		} else {
			s.Name, s.Value, s.Size = name(i, o.Uint32(b)), uint64(o.Uint32(b[4:])), uint64(o.Uint32(b[8:]))
			s.Info, s.Other, s.Section = b[12], b[13], elf.SectionIndex(o.Uint16(b[14:]))
		}
		if !hasVersions {
			continue
		}
		// debug/elf's gnuVersion: symbol i's entry follows the null
		// symbol's.
		j := (i + 1) * 2
		if j+2 > len(versym) {
			continue
		}
		vi := elf.VersionIndex(o.Uint16(versym[j:]))
		if ndx := vi.Index(); ndx == 0 || ndx == 1 {
			s.HasVersion, s.VersionIndex = true, vi
		} else if k, ok := first[ndx]; ok {
			s.HasVersion, s.VersionIndex, s.Version, s.Library = true, vi, vers.refs[k].version, vers.refs[k].library
		}
	}
	return syms, true
}

// dynEntrySize is the size of an entry of the dynamic section.
func (c *elfTables) dynEntrySize() int {
	if c.is64 {
		return 16
	}
	return 8
}

// dynEntry decodes the dynamic section's entry at the start of b.
func (c *elfTables) dynEntry(b []byte) (elf.DynTag, uint64) {
	if c.is64 {
		return elf.DynTag(c.order.Uint64(b)), c.order.Uint64(b[8:])
	}
	return elf.DynTag(c.order.Uint32(b)), uint64(c.order.Uint32(b[4:]))
}
