package inspect

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/plugctl/plugctl/internal/pages"
)

func readELF(r io.ReaderAt, size int64, want reading) (*File, error) {
	tables, err := checkELF(r, size, want.full)
	if err != nil {
		return nil, err
	}
	defer tables.release()
	if f, ok := tables.file(want); ok {
		return f, nil // a plain file (elfplain.go): debug/elf is not needed
	}
	return readDebugELF(r, tables, want)
}

// readDebugELF reads the file with debug/elf, taking from the tables what
// they can answer for it.
func readDebugELF(r io.ReaderAt, tables *elfTables, want reading) (*File, error) {
	ef, err := elf.NewFile(r)
	if err != nil {
		return nil, err
	}
	defer ef.Close()
	f := newELFFile(ef.Class, ef.Data, ef.OSABI, ef.Machine, ef.ByteOrder)
	f.Kind = elfKindOf(ef.Type, func() bool {
		flags, _ := ef.DynValue(elf.DT_FLAGS_1)
		return slices.ContainsFunc(flags, func(v uint64) bool { return v&uint64(elf.DF_1_PIE) != 0 })
	})
	if s := ef.Section(".comment"); want.full && s != nil && s.Type != elf.SHT_NOBITS && s.Size < 1<<16 {
		if b, err := s.Data(); err == nil {
			f.Rust = containsRustc(b)
		}
	}
	if f.Damaged = elfDamage(ef); f.Damaged != nil {
		// What the tables would say is not in the file: zeros, read as
		// such, would be a library that exports nothing and needs nothing.
		return f, nil
	}
	if !want.full {
		// Linkage only.
	} else if syms, err := dynamicSymbols(ef, tables); err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		f.Damaged = append(f.Damaged, formatError(ELF, fmt.Errorf("the dynamic symbol table cannot be read: %w", err)))
	} else {
		f.addSymbols(syms, want, func(s elf.Symbol) []byte { return elfSymbolData(ef, s) })
	}
	if dyn, ok := tables.dynamicStrings(ef); ok {
		f.setDynamic(dyn)
	} else {
		if libs, err := ef.ImportedLibraries(); err != nil {
			f.Damaged = append(f.Damaged, formatError(ELF, fmt.Errorf("the needed libraries cannot be read: %w", err)))
		} else {
			for _, l := range libs {
				f.Needed = append(f.Needed, Dependency{Name: l})
			}
		}
		f.SOName = first(ef.DynString(elf.DT_SONAME))
		f.RPath = splitPath(ef.DynString(elf.DT_RPATH))
		f.RunPath = splitPath(ef.DynString(elf.DT_RUNPATH))
	}
	vers, ok := tables.versions(ef)
	if !ok {
		// debug/elf decodes the dynamic symbols to find the versions:
		// checked already if they were read.
		if !want.full {
			if err := tables.checkSymbols(); err != nil {
				return nil, err
			}
		}
		vers = debugELFVersions(ef)
	}
	f.VersionNeeds = vers.needs
	if ef.SectionByType(elf.SHT_GNU_VERDEF) != nil {
		f.VersionDefs = vers.defs
	}
	return f, nil
}

// newELFFile is the File of an ELF file with the identity its header
// gives, and nothing read yet.
func newELFFile(class elf.Class, data elf.Data, osabi elf.OSABI, machine elf.Machine, order binary.ByteOrder) *File {
	f := &File{Format: ELF, Arch: elfArch(machine, class, data), Bits: 32, OS: "linux", ByteOrder: order, Machine: uint16(machine), ManifestSize: -1}
	if class == elf.ELFCLASS64 {
		f.Bits = 64
	}
	if osabi == elf.ELFOSABI_FREEBSD {
		f.OS = "freebsd"
	}
	return f
}

// addSymbols takes the exports, the undefined symbols, the manifest and
// the data symbols asked for from the dynamic symbols; data returns a
// symbol's bytes.
func (f *File) addSymbols(syms []elf.Symbol, want reading, data func(elf.Symbol) []byte) {
	// Sized once: grown by appends, the table of a library with tens of
	// thousands of exports was copied a dozen times over.
	f.Exports = make([]Symbol, 0, len(syms))
	pages.PopulateSlice(f.Exports)
	for _, s := range syms {
		if x, ok := elfExport(s); ok {
			f.Exports = append(f.Exports, x)
		}
		if s.Section == elf.SHN_UNDEF && s.Name != "" && s.Version == "" && elf.ST_BIND(s.Info) == elf.STB_GLOBAL {
			f.Undefined = append(f.Undefined, s.Name)
		}
		if s.Name == manifestSymbol && s.Section != elf.SHN_UNDEF {
			f.ManifestSize = int64(s.Size)
			f.ManifestData = data(s)
		}
		if want.data[s.Name] && s.Section != elf.SHN_UNDEF {
			f.keepData(s.Name, data(s))
		}
	}
	sortSymbols(f.Exports)
}

// setDynamic takes the needed libraries, soname and search paths from
// the dynamic section's strings.
func (f *File) setDynamic(dyn elfDynamic) {
	for _, l := range dyn.needed {
		f.Needed = append(f.Needed, Dependency{Name: l})
	}
	f.SOName = first(dyn.soname, nil)
	f.RPath = splitPath(dyn.rpath, nil)
	f.RunPath = splitPath(dyn.runpath, nil)
}

// debugELFVersions asks debug/elf for the versions the file needs and
// those it defines (none where it fails).
func debugELFVersions(ef *elf.File) elfVersions {
	var v elfVersions
	if needs, err := ef.DynamicVersionNeeds(); err == nil {
		for _, n := range needs {
			vn := VersionNeed{Library: n.Name}
			for _, d := range n.Needs {
				vn.Versions = append(vn.Versions, d.Dep)
			}
			v.needs = append(v.needs, vn)
		}
	}
	// Without version definitions debug/elf would decode every dynamic
	// symbol again only to find none.
	if ef.SectionByType(elf.SHT_GNU_VERDEF) == nil {
		return v
	}
	if defs, err := ef.DynamicVersions(); err == nil {
		for _, d := range defs {
			// Index 1 names the file itself (its soname), not a version.
			if d.Flags&elf.VER_FLG_BASE == 0 {
				v.defs = append(v.defs, d.Name)
			}
		}
	}
	return v
}

// dynamicSymbols is debug/elf's DynamicSymbols, read from the checked
// tables where they can answer for it.
func dynamicSymbols(ef *elf.File, tables *elfTables) ([]elf.Symbol, error) {
	if syms, ok := tables.dynamicSymbols(ef); ok {
		return syms, nil
	}
	return ef.DynamicSymbols()
}

// elfDamage reports the dynamic linking tables whose section headers say
// they take no room in the file (SHT_NOBITS), or a PT_DYNAMIC segment with
// none of its bytes in the file: what objcopy --only-keep-debug leaves of a
// library, and what glibc refuses with "object file has no dynamic
// section".
func elfDamage(ef *elf.File) []error {
	var nobits []string
	for _, name := range elfLinkingSections {
		if s := ef.Section(name); s != nil && s.Type == elf.SHT_NOBITS && s.Size > 0 {
			nobits = append(nobits, name)
		}
	}
	emptyDynamic := int64(-1)
	for _, p := range ef.Progs {
		if p.Type == elf.PT_DYNAMIC && p.Filesz == 0 && p.Memsz > 0 {
			emptyDynamic = int64(p.Off)
			break
		}
	}
	return elfDamageOf(nobits, emptyDynamic)
}

// elfDamageOf is elfDamage's finding: nobits are the linking sections
// that take no room in the file, emptyDynamic the offset of a PT_DYNAMIC
// segment with none of its bytes in it (-1: none).
func elfDamageOf(nobits []string, emptyDynamic int64) []error {
	if nobits != nil {
		return []error{formatError(ELF, fmt.Errorf("its dynamic linking sections (%s) have no data in the file (SHT_NOBITS), as in a debug-info file made by objcopy --only-keep-debug", strings.Join(nobits, ", ")))}
	}
	if emptyDynamic >= 0 {
		return []error{formatError(ELF, at(emptyDynamic, errors.New("the dynamic segment (PT_DYNAMIC) has no data in the file")))}
	}
	return nil
}

// elfKindOf is what an ELF file of type typ is for; pie reports whether
// its DT_FLAGS_1 says it is a position-independent executable.
func elfKindOf(typ elf.Type, pie func() bool) Kind {
	switch typ {
	case elf.ET_DYN:
		// A position-independent executable is ET_DYN too; glibc refuses to
		// dlopen one that says so in DT_FLAGS_1.
		if pie() {
			return Executable
		}
		return SharedLibrary
	case elf.ET_EXEC:
		return Executable
	case elf.ET_REL:
		return Object
	}
	return OtherKind
}

// elfExport reports whether s is an export, as nm -D --defined-only lists
// them: defined, global or weak, and not a section or file symbol.
func elfExport(s elf.Symbol) (Symbol, bool) {
	bind, typ := elf.ST_BIND(s.Info), elf.ST_TYPE(s.Info)
	if s.Section == elf.SHN_UNDEF || s.Name == "" || typ == elf.STT_SECTION || typ == elf.STT_FILE {
		return Symbol{}, false
	}
	if bind != elf.STB_GLOBAL && bind != elf.STB_WEAK && bind != stbGNUUnique {
		return Symbol{}, false
	}
	if v := elf.ST_VISIBILITY(s.Other); v == elf.STV_HIDDEN || v == elf.STV_INTERNAL {
		return Symbol{}, false
	}
	x := Symbol{Name: s.Name, Kind: OtherSymbol, Weak: bind == elf.STB_WEAK}
	switch typ {
	case elf.STT_FUNC, elf.STT_GNU_IFUNC:
		x.Kind = Function
	case elf.STT_OBJECT, elf.STT_TLS, elf.STT_COMMON:
		x.Kind = Data
	}
	return x, true
}

// elfSymbolData returns the bytes of the data symbol s as the file stores
// them, or nil when it points outside the file's contents.
func elfSymbolData(ef *elf.File, s elf.Symbol) []byte {
	if int(s.Section) >= len(ef.Sections) || s.Section >= elf.SHN_LORESERVE {
		return nil
	}
	sec := ef.Sections[s.Section]
	rel, n, ok := symbolSpan(s, sec.Addr, sec.Size)
	if !ok {
		return nil
	}
	if sec.Type == elf.SHT_NOBITS {
		return make([]byte, n) // .bss: zeros at run time
	}
	return readAtMost(sec, int64(rel), int(n)) // an offset past 1<<63 is negative: nil
}

// symbolSpan returns where the bytes of s lie in the section at addr of
// size bytes: from rel, n of them (its size, or up to MaxManifestRead when
// the symbol has none, cut short where the section ends). ok is false
// when s is not in the section.
func symbolSpan(s elf.Symbol, addr, size uint64) (rel, n uint64, ok bool) {
	if s.Value < addr || s.Value-addr >= size {
		return 0, 0, false
	}
	rel = s.Value - addr
	n = min(size-rel, MaxManifestRead)
	if s.Size > 0 {
		n = min(n, s.Size)
	}
	return rel, n, true
}

func first(s []string, err error) string {
	if err != nil || len(s) == 0 {
		return ""
	}
	return s[0]
}

// splitPath splits DT_RPATH or DT_RUNPATH entries into directories. Empty
// elements are kept: the loader reads them as the current directory.
func splitPath(entries []string, err error) []string {
	if err != nil {
		return nil
	}
	var dirs []string
	for _, e := range entries {
		dirs = append(dirs, strings.Split(e, ":")...)
	}
	return dirs
}

func elfArch(machine elf.Machine, class elf.Class, data elf.Data) string {
	switch machine {
	case elf.EM_X86_64:
		return "x86_64"
	case elf.EM_386:
		return "i386"
	case elf.EM_AARCH64:
		return "aarch64"
	case elf.EM_ARM:
		return "arm"
	case elf.EM_RISCV:
		if class == elf.ELFCLASS64 {
			return "riscv64"
		}
		return "riscv32"
	case elf.EM_PPC64:
		if data == elf.ELFDATA2LSB {
			return "ppc64le"
		}
		return "ppc64"
	case elf.EM_PPC:
		return "ppc"
	case elf.EM_MIPS:
		if class == elf.ELFCLASS64 {
			return "mips64"
		}
		return "mips"
	case elf.EM_S390:
		return "s390x"
	case elf.EM_LOONGARCH:
		return "loongarch64"
	}
	return strings.ToLower(strings.TrimPrefix(machine.String(), "EM_"))
}

// stbGNUUnique is STB_GNU_UNIQUE, a global binding debug/elf does not name.
const stbGNUUnique elf.SymBind = 10
