package inspect

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unsafe"

	"github.com/plugctl/plugctl/internal/pages"
)

// Data directory entries.
const (
	peDirExport      = 0
	peDirImport      = 1
	peDirDelayImport = 13
)

// Bounds on what a PE file may ask to be read: tables larger than the file
// are malformed, and names longer than this are not names.
const (
	peMaxName    = 4096
	peMaxImports = 1 << 16
)

// withoutCOFFSymbols is r with its COFF header saying there are no COFF
// symbols, and that the (empty) symbol table starts where the string
// table does: debug/pe then reads the string table, which long section
// names need, but not the symbols, which it decodes one reflective
// binary.Read at a time (a third of inspect's time on a 15 MB DLL), and
// which plugctl does not use. A header it cannot read is left as it is.
func withoutCOFFSymbols(r io.ReaderAt) io.ReaderAt {
	le := binary.LittleEndian
	var dos [0x40]byte
	if n, _ := r.ReadAt(dos[:], 0); n < len(dos) {
		return r
	}
	at := int64(le.Uint32(dos[0x3c:])) + 4 + 8 // PointerToSymbolTable, NumberOfSymbols
	var fields [8]byte
	if n, _ := r.ReadAt(fields[:], at); n < len(fields) {
		return r
	}
	symoff, nsyms := uint64(le.Uint32(fields[:])), uint64(le.Uint32(fields[4:]))
	strtab := symoff + 18*nsyms
	if symoff == 0 || nsyms == 0 || strtab > 1<<32-1 {
		return r
	}
	p := &patchedReader{r: r, at: at}
	le.PutUint32(p.bytes[:], uint32(strtab))
	return p
}

// patchedReader reads r with the 8 bytes at offset at replaced by bytes.
type patchedReader struct {
	r     io.ReaderAt
	at    int64
	bytes [8]byte
}

func (p *patchedReader) ReadAt(b []byte, off int64) (int, error) {
	n, err := p.r.ReadAt(b, off)
	lo, hi := max(off, p.at), min(off+int64(n), p.at+int64(len(p.bytes)))
	if lo < hi {
		copy(b[lo-off:hi-off], p.bytes[lo-p.at:hi-p.at])
	}
	return n, err
}

func readPE(r io.ReaderAt, size int64, want reading) (*File, error) {
	if err := checkPETables(r, size); err != nil {
		return nil, err
	}
	pf, err := pe.NewFile(withoutCOFFSymbols(r))
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	f := &File{Format: PE, OS: "windows", Bits: 32, ByteOrder: binary.LittleEndian, ManifestSize: -1}
	img := &peImage{r: r, size: size, sections: pf.Sections}
	switch oh := pf.OptionalHeader.(type) {
	case *pe.OptionalHeader64:
		f.Bits = 64
		img.dirs, img.base, img.headers = oh.DataDirectory[:min(oh.NumberOfRvaAndSizes, 16)], oh.ImageBase, oh.SizeOfHeaders
	case *pe.OptionalHeader32:
		img.dirs, img.base, img.headers = oh.DataDirectory[:min(oh.NumberOfRvaAndSizes, 16)], uint64(oh.ImageBase), oh.SizeOfHeaders
	}
	switch pf.Machine {
	case pe.IMAGE_FILE_MACHINE_AMD64:
		f.Arch = "x86_64"
	case pe.IMAGE_FILE_MACHINE_I386:
		f.Arch = "i386"
	case pe.IMAGE_FILE_MACHINE_ARM64:
		f.Arch = "aarch64"
	case pe.IMAGE_FILE_MACHINE_ARMNT:
		f.Arch = "arm"
	default:
		f.Arch = fmt.Sprintf("machine %#x", pf.Machine)
	}
	switch {
	case pf.Characteristics&pe.IMAGE_FILE_DLL != 0:
		f.Kind = SharedLibrary
	case pf.Characteristics&pe.IMAGE_FILE_EXECUTABLE_IMAGE != 0:
		f.Kind = Executable
	default:
		f.Kind = OtherKind
	}
	if s := pf.Section(".comment"); s != nil && s.Size < 1<<16 {
		if b, err := s.Data(); err == nil {
			f.Rust = containsRustc(b)
		}
	}
	damaged := func(err error) {
		f.Damaged = append(f.Damaged, formatError(PE, err))
	}
	if !want.full {
		if f.Needed, err = img.imports(); err != nil {
			damaged(err)
		}
		return f, nil
	}
	if f.Exports, err = img.exports(func(name string) bool { return name == manifestSymbol || want.data[name] }); err != nil {
		damaged(err)
	}
	for _, x := range f.Exports {
		rva, kept := img.rvas[x.Name]
		if !kept || x.Forward != "" {
			continue
		}
		if x.Name == manifestSymbol {
			f.ManifestSize = 0
			f.ManifestData = img.bytesAt(rva, MaxManifestRead)
		}
		if want.data[x.Name] {
			f.keepData(x.Name, img.bytesAt(rva, MaxDataRead))
		}
	}
	sortSymbols(f.Exports)
	if f.Needed, err = img.imports(); err != nil {
		damaged(err)
	}
	return f, nil
}

// peImage reads a PE file by relative virtual address (RVA): the address a
// field has once the loader maps the image.
type peImage struct {
	r        io.ReaderAt
	size     int64
	sections []*pe.Section
	dirs     []pe.DataDirectory
	base     uint64
	headers  uint32
	rvas     map[string]uint32 // the RVA of each export exports was asked to keep
}

// offset maps rva to a file offset, and says how many bytes from there the
// file holds. Addresses in a section's uninitialised tail have no offset.
func (p *peImage) offset(rva uint32) (off int64, avail uint32, ok bool) {
	for _, s := range p.sections {
		if rva >= s.VirtualAddress && rva-s.VirtualAddress < max(s.VirtualSize, s.Size) {
			rel := rva - s.VirtualAddress
			if rel >= s.Size {
				return 0, 0, false
			}
			return int64(s.Offset) + int64(rel), s.Size - rel, true
		}
	}
	if rva < p.headers {
		return int64(rva), p.headers - rva, true
	}
	return 0, 0, false
}

// read returns n bytes at rva, or an error naming what was being read.
func (p *peImage) read(rva uint32, n int64, what string) ([]byte, error) {
	off, avail, ok := p.offset(rva)
	if !ok || n > int64(avail) || off+n > p.size {
		return nil, fmt.Errorf("%s at RVA %#x (%d bytes) is outside the file", what, rva, n)
	}
	b := readAtMost(p.r, off, int(n))
	if int64(len(b)) < n {
		return nil, at(off, fmt.Errorf("%s at RVA %#x (%d bytes) is past the end of the file", what, rva, n))
	}
	return b, nil
}

// bytesAt returns up to n bytes at rva, fewer where the section ends, or nil.
func (p *peImage) bytesAt(rva uint32, n int) []byte {
	off, avail, ok := p.offset(rva)
	if !ok {
		return nil
	}
	return readAtMost(p.r, off, min(n, int(min(avail, 1<<30))))
}

// cstring returns the NUL-terminated string at rva.
// Names are short: it reads 128 bytes first, and more, up to peMaxName,
// only for a longer one (reading peMaxName for each of 14,000 exports was
// most of the time inspect took on a large DLL).
func (p *peImage) cstring(rva uint32, what string) (string, error) {
	for n := 128; ; n *= 8 {
		n = min(n, peMaxName)
		b := p.bytesAt(rva, n)
		if i := bytes.IndexByte(b, 0); i >= 0 {
			return string(b[:i]), nil
		}
		if len(b) < n || n == peMaxName {
			return "", fmt.Errorf("%s at RVA %#x is not a NUL-terminated name", what, rva)
		}
	}
}

func (p *peImage) dir(i int) (pe.DataDirectory, bool) {
	if i >= len(p.dirs) || p.dirs[i].VirtualAddress == 0 {
		return pe.DataDirectory{}, false
	}
	return p.dirs[i], true
}

// maxExportDirectory bounds the export directory exports reads whole (a
// large DLL's, with 14,000 names, is under 1 MB).
const maxExportDirectory = 32 << 20

// exports parses the export directory, which debug/pe does not: a table of
// function RVAs, a table of name RVAs, and a table mapping each name to an
// index in the first. An RVA inside the directory itself is a forwarder: the
// name of a function in another DLL.
func (p *peImage) exports(keep func(name string) bool) ([]Symbol, error) {
	d, ok := p.dir(peDirExport)
	if !ok {
		return nil, nil
	}
	hdr, err := p.read(d.VirtualAddress, 40, "export directory")
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	nFuncs, nNames := le.Uint32(hdr[20:]), le.Uint32(hdr[24:])
	// read refuses a table larger than the section holding it, so a
	// count from a hostile file allocates nothing.
	funcs, err := p.read(le.Uint32(hdr[28:]), int64(nFuncs)*4, "export address table")
	if err != nil {
		return nil, err
	}
	names, err := p.read(le.Uint32(hdr[32:]), int64(nNames)*4, "export name table")
	if err != nil {
		return nil, err
	}
	ords, err := p.read(le.Uint32(hdr[36:]), int64(nNames)*2, "export ordinal table")
	if err != nil {
		return nil, err
	}
	// The names (and forwarders) are most often in the directory itself:
	// read it once and take them from it, where cstring would read each
	// from the file. (It ends with its section: what it holds is where
	// cstring finds it.)
	// The names share its bytes (which nothing writes) rather than each
	// being copied.
	var dir string
	if d.Size <= maxExportDirectory {
		b := p.bytesAt(d.VirtualAddress, int(d.Size))
		dir = unsafe.String(unsafe.SliceData(b), len(b))
	}
	cstring := func(rva uint32, what string) (string, error) {
		if rel := uint64(rva) - uint64(d.VirtualAddress); rva >= d.VirtualAddress && rel < uint64(len(dir)) {
			if n := strings.IndexByte(dir[rel:], 0); n >= 0 && n < peMaxName {
				return dir[rel : rel+uint64(n)], nil
			}
		}
		return p.cstring(rva, what)
	}
	exports := make([]Symbol, 0, nNames)
	pages.PopulateSlice(exports)
	p.rvas = map[string]uint32{}
	for i := range nNames {
		name, err := cstring(le.Uint32(names[4*i:]), "export name")
		if err != nil {
			return nil, err
		}
		ord := uint32(le.Uint16(ords[2*i:]))
		if ord >= nFuncs {
			return nil, fmt.Errorf("export %q has ordinal index %d, past the %d functions", name, ord, nFuncs)
		}
		rva := le.Uint32(funcs[4*ord:])
		x := Symbol{Name: name, Kind: p.kindAt(rva)}
		if rva >= d.VirtualAddress && rva-d.VirtualAddress < d.Size {
			x.Kind = OtherSymbol
			if x.Forward, err = cstring(rva, "forwarder"); err != nil {
				return nil, err
			}
		}
		exports = append(exports, x)
		if keep(name) {
			p.rvas[name] = rva
		}
	}
	return exports, nil
}

// kindAt says whether rva is in code or in data.
func (p *peImage) kindAt(rva uint32) SymbolKind {
	const code = pe.IMAGE_SCN_CNT_CODE | pe.IMAGE_SCN_MEM_EXECUTE
	for _, s := range p.sections {
		if rva >= s.VirtualAddress && rva-s.VirtualAddress < max(s.VirtualSize, s.Size) {
			if s.Characteristics&code != 0 {
				return Function
			}
			return Data
		}
	}
	return OtherSymbol
}

// imports lists the DLLs of the import directory (20-byte descriptors, name
// RVA at 12, ending with an all-zero one) and of the delay-import directory
// (32-byte descriptors, name at 4; an RVA, or a VA in old files whose
// attributes say so). debug/pe's ImportedLibraries returns nothing.
func (p *peImage) imports() ([]Dependency, error) {
	var deps []Dependency
	seen := map[string]bool{}
	for _, t := range []struct {
		dir, size, nameAt int
		optional          bool
	}{{peDirImport, 20, 12, false}, {peDirDelayImport, 32, 4, true}} {
		d, ok := p.dir(t.dir)
		if !ok {
			continue
		}
		for i := 0; ; i++ {
			if i == peMaxImports {
				return nil, errors.New("import directory has no end")
			}
			desc, err := p.read(d.VirtualAddress+uint32(i*t.size), int64(t.size), "import descriptor")
			if err != nil {
				return nil, err
			}
			nameRVA := binary.LittleEndian.Uint32(desc[t.nameAt:])
			if nameRVA == 0 {
				break
			}
			if t.optional && binary.LittleEndian.Uint32(desc)&1 == 0 {
				nameRVA -= uint32(p.base) // a VA in pre-2000 delay-load tables
			}
			name, err := p.cstring(nameRVA, "imported DLL name")
			if err != nil {
				return nil, err
			}
			if !seen[name] {
				seen[name] = true
				deps = append(deps, Dependency{Name: name, Optional: t.optional})
			}
		}
	}
	return deps, nil
}
