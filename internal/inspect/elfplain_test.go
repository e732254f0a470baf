package inspect

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/plugctl/plugctl/internal/testplugins"
)

// plainReadings are the ways a file is read: whole, with data symbols
// asked for (an ABI description's descriptor), and for its linkage only.
var plainReadings = []reading{
	{full: true, data: map[string]bool{"clap_entry": true, "gst_plugin_desc": true, "cross_counter": true}},
	{full: true},
	{},
}

// samePlain checks that where the tables read a file alone (a plain
// file), debug/elf reads it too and readDebugELF makes the same File of
// it, read each way. It reports whether the tables read it.
func samePlain(t *testing.T, name string, r io.ReaderAt, size int64) (answered bool) {
	t.Helper()
	for _, want := range plainReadings {
		tables, err := checkELF(r, size, want.full)
		if err != nil {
			return false
		}
		got, ok := tables.file(want)
		if !ok {
			continue
		}
		answered = true
		other, _ := checkELF(r, size, want.full)
		wantFile, err := debugELFRead(r, other, want)
		switch {
		case err != nil:
			t.Errorf("%s (%+v): read as a plain file, but debug/elf says %v", name, want, err)
		case !reflect.DeepEqual(got, wantFile):
			t.Errorf("%s (%+v): read as a plain file\n%+v\ndebug/elf's reading\n%+v", name, want, got, wantFile)
		}
	}
	return answered
}

// debugELFRead is readDebugELF, its panics an error.
func debugELFRead(r io.ReaderAt, tables *elfTables, want reading) (f *File, err error) {
	defer func() {
		if p := recover(); p != nil {
			f, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	return readDebugELF(r, tables, want)
}

// On the test plugins, rustc's and this system's libraries, a plain file
// reads as debug/elf reads it, and nearly every file is plain (else the
// fast path would be one no file takes).
func TestPlainIsDebugELF(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads this system's ELF libraries")
	}
	var dirs []string
	if dir := os.Getenv("PLUGCTL_PLUGINS"); dir != "" {
		dirs = append(dirs, dir, filepath.Join(dir, "cross"), filepath.Join(dir, "abi"))
	}
	dirs = append(dirs, "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/usr/lib/debug/.build-id/00", "/usr/bin")
	files, plain := 0, 0
	for _, dir := range dirs {
		entries, _ := os.ReadDir(dir)
		for k, e := range entries {
			if !e.Type().IsRegular() || k > 300 {
				continue
			}
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil || len(b) < 4 || string(b[:4]) != elf.ELFMAG || len(b) > 16<<20 {
				continue
			}
			files++
			// Read in place, as Open reads a file of this size.
			if samePlain(t, e.Name(), newMemFile(b), int64(len(b))) {
				plain++
			}
		}
	}
	if files < 20 {
		t.Skipf("only %d ELF files found", files)
	}
	if plain < files*9/10 {
		t.Errorf("of %d ELF files only %d were read as plain files", files, plain)
	}
	t.Logf("%d ELF files, %d plain", files, plain)
}

// Files NewFile refuses, or that the tables cannot answer for, are not
// plain; those it reads as the tables do are.
func TestPlainEdges(t *testing.T) {
	good := dynamicFile("\x00liba.so\x00", uint64(elf.DT_NEEDED), 1)
	set := func(b []byte, off int, v ...byte) []byte {
		b = bytes.Clone(b)
		copy(b[off:], v)
		return b
	}
	shoff := int(binary.LittleEndian.Uint64(good[0x28:]))
	section := func(i, field int) int { return shoff + 64*i + field }
	// withProg is b with one program header of 56 bytes, at its end.
	withProg := func(b []byte, typ elf.ProgType, off, filesz, memsz uint64) []byte {
		p := make([]byte, 56)
		binary.LittleEndian.PutUint32(p, uint32(typ))
		binary.LittleEndian.PutUint64(p[8:], off)
		binary.LittleEndian.PutUint64(p[32:], filesz)
		binary.LittleEndian.PutUint64(p[40:], memsz)
		b = set(append(bytes.Clone(b), p...), 0x36, 56, 0, 1)
		binary.LittleEndian.PutUint64(b[0x20:], uint64(len(b)-56))
		return b
	}
	zdebug := dynamicFile("\x00liba.so\x00.zdebug_x\x00", uint64(elf.DT_NEEDED), 1)
	zdebugName := int(binary.LittleEndian.Uint64(zdebug[0x28:])) + 64 // section 1's name
	// Two sections of each name readELF asks for: debug/elf's Section
	// gives the first (here not empty, and from rustc).
	shared := elfWith(5,
		testSection{name: 1, typ: elf.SHT_PROGBITS, data: make([]byte, 16)},
		testSection{name: 1, typ: elf.SHT_NOBITS, data: make([]byte, 16)},
		testSection{name: 10, typ: elf.SHT_PROGBITS, data: []byte("rustc version 1.90\x00")},
		testSection{name: 10, typ: elf.SHT_PROGBITS, data: []byte("GCC\x00")},
		testSection{typ: elf.SHT_STRTAB, data: []byte("\x00.dynamic\x00.comment\x00")})
	for name, tt := range map[string]struct {
		file  []byte
		plain bool
	}{
		"plain":                         {good, true},
		"EI_VERSION 2":                  {set(good, elf.EI_VERSION, 2), false},
		"e_version 2":                   {set(good, 0x14, 2), false},
		"section names in section 0":    {set(good, 0x3c, 0, 0), false},
		"no section name table":         {set(good, 0x3e, 0, 0), false},
		"name table index past the end": {set(good, 0x3e, 9, 0), false},
		"name table not a string table": {set(good, section(2, 4), byte(elf.SHT_PROGBITS)), false},
		"a name past the table":         {set(good, section(1, 0), 0xff), false},
		"a compressed section":          {set(good, section(0, 9), byte(elf.SHF_COMPRESSED>>8)), false},
		"a section offset past 1<<63":   {set(good, section(1, 24+7), 0x80), false},
		"program headers too small":     {set(good, 0x36, 32, 0, 1), false},
		"program headers past the end":  {set(set(good, 0x36, 56, 0, 1), 0x20, 0, 0, 0, 1), false},
		"program headers at 1<<63":      {set(good, 0x20+7, 0x80), false},
		"a named section":               {set(zdebug, zdebugName, 1), true},
		"a section named .zdebug_x":     {set(zdebug, zdebugName, 9), false},
		"a segment at 1<<63":            {withProg(good, elf.PT_LOAD, 1<<63, 0, 0), false},
		"a segment of 1<<63 bytes":      {withProg(good, elf.PT_LOAD, 0, 1<<63, 1<<63), false},
		"a loaded segment":              {withProg(good, elf.PT_LOAD, 0, 64, 64), true},
		"an empty dynamic segment":      {withProg(good, elf.PT_DYNAMIC, 0x40, 0, 16), true},
		"sections that share a name":    {shared, true},
		// Read to the end only when damaged: it has no dynamic symbols.
		"sections that share a name, damaged": {withProg(shared, elf.PT_DYNAMIC, 0x40, 0, 16), true},
	} {
		tables, err := checkELFTables(bytes.NewReader(tt.file), int64(len(tt.file)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := tables != nil && tables.plain(); got != tt.plain {
			t.Errorf("%s: plain %v, want %v", name, got, tt.plain)
		}
		if tt.plain {
			if _, err := elf.NewFile(bytes.NewReader(tt.file)); err != nil {
				t.Errorf("%s: plain, but debug/elf says %v", name, err)
			}
			f, ok := tables.file(reading{full: true})
			wantDamaged := name == "an empty dynamic segment" || strings.HasSuffix(name, ", damaged")
			if damaged := ok && len(f.Damaged) > 0; damaged != wantDamaged {
				t.Errorf("%s: read %v, damaged %v", name, ok, damaged)
			}
		}
		samePlain(t, name, bytes.NewReader(tt.file), int64(len(tt.file)))
	}
}

// Any bytes: a file read as plain is one debug/elf reads, to the same
// File.
func FuzzPlainELF(f *testing.F) {
	addELFSeeds(f, "abi/libclap_ok.so")
	f.Fuzz(func(t *testing.T, b []byte) {
		samePlain(t, "input", bytes.NewReader(b), int64(len(b)))
	})
}

// The names of a file read whole outlive its buffer, which the next file
// reuses: scribbling over every pooled buffer leaves them as they were.
func TestNamesOutliveTheBuffer(t *testing.T) {
	path := testplugins.Path(t, "libsdk_hello.so")
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var before []string
	for _, x := range f.Exports {
		before = append(before, strings.Clone(x.Name))
	}
	var held []*[]byte
	for b, ok := wholeFiles.Get().(*[]byte); ok; b, ok = wholeFiles.Get().(*[]byte) {
		full := (*b)[:cap(*b)]
		for i := range full {
			full[i] = 'X'
		}
		held = append(held, b)
	}
	if len(held) == 0 {
		t.Skip("the buffer left the pool")
	}
	for i, x := range f.Exports {
		if x.Name != before[i] {
			t.Fatalf("export %d: %q, was %q before the buffer was reused", i, x.Name, before[i])
		}
	}
}
