package inspect

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"testing"
)

// sameDynamic checks that the dynamic strings read from checkELFTables's
// bytes are debug/elf's DynString's, tag by tag. It reports whether the
// fast path answered (it may decline, and debug/elf is then asked).
func sameDynamic(t *testing.T, name string, r io.ReaderAt, size int64) bool {
	t.Helper()
	tables, err := checkELFTables(r, size)
	if err != nil {
		return false
	}
	ef, err := elf.NewFile(r)
	if err != nil {
		return false
	}
	sameVersions(t, name, tables, r)
	sameSymbols(t, name, tables, r)
	d, ok := tables.dynamicStrings(ef)
	if !ok {
		return false
	}
	for tag, got := range map[elf.DynTag][]string{elf.DT_NEEDED: d.needed, elf.DT_SONAME: d.soname, elf.DT_RPATH: d.rpath, elf.DT_RUNPATH: d.runpath} {
		want, err := ef.DynString(tag)
		if err != nil {
			t.Errorf("%s: %v: read without debug/elf's error %v", name, tag, err)
		} else if !slices.Equal(got, want) {
			t.Errorf("%s: %v: %q, debug/elf says %q", name, tag, got, want)
		}
	}
	return true
}

// sameVersions checks that the version needs and definitions read from
// the tables are what readELF took from debug/elf before, read either way
// debug/elf may be asked: with the dynamic symbols read first (a full
// read) or without (linkage only, as for a dependency).
func sameVersions(t *testing.T, name string, tables *elfTables, r io.ReaderAt) bool {
	t.Helper()
	for _, symbolsFirst := range []bool{false, true} {
		ef, err := elf.NewFile(r)
		if err != nil {
			return false
		}
		got, ok := tables.versions(ef)
		if !ok {
			return false
		}
		if symbolsFirst {
			_, _ = ef.DynamicSymbols()
		}
		want := debugELFVersions(ef)
		if ef.SectionByType(elf.SHT_GNU_VERDEF) == nil {
			got.defs = nil // readELF leaves them out
		}
		got.refs = nil // the symbols' part: sameSymbols checks it
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s (symbols first: %v): versions %+v, debug/elf says %+v", name, symbolsFirst, got, want)
		}
	}
	return true
}

// sameSymbols checks that the dynamic symbols read from the tables are
// debug/elf's DynamicSymbols, versions and all. It reports whether the
// tables answered.
func sameSymbols(t *testing.T, name string, tables *elfTables, r io.ReaderAt) bool {
	t.Helper()
	ef, err := elf.NewFile(r)
	if err != nil {
		return false
	}
	got, ok := tables.dynamicSymbols(ef)
	if !ok {
		return false
	}
	want, err := ef.DynamicSymbols()
	if err != nil {
		t.Errorf("%s: symbols read without debug/elf's error %v", name, err)
	} else if !reflect.DeepEqual(got, want) {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Errorf("%s: symbol %d: %+v, debug/elf says %+v", name, i, got[i], want[i])
				break
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d symbols, debug/elf says %d", name, len(got), len(want))
		}
	}
	return true
}

// On this system's libraries, rustc's and the test plugins, the dynamic
// section's strings are debug/elf's, and the fast path answers for nearly
// all of them (else it would be a path no file takes).
func TestDynamicStringsMatchDebugELF(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads this system's ELF libraries")
	}
	var dirs []string
	if dir := os.Getenv("PLUGCTL_PLUGINS"); dir != "" {
		dirs = append(dirs, dir, filepath.Join(dir, "cross"))
	}
	dirs = append(dirs, "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib")
	files, answered, versioned, symbols, linkage := 0, 0, 0, 0, 0
	for _, dir := range dirs {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !e.Type().IsRegular() || files >= 600 {
				continue
			}
			path := filepath.Join(dir, e.Name())
			f, err := os.Open(path)
			if err != nil {
				continue
			}
			var magic [4]byte
			st, err := f.Stat()
			if _, rerr := f.ReadAt(magic[:], 0); err == nil && rerr == nil && string(magic[:]) == elf.ELFMAG {
				files++
				if sameDynamic(t, path, f, st.Size()) {
					answered++
				}
				if tables, err := checkELFTables(f, st.Size()); err == nil && sameVersions(t, path, tables, f) {
					versioned++
				}
				if tables, err := checkELFTables(f, st.Size()); err == nil && sameSymbols(t, path, tables, f) {
					symbols++
				}
				// Read for linkage, without the dynamic symbols.
				if tables, err := checkELF(f, st.Size(), false); err == nil && sameVersions(t, path, tables, f) {
					linkage++
				}
			}
			f.Close()
		}
	}
	if files < 20 {
		t.Skipf("only %d ELF files found", files)
	}
	if answered < files*9/10 || versioned < files*3/4 || symbols < files*3/4 {
		t.Errorf("of %d ELF files, the dynamic strings of %d, the versions of %d and the symbols of %d were read without debug/elf", files, answered, versioned, symbols)
	}
	if linkage != versioned {
		t.Errorf("of %d ELF files, the versions of %d were read without debug/elf, but only of %d without their dynamic symbols", files, versioned, linkage)
	}
	t.Logf("%d ELF files: dynamic strings of %d, versions of %d, symbols of %d read without debug/elf", files, answered, versioned, symbols)
}

// readTables reads file both ways: checkELFTables's tables and debug/elf's
// File, each of which must take it.
func readTables(t *testing.T, name string, file []byte) (*elfTables, *elf.File) {
	t.Helper()
	tables, err := checkELFTables(bytes.NewReader(file), int64(len(file)))
	ef, err2 := elf.NewFile(bytes.NewReader(file))
	if err != nil || err2 != nil {
		t.Fatalf("%s: %v, %v", name, err, err2)
	}
	return tables, ef
}

// dynamicFile is an ELF file whose dynamic section holds entries (tag,
// value pairs) naming strings in names.
func dynamicFile(names string, entries ...uint64) []byte {
	dyn := make([]byte, 8*len(entries))
	for i, v := range entries {
		binary.LittleEndian.PutUint64(dyn[8*i:], v)
	}
	return elfWith(2, testSection{typ: elf.SHT_DYNAMIC, link: 2, data: dyn}, testSection{typ: elf.SHT_STRTAB, data: []byte(names)})
}

// The edges of debug/elf's reading: a string at the table's end with no
// NUL is none; an offset past the end, or one that int() makes negative,
// is none; empty strings count; each tag keeps its order.
func TestDynamicStringsEdges(t *testing.T) {
	n, so, rp, run := uint64(elf.DT_NEEDED), uint64(elf.DT_SONAME), uint64(elf.DT_RPATH), uint64(elf.DT_RUNPATH)
	for name, file := range map[string][]byte{
		"plain":        dynamicFile("\x00liba.so\x00libb.so\x00a:b\x00", n, 1, n, 9, so, 1, run, 17, uint64(elf.DT_NULL), 0),
		"unterminated": dynamicFile("\x00liba.so\x00tail", n, 1, n, 9, rp, 10),
		"past the end": dynamicFile("\x00liba.so\x00", n, 100, n, 1<<63, so, 8, n, 1),
		"empty":        dynamicFile("\x00", n, 0, run, 0),
	} {
		if !sameDynamic(t, name, bytes.NewReader(file), int64(len(file))) {
			t.Errorf("%s: read with debug/elf, not from the checked tables", name)
		}
	}
	// A dynamic section whose string table link is out of range, or whose
	// size is not a whole number of entries: debug/elf fails, and is asked.
	for name, file := range map[string][]byte{
		"bad link": elfWith(2, testSection{typ: elf.SHT_DYNAMIC, link: 9, data: make([]byte, 32)}, testSection{typ: elf.SHT_STRTAB, data: []byte("\x00")}),
		"ragged":   elfWith(2, testSection{typ: elf.SHT_DYNAMIC, link: 2, data: make([]byte, 20)}, testSection{typ: elf.SHT_STRTAB, data: []byte("\x00")}),
	} {
		tables, ef := readTables(t, name, file)
		if _, ok := tables.dynamicStrings(ef); ok {
			t.Errorf("%s: read from the checked tables, though debug/elf fails on it", name)
		}
	}
}

// Any bytes: where the fast path answers, it says what debug/elf says.
func FuzzELFDynamic(f *testing.F) {
	addELFSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		sameDynamic(t, "input", bytes.NewReader(b), int64(len(b)))
	})
}

// addELFSeeds seeds an ELF fuzz target with test plugins (when built)
// of several machines, these, and files with version and dynamic tables.
func addELFSeeds(f *testing.F, plugins ...string) {
	if dir := os.Getenv("PLUGCTL_PLUGINS"); dir != "" {
		for _, name := range append([]string{"libsdk_hello.so", "librunpath.so", "libneeds_version.so", "cross/libcross_ppc.so", "cross/libcross_i386.so"}, plugins...) {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add(versionFile("\x00lib.so\x00V1\x00libc.so.6\x00GLIBC_2.2.5\x00", verdefEntry(1, 0, 1, 8, 0), verneedEntry(1, 11, 21)))
	f.Add(dynamicFile("\x00liba.so\x00tail", uint64(elf.DT_NEEDED), 1, uint64(elf.DT_RPATH), 9, uint64(elf.DT_SONAME), 10))
}

// versionFile is an ELF file with dynamic symbols, a version table and the
// given version definitions and needs (raw Elf64 entries), their names in
// strings.
func versionFile(strings string, verdef, verneed []byte) []byte {
	return elfWith(2,
		testSection{typ: elf.SHT_DYNSYM, link: 2, data: make([]byte, 24*2)},
		testSection{typ: elf.SHT_STRTAB, data: []byte(strings)},
		testSection{typ: elf.SHT_GNU_VERSYM, link: 1, data: make([]byte, 4)},
		testSection{typ: elf.SHT_GNU_VERDEF, link: 2, data: verdef},
		testSection{typ: elf.SHT_GNU_VERNEED, link: 2, data: verneed})
}

// verdefEntry is one Elf64_Verdef entry (version, flags, cnt, next) with one
// Elf_Verdaux naming name.
func verdefEntry(version, flags, cnt uint16, name, next uint32) []byte {
	b := make([]byte, 28)
	le := binary.LittleEndian
	le.PutUint16(b[0:], version)
	le.PutUint16(b[2:], flags)
	le.PutUint16(b[6:], cnt)
	le.PutUint32(b[12:], 20)
	le.PutUint32(b[16:], next)
	le.PutUint32(b[20:], name)
	return b
}

// verneedEntry is one Elf64_Verneed entry for the library at file, with one
// Elf_Vernaux for each of names.
func verneedEntry(version uint16, file uint32, names ...uint32) []byte {
	b := make([]byte, 16+16*len(names))
	le := binary.LittleEndian
	le.PutUint16(b[0:], version)
	le.PutUint16(b[2:], uint16(len(names)))
	le.PutUint32(b[4:], file)
	le.PutUint32(b[8:], 16)
	for i, n := range names {
		a := b[16+16*i:]
		le.PutUint32(a[8:], n)
		if i+1 < len(names) {
			le.PutUint32(a[12:], 16)
		}
	}
	return b
}

// The version tables' edges: the file's own name (VER_FLG_BASE) is no
// version it defines; an entry debug/elf refuses (a version other than 1,
// a definition with no name) makes the tables decline, so that debug/elf
// answers as before.
func TestVersionsEdges(t *testing.T) {
	const names = "\x00lib.so\x00V1\x00libc.so.6\x00GLIBC_2.2.5\x00GLIBC_2.34\x00"
	// offsets:       1       8   11          21            33
	good := versionFile(names, append(verdefEntry(1, uint16(elf.VER_FLG_BASE), 1, 1, 28), verdefEntry(1, 0, 1, 8, 0)...), verneedEntry(1, 11, 21, 33))
	tables, ef := readTables(t, "good", good)
	if !sameVersions(t, "good", tables, bytes.NewReader(good)) {
		t.Fatal("good: read with debug/elf, not from the checked tables")
	}
	v, _ := tables.versions(ef)
	v.refs = nil
	if want := (elfVersions{needs: []VersionNeed{{"libc.so.6", []string{"GLIBC_2.2.5", "GLIBC_2.34"}}}, defs: []string{"V1"}}); !reflect.DeepEqual(v, want) {
		t.Errorf("good: %+v, want %+v", v, want)
	}
	for name, file := range map[string][]byte{
		"definition version 2": versionFile(names, verdefEntry(2, 0, 1, 8, 0), verneedEntry(1, 11, 21)),
		"definition unnamed":   versionFile(names, verdefEntry(1, 0, 0, 8, 0), verneedEntry(1, 11, 21)),
		"need version 2":       versionFile(names, verdefEntry(1, 0, 1, 8, 0), verneedEntry(2, 11, 21)),
	} {
		tables, ef := readTables(t, name, file)
		if _, ok := tables.versions(ef); ok {
			t.Errorf("%s: read from the checked tables, though debug/elf refuses it", name)
		}
		if _, ok := tables.dynamicSymbols(ef); ok {
			t.Errorf("%s: symbols read from the checked tables, though debug/elf refuses their versions", name)
		}
	}
}

// A symbol's version comes from the version table (SHT_GNU_VERSYM), its
// index looked up among the needs first, then the definitions; index 0
// and 1 (local, global) name no version; an index no table lists gives
// none at all.
func TestSymbolVersions(t *testing.T) {
	le := binary.LittleEndian
	const names = "\x00lib.so\x00V1\x00libc.so.6\x00GLIBC_2.2.5\x00f\x00g\x00h\x00i\x00"
	// offsets:       1       8   11          21            33 35 37 39
	syms := make([]byte, 24*5)
	for i, off := range []uint32{33, 35, 37, 39} {
		le.PutUint32(syms[24*(i+1):], off)
		syms[24*(i+1)+4] = byte(elf.STB_GLOBAL)<<4 | byte(elf.STT_FUNC)
	}
	versym := make([]byte, 2*5)
	for i, ndx := range []uint16{2, 3, 1, 9} { // a need, a definition, global, unknown
		le.PutUint16(versym[2*(i+1):], ndx)
	}
	// The definition's index: its own (3), or the need's (2), which the
	// need then keeps.
	for defIndex, want := range map[uint16][]string{
		3: {"f@GLIBC_2.2.5/libc.so.6", "g@V1/", "h@/", "i@/"},
		2: {"f@GLIBC_2.2.5/libc.so.6", "g@/", "h@/", "i@/"},
	} {
		need := verneedEntry(1, 11, 21)
		le.PutUint16(need[16+6:], 2) // vna_other: the need's index
		def := verdefEntry(1, 0, 1, 8, 0)
		le.PutUint16(def[4:], defIndex) // vd_ndx
		file := elfWith(2,
			testSection{typ: elf.SHT_DYNSYM, link: 2, data: syms},
			testSection{typ: elf.SHT_STRTAB, data: []byte(names)},
			testSection{typ: elf.SHT_GNU_VERSYM, link: 1, data: versym},
			testSection{typ: elf.SHT_GNU_VERDEF, link: 2, data: def},
			testSection{typ: elf.SHT_GNU_VERNEED, link: 2, data: need})
		tables, ef := readTables(t, "versioned", file)
		if !sameSymbols(t, "versioned", tables, bytes.NewReader(file)) {
			t.Fatal("read with debug/elf, not from the checked tables")
		}
		got, _ := tables.dynamicSymbols(ef)
		var seen []string
		for _, s := range got {
			seen = append(seen, s.Name+"@"+s.Version+"/"+s.Library)
		}
		if !slices.Equal(seen, want) {
			t.Errorf("definition index %d: symbols %q, want %q", defIndex, seen, want)
		}
	}
}

// A file read for its linkage is read without its dynamic symbols, and is
// not refused for them, unless debug/elf is to decode them after all (for
// versions the tables cannot answer): then they are checked first, as a
// full read checks them.
func TestLinkageLeavesSymbolsUnread(t *testing.T) {
	// Six symbols named by one name of 100,000 bytes: debug/elf would
	// copy it six times, which a full read refuses (ErrNameReuse).
	dynsym := testSection{typ: elf.SHT_DYNSYM, link: 2, data: make([]byte, 24*6)}
	long := testSection{typ: elf.SHT_STRTAB, data: longName(100_000)}
	versym := testSection{typ: elf.SHT_GNU_VERSYM, link: 1, data: make([]byte, 2*6)}
	symsAt, symsEnd := int64(64), int64(64+24*6) // elfWith puts the first section's bytes after the header
	file := elfWith(0, dynsym, long, versym)
	r := &recordingReader{r: bytes.NewReader(file)}
	if _, err := newFile(r, reading{}); err != nil {
		t.Errorf("linkage: %v", err)
	}
	for _, rd := range r.reads {
		if rd[0] < symsEnd-1 && rd[0]+rd[1] > symsAt {
			t.Errorf("linkage read %d bytes at %d: the dynamic symbols (%d to %d)", rd[1], rd[0], symsAt, symsEnd)
		}
	}
	if _, err := newFile(bytes.NewReader(file), reading{full: true}); !errors.Is(err, ErrNameReuse) {
		t.Errorf("full: %v, want %v", err, ErrNameReuse)
	}
	// Without a version table there are no versions: debug/elf is not
	// asked.
	if _, err := newFile(bytes.NewReader(elfWith(0, dynsym, long)), reading{}); err != nil {
		t.Errorf("linkage, no version table: %v", err)
	}
	// With version needs the tables cannot read (outside the file),
	// debug/elf decodes the symbols to find the versions.
	unread := elfWith(0, dynsym, long, versym, testSection{typ: elf.SHT_GNU_VERNEED, link: 2, data: make([]byte, 16)})
	shoff := binary.LittleEndian.Uint64(unread[40:])
	binary.LittleEndian.PutUint64(unread[shoff+64*4+24:], uint64(len(unread))+4096)
	if _, err := newFile(bytes.NewReader(unread), reading{}); !errors.Is(err, ErrNameReuse) {
		t.Errorf("linkage, versions outside the file: %v, want %v", err, ErrNameReuse)
	}
}

// recordingReader records the offset and length of each read.
type recordingReader struct {
	r     *bytes.Reader
	reads [][2]int64
}

func (r *recordingReader) ReadAt(p []byte, off int64) (int, error) {
	r.reads = append(r.reads, [2]int64{off, int64(len(p))})
	return r.r.ReadAt(p, off)
}

func (r *recordingReader) Size() int64 { return r.r.Size() }
