package inspect

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/plugctl/plugctl/internal/testplugins"
)

// machoFile builds a little-endian Mach-O dylib of 32 or 64 bits from load
// commands; tail follows them.
func machoFile(bits int, tail []byte, cmds ...[]byte) []byte {
	le := binary.LittleEndian
	hdr := make([]byte, 28)
	le.PutUint32(hdr[0:], macho.Magic32)
	le.PutUint32(hdr[4:], uint32(macho.Cpu386))
	if bits == 64 {
		hdr = make([]byte, 32)
		le.PutUint32(hdr[0:], macho.Magic64)
		le.PutUint32(hdr[4:], uint32(macho.CpuAmd64))
	}
	le.PutUint32(hdr[12:], uint32(macho.TypeDylib))
	le.PutUint32(hdr[16:], uint32(len(cmds)))
	all := slices.Concat(cmds...)
	le.PutUint32(hdr[20:], uint32(len(all)))
	return slices.Concat(hdr, all, tail)
}

// machoHeaderSize is the size of machoFile's header and commands.
func machoHeaderSize(bits int, cmds ...[]byte) int {
	return len(machoFile(bits, nil, cmds...))
}

type testMachOSect struct {
	name         string
	addr, size   uint64
	offset, flag uint32
}

// segment is an LC_SEGMENT_64 holding sections, or for 32 bits an
// LC_SEGMENT.
func segment(bits int, sects ...testMachOSect) []byte {
	le := binary.LittleEndian
	cmd, hdr, rec := uint32(lcSegment64), 72, 80
	if bits == 32 {
		cmd, hdr, rec = lcSegment, 56, 68
	}
	c := make([]byte, hdr+rec*len(sects))
	le.PutUint32(c[0:], cmd)
	le.PutUint32(c[4:], uint32(len(c)))
	le.PutUint32(c[hdr-8:], uint32(len(sects)))
	for i, s := range sects {
		r := c[hdr+rec*i:]
		copy(r, s.name)
		if bits == 32 {
			le.PutUint32(r[32:], uint32(s.addr))
			le.PutUint32(r[36:], uint32(s.size))
			le.PutUint32(r[40:], s.offset)
			le.PutUint32(r[56:], s.flag)
		} else {
			le.PutUint64(r[32:], s.addr)
			le.PutUint64(r[40:], s.size)
			le.PutUint32(r[48:], s.offset)
			le.PutUint32(r[64:], s.flag)
		}
	}
	return c
}

func symtabCmd(symoff, nsyms, stroff, strsize int) []byte {
	c := make([]byte, 24)
	for i, v := range []uint32{lcSymtab, 24, uint32(symoff), uint32(nsyms), uint32(stroff), uint32(strsize)} {
		binary.LittleEndian.PutUint32(c[4*i:], v)
	}
	return c
}

type testMachOSym struct {
	strx  uint32
	sect  uint8
	desc  uint16
	value uint64
}

// nlist is a symbol table of exported symbols (N_SECT | N_EXT).
func nlist(bits int, syms ...testMachOSym) []byte {
	le := binary.LittleEndian
	var b []byte
	for _, s := range syms {
		e := make([]byte, 12)
		if bits == 64 {
			e = make([]byte, 16)
			le.PutUint64(e[8:], s.value)
		} else {
			le.PutUint32(e[8:], uint32(s.value))
		}
		le.PutUint32(e[0:], s.strx)
		e[4], e[5] = nSect|nExt, s.sect
		le.PutUint16(e[6:], s.desc)
		b = append(b, e...)
	}
	return b
}

// manifestImage is a dylib of bits whose one section, __data at address
// 0x1000, holds the 16 bytes "0123456789abcdef", with plugin_manifest at
// address value, a code section __text after it (4 bytes, which share
// __data's), and a weak export f at its start.
func manifestImage(t *testing.T, bits int, value uint64) *File {
	t.Helper()
	seg := func(sects ...testMachOSect) []byte { return segment(bits, sects...) }
	strs := []byte("\x00_plugin_manifest\x00_f\x00")
	nsyms := 2
	ent := 12
	if bits == 64 {
		ent = 16
	}
	// The layout: header and commands, the section's 16 bytes, the
	// symbols, the names.
	probe := [][]byte{seg(testMachOSect{}, testMachOSect{}), symtabCmd(0, 0, 0, 0)}
	base := machoHeaderSize(bits, probe...)
	data, symoff := base, base+16
	stroff := symoff + ent*nsyms
	cmds := [][]byte{
		seg(testMachOSect{name: "__data", addr: 0x1000, size: 16, offset: uint32(data)},
			testMachOSect{name: "__text", addr: 0x2000, size: 4, offset: uint32(data), flag: sectCode}),
		symtabCmd(symoff, nsyms, stroff, len(strs)),
	}
	tail := slices.Concat([]byte("0123456789abcdef"),
		nlist(bits, testMachOSym{strx: 1, sect: 1, value: value}, testMachOSym{strx: 18, sect: 2, desc: nWeakDef, value: 0x2000}),
		strs)
	f, err := newFile(bytes.NewReader(machoFile(bits, tail, cmds...)), reading{full: true})
	if err != nil {
		t.Fatalf("%d-bit image: %v", bits, err)
	}
	return f
}

// A manifest's bytes run from its address to its section's end, in 32-bit
// and 64-bit images alike; the export in the last section is code, and weak.
func TestMachOManifestEdges(t *testing.T) {
	for _, bits := range []int{32, 64} {
		for _, tt := range []struct {
			value uint64
			want  string
			found bool
		}{
			{0x1000, "0123456789abcdef", true},
			{0x1008, "89abcdef", true},
			{0x100f, "f", true},
			{0x1010, "", false}, // just past the section
			{0x0fff, "", false}, // just below it
		} {
			f := manifestImage(t, bits, tt.value)
			if string(f.ManifestData) != tt.want || (f.ManifestSize == 0) != tt.found {
				t.Errorf("%d-bit, manifest at %#x: %q (size %d), want %q", bits, tt.value, f.ManifestData, f.ManifestSize, tt.want)
			}
			i := slices.IndexFunc(f.Exports, func(s Symbol) bool { return s.Name == "f" })
			if i < 0 || f.Exports[i].Kind != Function || !f.Exports[i].Weak {
				t.Errorf("%d-bit: exports %+v, want f a weak function", bits, f.Exports)
			}
			if j := slices.IndexFunc(f.Exports, func(s Symbol) bool { return s.Name == "plugin_manifest" }); j < 0 || f.Exports[j].Weak {
				t.Errorf("%d-bit: exports %+v, want plugin_manifest, not weak", bits, f.Exports)
			}
		}
	}
	// Without a plugin_manifest there is none to size.
	f, err := newFile(bytes.NewReader(machoFile(64, nil)), reading{full: true})
	if err != nil {
		t.Fatalf("no commands: %v", err)
	}
	if f.ManifestSize != -1 {
		t.Errorf("no manifest: ManifestSize %v, want -1", f.ManifestSize)
	}
}

// Load commands fill exactly the bytes the header gives them, and those
// end the file at the latest.
func TestMachOLoadCommandEdges(t *testing.T) {
	le := binary.LittleEndian
	unknown := make([]byte, 8) // a command of the smallest size, of no type plugctl reads
	le.PutUint32(unknown[0:], 0x7fff)
	le.PutUint32(unknown[4:], 8)
	ok := machoFile(64, nil, unknown)
	if _, err := readMachOImage(bytes.NewReader(ok), int64(len(ok))); err != nil {
		t.Errorf("one 8-byte command ending the file: %v", err)
	}
	if _, err := readMachOImage(bytes.NewReader(ok), int64(len(ok))-1); err == nil {
		t.Error("commands one byte past the end: accepted")
	}
	two := slices.Clone(ok)
	le.PutUint32(two[16:], 2)
	if _, err := readMachOImage(bytes.NewReader(two), int64(len(two))); err == nil || !strings.Contains(err.Error(), "2 load commands cannot fit in 8 bytes") {
		t.Errorf("2 commands in 8 bytes: %v", err)
	}
	// The largest block of commands plugctl reads, and one byte more.
	for _, tt := range []struct {
		size uint32
		ok   bool
	}{{maxLoadBlock, true}, {maxLoadBlock + 1, false}} {
		b := make([]byte, 32+maxLoadBlock+1)
		copy(b, machoFile(64, nil))
		le.PutUint32(b[16:], 0)
		le.PutUint32(b[20:], tt.size)
		if _, err := readMachOImage(bytes.NewReader(b), int64(len(b))); (err == nil) != tt.ok {
			t.Errorf("%d bytes of commands: %v", tt.size, err)
		}
	}
	// A segment holds exactly the sections its size has room for.
	seg := segment(64, testMachOSect{name: "__a"})
	if _, err := readMachOImage(bytes.NewReader(machoFile(64, nil, seg)), 1<<20); err != nil {
		t.Errorf("a segment of one section: %v", err)
	}
	le.PutUint32(seg[64:], 2)
	if _, err := readMachOImage(bytes.NewReader(machoFile(64, nil, seg)), 1<<20); err == nil || !strings.Contains(err.Error(), "2 sections cannot fit") {
		t.Errorf("a segment claiming 2 sections with room for 1: %v", err)
	}
}

// A symbol table may end the file, or be empty at its very end.
func TestMachOSymtabEdges(t *testing.T) {
	for _, tt := range []struct {
		name string
		file func(base int) []byte
		ok   bool
	}{
		{"names, then symbols ending the file", func(base int) []byte {
			return machoFile(64, slices.Concat([]byte("\x00_f\x00"), nlist(64, testMachOSym{strx: 1})), symtabCmd(base+4, 1, base, 4))
		}, true},
		{"symbols one byte past the end", func(base int) []byte {
			return machoFile(64, slices.Concat([]byte("\x00_f\x00"), nlist(64, testMachOSym{strx: 1}))[:19], symtabCmd(base+4, 1, base, 4))
		}, false},
		{"empty tables at the end of the file", func(base int) []byte {
			return machoFile(64, nil, symtabCmd(base, 0, base, 0))
		}, true},
	} {
		b := tt.file(machoHeaderSize(64, symtabCmd(0, 0, 0, 0)))
		_, err := newFile(bytes.NewReader(b), reading{full: true})
		if (err == nil) != tt.ok {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

// rustc's version string in a __comment section marks a Rust library; one
// of 64 KiB or more is not read.
func TestMachOCommentBound(t *testing.T) {
	for size, want := range map[int]bool{1<<16 - 1: true, 1 << 16: false} {
		comment := make([]byte, size)
		copy(comment, "rustc version 1.90.0")
		for _, name := range []string{"__comment", "__commenT"} {
			seg := segment(64, testMachOSect{name: name, size: uint64(size)})
			base := machoHeaderSize(64, seg)
			seg = segment(64, testMachOSect{name: name, size: uint64(size), offset: uint32(base)})
			f, err := newFile(bytes.NewReader(machoFile(64, comment, seg)), reading{full: true})
			if err != nil || f.Rust != (want && name == "__comment") {
				t.Errorf("%s of %d bytes: Rust %v, %v", name, size, f.Rust, err)
			}
		}
	}
}

// The small helpers at their edges.
func TestMachOHelpers(t *testing.T) {
	m := &machoImage{order: binary.LittleEndian, sections: make([]machoSect, 3)}
	if m.section(3) != &m.sections[2] || m.section(4) != nil || m.section(0) != nil {
		t.Error("section: n_sect counts from 1 to the number of sections")
	}
	if cString([]byte("\x00abc")) != "" || cString([]byte("ab")) != "ab" || cString([]byte("a\x00b")) != "a" {
		t.Error("cString")
	}
	// A 12-byte command whose string starts at its own offset field.
	c := []byte{0x1c, 0, 0, 0x80, 12, 0, 0, 0, 8, 0, 0, 0}
	if got := m.cmdString(c); got != "\b" {
		t.Errorf("cmdString of a 12-byte command: %q", got)
	}
	if got := m.cmdString(c[:11]); got != "" {
		t.Errorf("cmdString of an 11-byte command: %q", got)
	}
}

// A universal file's slice may end the file; the host's architecture is
// picked wherever it is in the table.
func TestFatEdges(t *testing.T) {
	be := binary.BigEndian
	b := make([]byte, 8+20+100)
	be.PutUint32(b[0:], macho.MagicFat)
	be.PutUint32(b[4:], 1)
	be.PutUint32(b[8+8:], 28)
	be.PutUint32(b[8+12:], 100)
	if _, err := readFatArches(bytes.NewReader(b), int64(len(b))); err != nil {
		t.Errorf("a slice ending the file: %v", err)
	}
	if _, err := readFatArches(bytes.NewReader(b), int64(len(b))-1); err == nil {
		t.Error("a slice one byte past the end: accepted")
	}

	orig, err := os.ReadFile(filepath.Join(testplugins.Dir(t), "cross", "cross_universal.dylib"))
	if err != nil {
		t.Fatal(err)
	}
	if HostArch() != "x86_64" {
		t.Skip("the fixture holds x86_64 and aarch64")
	}
	swapped := slices.Clone(orig)
	copy(swapped[8:28], orig[28:48])
	copy(swapped[28:48], orig[8:28])
	for name, file := range map[string][]byte{"x86_64 first": orig, "x86_64 second": swapped} {
		f, err := newFile(bytes.NewReader(file), reading{full: true})
		if err != nil || f.Arch != "x86_64" {
			t.Errorf("%s: read the %s slice (%v), want x86_64", name, f.Arch, err)
		}
	}
}

// A universal file may hold 64 slices, not 65.
func TestFatArchLimit(t *testing.T) {
	for n, ok := range map[int]bool{maxFatArchs: true, maxFatArchs + 1: false} {
		b := make([]byte, 8+20*n)
		binary.BigEndian.PutUint32(b[0:], macho.MagicFat)
		binary.BigEndian.PutUint32(b[4:], uint32(n))
		if _, err := readFatArches(bytes.NewReader(b), int64(len(b))); (err == nil) != ok {
			t.Errorf("%d slices: %v", n, err)
		}
	}
}

// machoNames gives every symbol of a thin file and of each slice of a
// universal one, and nothing for what is neither.
func TestMachONames(t *testing.T) {
	dir := filepath.Join(testplugins.Dir(t), "cross")
	for _, name := range []string{"cross_x86_64.dylib", "cross_universal.dylib"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		names := machoNames(bytes.NewReader(b), int64(len(b)))
		want := 1
		if name == "cross_universal.dylib" {
			want = 2 // once per slice
		}
		if n := strings.Count(strings.Join(names, "\n")+"\n", "_init_plugin\n"); n != want {
			t.Errorf("%s: _init_plugin %d times in %d names, want %d", name, n, len(names), want)
		}
	}
	for _, b := range [][]byte{nil, []byte("not a Mach-O file at all"), {0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 0}} {
		if names := machoNames(bytes.NewReader(b), int64(len(b))); names != nil {
			t.Errorf("%q: names %v", b, names)
		}
	}
}

// The machine names that depend on the class or the byte order.
func TestELFArchByClass(t *testing.T) {
	for _, tt := range []struct {
		m     elf.Machine
		class elf.Class
		data  elf.Data
		want  string
	}{
		{elf.EM_RISCV, elf.ELFCLASS64, elf.ELFDATA2LSB, "riscv64"},
		{elf.EM_RISCV, elf.ELFCLASS32, elf.ELFDATA2LSB, "riscv32"},
		{elf.EM_MIPS, elf.ELFCLASS64, elf.ELFDATA2MSB, "mips64"},
		{elf.EM_MIPS, elf.ELFCLASS32, elf.ELFDATA2MSB, "mips"},
		{elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2LSB, "ppc64le"},
	} {
		if got := elfArch(tt.m, tt.class, tt.data); got != tt.want {
			t.Errorf("%v %v: %q, want %q", tt.m, tt.class, got, tt.want)
		}
	}
}

// A PE image is a DLL, an executable, or neither, by its characteristics.
func TestPEKind(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join(testplugins.Dir(t), "cross", "cross.dll"))
	if err != nil {
		t.Fatal(err)
	}
	at := int(binary.LittleEndian.Uint32(orig[0x3c:])) + 4 + 18 // the COFF header's Characteristics
	for ch, want := range map[uint16]Kind{0x2022: SharedLibrary, 0x0022: Executable, 0x0020: OtherKind} {
		b := slices.Clone(orig)
		binary.LittleEndian.PutUint16(b[at:], ch)
		f, err := newFile(bytes.NewReader(b), reading{full: true})
		if err != nil || f.Kind != want {
			t.Errorf("characteristics %#x: %v, %v; want %v", ch, f.Kind, err, want)
		}
	}
}

// A malformed file's error says where the problem is: the offset of the
// load command with a bad size, in the whole file even when the command is
// in a universal file's slice.
func TestFormatErrorOffset(t *testing.T) {
	for _, tt := range []struct {
		name  string
		slice int64 // where the image this host would pick starts
	}{{"cross/cross_arm64.dylib", 0}, {"cross/cross_universal.dylib", -1}} {
		b, err := os.ReadFile(testplugins.Path(t, tt.name))
		if err != nil {
			t.Fatal(err)
		}
		base := tt.slice
		if base < 0 {
			ff, err := macho.NewFatFile(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(ff.Arches, func(a macho.FatArch) bool { return machoArch(a.Cpu) == HostArch() })
			if i < 0 {
				i = 0
			}
			base = int64(ff.Arches[i].Offset)
		}
		le := binary.LittleEndian
		second := base + 32 + int64(le.Uint32(b[base+32+4:])) // after the 64-bit header and the first command
		le.PutUint32(b[second+4:], 3)
		_, err = newFile(bytes.NewReader(b), reading{full: true})
		fe := &FormatError{Off: -1}
		if !errors.As(err, &fe) || fe.Off != second || !strings.Contains(err.Error(), fmt.Sprintf("at offset %#x: ", second)) ||
			!strings.Contains(err.Error(), "load command 1 has size 3") {
			t.Errorf("%s: got %v (offset %d), want load command 1 at offset %#x", tt.name, err, fe.Off, second)
		}
	}
}
