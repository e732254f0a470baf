package inspect

import (
	"bytes"
	"debug/macho"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The Mach-O reader is written by hand rather than on debug/macho, which
// decodes the symbol table once for every LC_SYMTAB a file carries and copies
// every symbol's name: a hostile file of 200 KB took it seconds, and one of
// 180 KB made it copy 500 MB of names. This reader reads the load commands
// once, allows one symbol table, reads only the universal slice it describes,
// and takes names through a strtab.

// Mach-O load commands (mach-o/loader.h).
const (
	lcSegment         = 0x1
	lcSymtab          = 0x2
	lcLoadDylib       = 0xc
	lcIDDylib         = 0xd
	lcSegment64       = 0x19
	lcLazyLoadDylib   = 0x20
	lcLoadWeakDylib   = 0x80000018
	lcRpath           = 0x8000001c
	lcReexportDylib   = 0x8000001f
	lcLoadUpwardDylib = 0x80000023
)

// Symbol table bits (mach-o/nlist.h) and section attributes (mach-o/loader.h).
const (
	nStab      = 0xe0
	nPext      = 0x10
	nType      = 0x0e
	nExt       = 0x01
	nSect      = 0x0e
	nWeakDef   = 0x0080
	sectCode   = 0x80000000 | 0x400 // S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS
	sectTypes  = 0xff
	sZerofill  = 0x1
	sGBZerofil = 0xc
	sTLVZero   = 0x12
)

// Limits no real file comes near.
const (
	maxFatArchs   = 64       // slices in a universal file (Apple ships at most a handful)
	maxLoadBlock  = 16 << 20 // bytes of load commands
	maxMachOTable = 1 << 30  // bytes of symbol or string table
)

// machoImage is what the reader keeps of one Mach-O image.
type machoImage struct {
	r        io.ReaderAt
	size     int64
	order    binary.ByteOrder
	bits     int
	cpu      macho.Cpu
	typ      macho.Type
	sections []machoSect
	symtab   *machoSymtab
	needed   []Dependency
	soname   string
	rpath    []string
}

type machoSect struct {
	name       string
	addr, size uint64
	offset     uint32
	flags      uint32
}

type machoSymtab struct{ symoff, nsyms, stroff, strsize uint32 }

// machoSym is one nlist entry.
type machoSym struct {
	name  string
	typ   uint8
	sect  uint8
	desc  uint16
	value uint64
}

func readMachO(r io.ReaderAt, size int64, want reading) (*File, error) {
	m, err := readMachOImage(r, size)
	if err != nil {
		return nil, err
	}
	return m.file(want)
}

func readFat(r io.ReaderAt, size int64, want reading) (*File, error) {
	arches, err := readFatArches(r, size)
	if err != nil {
		return nil, err
	}
	pick := arches[0]
	var names []string
	for _, a := range arches {
		name := machoArch(a.Cpu)
		names = append(names, name)
		if name == HostArch() && pick.Cpu != a.Cpu {
			pick = a
		}
	}
	m, err := readMachOImage(io.NewSectionReader(r, int64(pick.Offset), int64(pick.Size)), int64(pick.Size))
	if err != nil {
		return nil, inSlice(pick, err)
	}
	f, err := m.file(want)
	if err != nil {
		return nil, inSlice(pick, err)
	}
	f.Archs = names
	return f, nil
}

// readFatArches reads the slice table of a universal file.
func readFatArches(r io.ReaderAt, size int64) ([]macho.FatArchHeader, error) {
	var hdr [8]byte
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return nil, errors.New("universal header is cut short")
	}
	n := binary.BigEndian.Uint32(hdr[4:])
	switch {
	case n == 0:
		return nil, errors.New("universal file with no architectures")
	case n > maxFatArchs:
		return nil, fmt.Errorf("universal file claims %d architectures", n)
	}
	b := make([]byte, 20*n)
	if _, err := r.ReadAt(b, 8); err != nil {
		return nil, errors.New("universal slice table is cut short")
	}
	arches := make([]macho.FatArchHeader, n)
	for i := range arches {
		e := b[20*i:]
		a := macho.FatArchHeader{
			Cpu:    macho.Cpu(binary.BigEndian.Uint32(e)),
			SubCpu: binary.BigEndian.Uint32(e[4:]),
			Offset: binary.BigEndian.Uint32(e[8:]),
			Size:   binary.BigEndian.Uint32(e[12:]),
			Align:  binary.BigEndian.Uint32(e[16:]),
		}
		if int64(a.Offset)+int64(a.Size) > size {
			return nil, fmt.Errorf("universal slice %d runs past the end of the file", i)
		}
		arches[i] = a
	}
	return arches, nil
}

// inSlice says that err was found in the slice a of a universal file, and
// makes an offset it records one in the whole file.
func inSlice(a macho.FatArchHeader, err error) error {
	err = fmt.Errorf("%s slice: %w", machoArch(a.Cpu), err)
	var l *located
	if errors.As(err, &l) {
		return at(int64(a.Offset)+l.off, err)
	}
	return err
}

// readMachOImage reads the header and load commands of one Mach-O image.
func readMachOImage(r io.ReaderAt, size int64) (*machoImage, error) {
	var hdr [32]byte
	if _, err := r.ReadAt(hdr[:28], 0); err != nil {
		return nil, errors.New("Mach-O header is cut short")
	}
	m := &machoImage{r: r, size: size}
	switch magic := binary.LittleEndian.Uint32(hdr[:]); magic {
	case macho.Magic32, macho.Magic64:
		m.order = binary.LittleEndian
	default:
		m.order = binary.BigEndian
	}
	hdrSize := int64(28)
	m.bits = 32
	if m.order.Uint32(hdr[:]) == macho.Magic64 {
		hdrSize, m.bits = 32, 64
	}
	m.cpu = macho.Cpu(m.order.Uint32(hdr[4:]))
	m.typ = macho.Type(m.order.Uint32(hdr[12:]))
	ncmds, cmdsSize := m.order.Uint32(hdr[16:]), m.order.Uint32(hdr[20:])
	if cmdsSize > maxLoadBlock || int64(cmdsSize) > size-hdrSize {
		return nil, fmt.Errorf("its %d bytes of load commands run past the end of the file", cmdsSize)
	}
	if uint64(ncmds)*8 > uint64(cmdsSize) {
		return nil, fmt.Errorf("%d load commands cannot fit in %d bytes", ncmds, cmdsSize)
	}
	cmds := readAtMost(r, hdrSize, int(cmdsSize))
	if len(cmds) < int(cmdsSize) {
		return nil, at(hdrSize, errors.New("load commands are cut short"))
	}
	off := hdrSize // of the load command being read
	for i := range ncmds {
		if len(cmds) < 8 {
			return nil, at(off, fmt.Errorf("load command %d is cut short", i))
		}
		n := m.order.Uint32(cmds[4:])
		if n < 8 || uint64(n) > uint64(len(cmds)) {
			return nil, at(off, fmt.Errorf("load command %d has size %d", i, n))
		}
		if err := m.loadCommand(cmds[:n]); err != nil {
			return nil, at(off, fmt.Errorf("load command %d: %w", i, err))
		}
		cmds, off = cmds[n:], off+int64(n)
	}
	return m, nil
}

// loadCommand records what one load command says.
func (m *machoImage) loadCommand(c []byte) error {
	o := m.order
	switch o.Uint32(c) {
	case lcSegment:
		return m.segment(c, 56, 68)
	case lcSegment64:
		return m.segment(c, 72, 80)
	case lcSymtab:
		if len(c) < 24 {
			return errors.New("LC_SYMTAB is cut short")
		}
		if m.symtab != nil {
			// dyld refuses such a file too.
			return errors.New("a second LC_SYMTAB")
		}
		m.symtab = &machoSymtab{o.Uint32(c[8:]), o.Uint32(c[12:]), o.Uint32(c[16:]), o.Uint32(c[20:])}
	case lcLoadDylib, lcReexportDylib, lcLoadUpwardDylib, lcLazyLoadDylib:
		m.needed = append(m.needed, Dependency{Name: m.cmdString(c)})
	case lcLoadWeakDylib:
		m.needed = append(m.needed, Dependency{Name: m.cmdString(c), Optional: true})
	case lcIDDylib:
		m.soname = m.cmdString(c)
	case lcRpath:
		m.rpath = append(m.rpath, m.cmdString(c))
	}
	return nil
}

// segment reads the sections of an LC_SEGMENT or LC_SEGMENT_64 whose
// header and section records are hdr and rec bytes long.
func (m *machoImage) segment(c []byte, hdr, rec int) error {
	if len(c) < hdr {
		return errors.New("segment command is cut short")
	}
	n := m.order.Uint32(c[hdr-8:])
	if uint64(n)*uint64(rec) > uint64(len(c)-hdr) {
		return fmt.Errorf("%d sections cannot fit in the segment command", n)
	}
	for i := range int(n) {
		s := c[hdr+i*rec:]
		sec := machoSect{name: cString(s[:16])}
		if m.bits == 64 {
			sec.addr, sec.size = m.order.Uint64(s[32:]), m.order.Uint64(s[40:])
			sec.offset, sec.flags = m.order.Uint32(s[48:]), m.order.Uint32(s[64:])
		} else {
			sec.addr, sec.size = uint64(m.order.Uint32(s[32:])), uint64(m.order.Uint32(s[36:]))
			sec.offset, sec.flags = m.order.Uint32(s[40:]), m.order.Uint32(s[56:])
		}
		m.sections = append(m.sections, sec)
	}
	return nil
}

// cmdString returns the string a dylib or rpath command holds at the offset
// its third word gives.
func (m *machoImage) cmdString(c []byte) string {
	if len(c) < 12 {
		return ""
	}
	off := m.order.Uint32(c[8:])
	if off >= uint32(len(c)) {
		return ""
	}
	return cString(c[off:])
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// section returns the section a symbol's 1-based n_sect names, or nil.
func (m *machoImage) section(n uint8) *machoSect {
	if n == 0 || int(n) > len(m.sections) {
		return nil
	}
	return &m.sections[n-1]
}

// data returns up to n bytes of sec's contents from rel on; zeros for a
// zero-fill section, nil when they lie outside the file.
func (m *machoImage) data(sec *machoSect, rel uint64, n int) []byte {
	switch sec.flags & sectTypes {
	case sZerofill, sGBZerofil, sTLVZero:
		return make([]byte, n)
	}
	off := int64(sec.offset) + int64(rel)
	if rel > sec.size || off >= m.size {
		return nil
	}
	return readAtMost(m.r, off, n) // n is a manifest's or a comment's: small
}

// symbols calls visit for each symbol keep accepts from its type byte,
// with its name. It reads the whole table; names come through a strtab.
func (m *machoImage) symbols(keep func(typ uint8) bool, visit func(machoSym)) error {
	st := m.symtab
	if st == nil {
		return nil
	}
	ent := uint64(12)
	if m.bits == 64 {
		ent = 16
	}
	symSize := uint64(st.nsyms) * ent
	if symSize > maxMachOTable || uint64(st.symoff)+symSize > uint64(m.size) ||
		uint64(st.strsize) > maxMachOTable || uint64(st.stroff)+uint64(st.strsize) > uint64(m.size) {
		return errors.New("its symbol table runs past the end of the file")
	}
	syms := readAtMost(m.r, int64(st.symoff), int(symSize))
	if len(syms) < int(symSize) {
		return at(int64(st.symoff), errors.New("its symbol table is cut short"))
	}
	strs := readAtMost(m.r, int64(st.stroff), int(st.strsize))
	if len(strs) < int(st.strsize) {
		return at(int64(st.stroff), errors.New("its string table is cut short"))
	}
	names := newStrtab(strs)
	for i := uint64(0); i < uint64(st.nsyms); i++ {
		e := syms[i*ent:]
		s := machoSym{typ: e[4], sect: e[5], desc: m.order.Uint16(e[6:])}
		if !keep(s.typ) {
			continue
		}
		if m.bits == 64 {
			s.value = m.order.Uint64(e[8:])
		} else {
			s.value = uint64(m.order.Uint32(e[8:]))
		}
		var err error
		if s.name, err = names.name(uint64(m.order.Uint32(e))); err != nil {
			return err
		}
		visit(s)
	}
	return nil
}

// file describes the image.
func (m *machoImage) file(want reading) (*File, error) {
	f := &File{Format: MachO, OS: "darwin", Arch: machoArch(m.cpu), Bits: m.bits, ByteOrder: m.order, ManifestSize: -1,
		Needed: m.needed, SOName: m.soname, RPath: m.rpath}
	switch m.typ {
	case macho.TypeDylib, macho.TypeBundle:
		f.Kind = SharedLibrary
	case macho.TypeExec:
		f.Kind = Executable
	case macho.TypeObj:
		f.Kind = Object
	default:
		f.Kind = OtherKind
	}
	for i := range m.sections {
		if s := &m.sections[i]; s.name == "__comment" && s.size < 1<<16 {
			f.Rust = containsRustc(m.data(s, 0, int(s.size)))
			break
		}
	}
	if !want.full {
		return f, nil
	}
	exported := func(t uint8) bool { return t&nStab == 0 && t&nPext == 0 && t&nExt != 0 && t&nType == nSect }
	err := m.symbols(exported, func(s machoSym) {
		name := strings.TrimPrefix(s.name, "_")
		x := Symbol{Name: name, Kind: Data, Weak: s.desc&nWeakDef != 0}
		// A symbol is code only where it points into a code section:
		// __mh_execute_header is in __text by number, but its address is
		// the header's, before the section starts.
		sec := m.section(s.sect)
		if sec != nil && sec.flags&sectCode != 0 && s.value >= sec.addr && s.value-sec.addr < sec.size {
			x.Kind = Function
		}
		f.Exports = append(f.Exports, x)
		if name == manifestSymbol && sec != nil && s.value >= sec.addr && s.value-sec.addr < sec.size {
			rel := s.value - sec.addr
			f.ManifestSize = 0
			f.ManifestData = m.data(sec, rel, int(min(sec.size-rel, MaxManifestRead)))
		}
		if want.data[name] && sec != nil && s.value >= sec.addr && s.value-sec.addr < sec.size {
			rel := s.value - sec.addr
			f.keepData(name, m.data(sec, rel, int(min(sec.size-rel, MaxDataRead))))
		}
	})
	if err != nil {
		return nil, err
	}
	sortSymbols(f.Exports)
	return f, nil
}

// machoNames returns every symbol name of the Mach-O or universal file in r,
// every slice's.
func machoNames(r io.ReaderAt, size int64) []string {
	var images []*machoImage
	var magic [4]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		return nil
	}
	if binary.BigEndian.Uint32(magic[:]) != macho.MagicFat {
		if m, err := readMachOImage(r, size); err == nil {
			images = append(images, m)
		}
	} else if arches, err := readFatArches(r, size); err == nil {
		for _, a := range arches {
			if m, err := readMachOImage(io.NewSectionReader(r, int64(a.Offset), int64(a.Size)), int64(a.Size)); err == nil {
				images = append(images, m)
			}
		}
	}
	var names []string
	for _, m := range images {
		_ = m.symbols(func(uint8) bool { return true }, func(s machoSym) { names = append(names, s.name) })
	}
	return names
}

func machoArch(c macho.Cpu) string {
	switch c {
	case macho.CpuAmd64:
		return "x86_64"
	case macho.Cpu386:
		return "i386"
	case macho.CpuArm64:
		return "aarch64"
	case macho.CpuArm:
		return "arm"
	}
	return strings.ToLower(c.String())
}
