// Package inspect reads what a plugin file is from its bytes alone: its format,
// architecture and kind, and the symbols that explain why it will not start.
// It never loads the file or runs any of its code, so it is safe on any file
// from any system.
//
// The standard library's debug/elf, debug/pe and debug/macho readers are not
// hardened against hostile input; this package recovers from their panics at
// its boundary and reports a malformed file instead.
package inspect

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// Format is an object file format.
type Format string

const (
	ELF   Format = "ELF"
	PE    Format = "PE"
	MachO Format = "Mach-O"
)

// Kind is what an object file is for.
type Kind string

const (
	SharedLibrary Kind = "shared library"
	Executable    Kind = "executable"
	Object        Kind = "object file"
	OtherKind     Kind = "other"
)

// File describes one object file.
type File struct {
	Format    Format
	Kind      Kind
	Arch      string   // x86_64, aarch64, i386, arm, riscv64, ...; for a universal Mach-O, the slice this host would pick, or the first
	Bits      int      // 32 or 64
	OS        string   // the OS family the file is for: linux (any ELF Unix), freebsd, windows, darwin
	Archs     []string // a universal Mach-O's slices; nil otherwise
	ByteOrder binary.ByteOrder

	// Rust is true when rustc built the file.
	Rust bool
	// ManifestSize is the size the file's symbol table gives the exported
	// plugin_manifest: -1 when the file exports none, 0 when the format
	// records no sizes (PE, Mach-O).
	ManifestSize int64
}

// ErrNotObject is returned for a file that is no ELF, PE or Mach-O file.
var ErrNotObject = errors.New("not an ELF, PE or Mach-O file")

// FormatError is a file that starts like an object file but is malformed.
type FormatError struct {
	Format Format
	Err    error
}

func (e *FormatError) Error() string { return fmt.Sprintf("malformed %s file: %v", e.Format, e.Err) }
func (e *FormatError) Unwrap() error { return e.Err }

// Open reads the file at path. It reads only; it does not load the file.
func Open(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: not a regular file", ErrNotObject)
	}
	return NewFile(fh)
}

// NewFile reads the object file in r. It does not keep r.
func NewFile(r io.ReaderAt) (f *File, err error) {
	var magic [4]byte
	if _, err := r.ReadAt(magic[:], 0); err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("%w: file is shorter than any object header", ErrNotObject)
		}
		return nil, err
	}
	format, parse := identify(magic)
	if parse == nil {
		return nil, ErrNotObject
	}
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, &FormatError{format, fmt.Errorf("%v", p)}
		}
	}()
	f, err = parse(r)
	if err != nil {
		var fe *FormatError
		if !errors.As(err, &fe) {
			err = &FormatError{format, err}
		}
		return nil, err
	}
	return f, nil
}

func identify(m [4]byte) (Format, func(io.ReaderAt) (*File, error)) {
	switch {
	case string(m[:]) == elf.ELFMAG:
		return ELF, readELF
	case m[0] == 'M' && m[1] == 'Z':
		return PE, readPE
	}
	be, le := binary.BigEndian.Uint32(m[:]), binary.LittleEndian.Uint32(m[:])
	switch {
	case be == macho.MagicFat:
		return MachO, readFat
	case le == macho.Magic32, le == macho.Magic64, be == macho.Magic32, be == macho.Magic64:
		return MachO, readMachO
	}
	return "", nil
}

func readELF(r io.ReaderAt) (*File, error) {
	ef, err := elf.NewFile(r)
	if err != nil {
		return nil, err
	}
	defer ef.Close()
	f := &File{Format: ELF, Arch: elfArch(ef), Bits: 32, OS: "linux", ByteOrder: ef.ByteOrder}
	if ef.Class == elf.ELFCLASS64 {
		f.Bits = 64
	}
	if ef.OSABI == elf.ELFOSABI_FREEBSD {
		f.OS = "freebsd"
	}
	switch ef.Type {
	case elf.ET_DYN:
		f.Kind = SharedLibrary
		// A position-independent executable is ET_DYN too; glibc refuses to
		// dlopen one that says so in DT_FLAGS_1.
		if flags, err := ef.DynValue(elf.DT_FLAGS_1); err == nil {
			for _, v := range flags {
				if v&uint64(elf.DF_1_PIE) != 0 {
					f.Kind = Executable
				}
			}
		}
	case elf.ET_EXEC:
		f.Kind = Executable
	case elf.ET_REL:
		f.Kind = Object
	default:
		f.Kind = OtherKind
	}
	if s := ef.Section(".comment"); s != nil && s.Type != elf.SHT_NOBITS && s.Size < 1<<16 {
		if b, err := s.Data(); err == nil {
			f.Rust = bytes.Contains(b, []byte("rustc version"))
		}
	}
	f.ManifestSize = -1
	if syms, err := ef.DynamicSymbols(); err == nil {
		for _, s := range syms {
			if s.Name == manifestSymbol && s.Section != elf.SHN_UNDEF {
				f.ManifestSize = int64(s.Size)
			}
		}
	}
	return f, nil
}

func elfArch(ef *elf.File) string {
	switch ef.Machine {
	case elf.EM_X86_64:
		return "x86_64"
	case elf.EM_386:
		return "i386"
	case elf.EM_AARCH64:
		return "aarch64"
	case elf.EM_ARM:
		return "arm"
	case elf.EM_RISCV:
		if ef.Class == elf.ELFCLASS64 {
			return "riscv64"
		}
		return "riscv32"
	case elf.EM_PPC64:
		if ef.Data == elf.ELFDATA2LSB {
			return "ppc64le"
		}
		return "ppc64"
	case elf.EM_S390:
		return "s390x"
	case elf.EM_LOONGARCH:
		return "loongarch64"
	}
	return strings.ToLower(strings.TrimPrefix(ef.Machine.String(), "EM_"))
}

func readPE(r io.ReaderAt) (*File, error) {
	pf, err := pe.NewFile(r)
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	f := &File{Format: PE, OS: "windows", Bits: 32, ByteOrder: binary.LittleEndian}
	if _, ok := pf.OptionalHeader.(*pe.OptionalHeader64); ok {
		f.Bits = 64
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
	return f, nil
}

func readMachO(r io.ReaderAt) (*File, error) {
	mf, err := macho.NewFile(r)
	if err != nil {
		return nil, err
	}
	defer mf.Close()
	return machoFile(mf), nil
}

func machoFile(mf *macho.File) *File {
	f := &File{Format: MachO, OS: "darwin", Arch: machoArch(mf.Cpu), Bits: 32, ByteOrder: mf.ByteOrder}
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
	return f
}

func readFat(r io.ReaderAt) (*File, error) {
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
	f := machoFile(pick)
	f.Archs = archs
	return f, nil
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

// manifestSymbol is hostapi.ManifestSymbol; inspect reads files and does not
// depend on the host's ABI package.
const manifestSymbol = "plugin_manifest"

// MangledEntry returns a Rust- or C++-mangled symbol naming init_plugin in the
// file at path, from its dynamic and full symbol tables, or "" when there is
// none or the file cannot be read. It reads the whole symbol table, which can
// be large, so it is for explaining a missing entry point, not for every file.
func MangledEntry(path string) (name string) {
	defer func() {
		if recover() != nil {
			name = ""
		}
	}()
	if ef, err := elf.Open(path); err == nil {
		defer ef.Close()
		var names []string
		for _, read := range []func() ([]elf.Symbol, error){ef.DynamicSymbols, ef.Symbols} {
			if syms, err := read(); err == nil {
				for _, s := range syms {
					names = append(names, s.Name)
				}
			}
		}
		return findMangledEntry(names, "")
	}
	if mf, err := macho.Open(path); err == nil {
		defer mf.Close()
		return machoMangledEntry(mf)
	}
	if ff, err := macho.OpenFat(path); err == nil {
		defer ff.Close()
		for _, a := range ff.Arches {
			if n := machoMangledEntry(a.File); n != "" {
				return n
			}
		}
	}
	return ""
}

func machoMangledEntry(mf *macho.File) string {
	if mf.Symtab == nil {
		return ""
	}
	names := make([]string, 0, len(mf.Symtab.Syms))
	for _, s := range mf.Symtab.Syms {
		names = append(names, s.Name)
	}
	return findMangledEntry(names, "_")
}

// findMangledEntry returns the first name that is a Rust (legacy or v0) or
// C++ mangled name for a function called init_plugin. prefix is the
// platform's extra symbol prefix ("_" on Mach-O).
func findMangledEntry(names []string, prefix string) string {
	for _, n := range names {
		m, ok := strings.CutPrefix(n, prefix)
		if !ok || !strings.Contains(m, "11init_plugin") {
			continue
		}
		if strings.HasPrefix(m, "_ZN") || strings.HasPrefix(m, "_R") || strings.HasPrefix(m, "_Z11init_plugin") {
			return n
		}
	}
	return ""
}

// HostArch returns this host's architecture in the names File uses.
func HostArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "386":
		return "i386"
	case "arm64":
		return "aarch64"
	case "loong64":
		return "loongarch64"
	}
	return runtime.GOARCH
}

// hostFormat returns the object format this host's loader reads.
func hostFormat() Format {
	switch runtime.GOOS {
	case "windows":
		return PE
	case "darwin", "ios":
		return MachO
	}
	return ELF
}

// HostBits returns this host's pointer width in bits.
func HostBits() int { return 32 << (^uintptr(0) >> 63) }

// IncompatibleError says why this host cannot load a file.
type IncompatibleError struct {
	File *File
	Why  string
}

func (e *IncompatibleError) Error() string { return e.Why }

// CheckHost returns an *IncompatibleError when this host's loader cannot load
// f: another format, OS, architecture or bitness. It does not look at
// dependencies.
func (f *File) CheckHost() error {
	host := fmt.Sprintf("this host is %s %s (%d-bit)", runtime.GOOS, HostArch(), HostBits())
	if want := hostFormat(); f.Format != want {
		return &IncompatibleError{f, fmt.Sprintf("it is a %s file for %s; %s, which loads %s files", f.Format, f.OS, host, want)}
	}
	if f.Archs != nil {
		for _, a := range f.Archs {
			if a == HostArch() {
				return nil
			}
		}
		return &IncompatibleError{f, fmt.Sprintf("it is a universal binary for %s; %s", strings.Join(f.Archs, ", "), host)}
	}
	if f.Arch != HostArch() || f.Bits != HostBits() {
		return &IncompatibleError{f, fmt.Sprintf("it is built for %s (%d-bit); %s", f.Arch, f.Bits, host)}
	}
	if f.Format == ELF && f.OS != "linux" && f.OS != runtime.GOOS {
		return &IncompatibleError{f, fmt.Sprintf("it is built for %s; %s", f.OS, host)}
	}
	return nil
}
