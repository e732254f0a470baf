package inspect

import (
	"bytes"
	"debug/macho"
	"errors"
	"io"
	"strings"
)

// Mach-O load commands debug/macho leaves as raw bytes.
const (
	lcLoadDylib       = 0xc
	lcIDDylib         = 0xd
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

func readMachO(r io.ReaderAt, _ int64, full bool) (*File, error) {
	mf, err := macho.NewFile(r)
	if err != nil {
		return nil, err
	}
	defer mf.Close()
	return machoFile(mf, full), nil
}

func readFat(r io.ReaderAt, _ int64, full bool) (*File, error) {
	ff, err := macho.NewFatFile(r)
	if err != nil {
		return nil, err
	}
	defer ff.Close()
	if len(ff.Arches) == 0 {
		return nil, errors.New("universal file with no architectures")
	}
	pick := ff.Arches[0].File
	var archs []string
	for _, a := range ff.Arches {
		name := machoArch(a.Cpu)
		archs = append(archs, name)
		if name == HostArch() {
			pick = a.File
		}
	}
	f := machoFile(pick, full)
	f.Archs = archs
	return f, nil
}

// machoFile describes one Mach-O image (one slice of a universal file).
func machoFile(mf *macho.File, full bool) *File {
	f := &File{Format: MachO, OS: "darwin", Arch: machoArch(mf.Cpu), Bits: 32, ByteOrder: mf.ByteOrder, ManifestSize: -1}
	if mf.Magic == macho.Magic64 {
		f.Bits = 64
	}
	switch mf.Type {
	case macho.TypeDylib, macho.TypeBundle:
		f.Kind = SharedLibrary
	case macho.TypeExec:
		f.Kind = Executable
	case macho.TypeObj:
		f.Kind = Object
	default:
		f.Kind = OtherKind
	}
	if s := mf.Section("__comment"); s != nil && s.Size < 1<<16 {
		if b, err := s.Data(); err == nil {
			f.Rust = containsRustc(b)
		}
	}
	machoLoads(mf, f)
	if mf.Symtab == nil || !full {
		return f
	}
	for _, s := range mf.Symtab.Syms {
		if s.Type&nStab != 0 || s.Type&nPext != 0 || s.Type&nExt == 0 || s.Type&nType != nSect {
			continue
		}
		name := strings.TrimPrefix(s.Name, "_")
		x := Symbol{Name: name, Kind: Data, Weak: s.Desc&nWeakDef != 0}
		sec := machoSection(mf, s.Sect)
		if sec != nil && sec.Flags&sectCode != 0 {
			x.Kind = Function
		}
		f.Exports = append(f.Exports, x)
		if name == manifestSymbol && sec != nil {
			f.ManifestSize = 0
			f.ManifestData = machoSymbolData(sec, s.Value)
		}
	}
	sortSymbols(f.Exports)
	return f
}

// machoSection returns the section a symbol's 1-based n_sect names, or nil.
func machoSection(mf *macho.File, n uint8) *macho.Section {
	if n == 0 || int(n) > len(mf.Sections) {
		return nil
	}
	return mf.Sections[n-1]
}

// machoSymbolData returns the bytes of sec at address addr, or nil.
func machoSymbolData(sec *macho.Section, addr uint64) []byte {
	if addr < sec.Addr || addr-sec.Addr >= sec.Size {
		return nil
	}
	rel := addr - sec.Addr
	n := int(min(sec.Size-rel, MaxManifestRead))
	switch sec.Flags & sectTypes {
	case sZerofill, sGBZerofil, sTLVZero:
		return make([]byte, n)
	}
	return readAtMost(sec, int64(rel), n)
}

// machoLoads reads the dylibs, the install name and the rpaths from the load
// commands. debug/macho decodes LC_LOAD_DYLIB and LC_RPATH only.
func machoLoads(mf *macho.File, f *File) {
	for _, l := range mf.Loads {
		raw := l.Raw()
		if len(raw) < 12 {
			continue
		}
		cmd := mf.ByteOrder.Uint32(raw)
		name := func() string {
			off := mf.ByteOrder.Uint32(raw[8:])
			if off >= uint32(len(raw)) {
				return ""
			}
			s := raw[off:]
			if i := bytes.IndexByte(s, 0); i >= 0 {
				s = s[:i]
			}
			return string(s)
		}
		switch cmd {
		case lcLoadDylib, lcReexportDylib, lcLoadUpwardDylib, lcLazyLoadDylib:
			f.Needed = append(f.Needed, Dependency{Name: name()})
		case lcLoadWeakDylib:
			f.Needed = append(f.Needed, Dependency{Name: name(), Optional: true})
		case lcIDDylib:
			f.SOName = name()
		case lcRpath:
			f.RPath = append(f.RPath, name())
		}
	}
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
