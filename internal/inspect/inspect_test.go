package inspect

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/plugctl/plugctl/internal/testplugins"
)

func TestSamplePlugins(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the sample plugins are built for linux/amd64 here")
	}
	tests := []struct {
		file         string
		kind         Kind
		rust         bool
		mangled      string // prefix
		manifestSize int64
	}{
		{"libplain.so", SharedLibrary, false, "", -1},
		{"libsdk_hello.so", SharedLibrary, false, "", 120},
		{"libmanifest_short.so", SharedLibrary, false, "", 4},
		{"libsdk_rust.so", SharedLibrary, true, "", 120},
		{"libmangled.so", SharedLibrary, true, "_ZN7mangled11init_plugin17h", -1},
		{"program", Executable, false, "", -1},
	}
	for _, tt := range tests {
		f, err := Open(testplugins.Path(t, tt.file))
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if f.Format != ELF || f.Arch != "x86_64" || f.Bits != 64 || f.OS != "linux" || f.Kind != tt.kind {
			t.Errorf("%s: got %s %s %d-bit %s %s", tt.file, f.Format, f.Arch, f.Bits, f.OS, f.Kind)
		}
		if f.Rust != tt.rust {
			t.Errorf("%s: Rust = %v", tt.file, f.Rust)
		}
		got := MangledEntry(testplugins.Path(t, tt.file), "init_plugin")
		if !strings.HasPrefix(got, tt.mangled) || (tt.mangled == "") != (got == "") {
			t.Errorf("%s: MangledEntry = %q, want prefix %q", tt.file, got, tt.mangled)
		}
		if f.ManifestSize != tt.manifestSize {
			t.Errorf("%s: ManifestSize = %d, want %d", tt.file, f.ManifestSize, tt.manifestSize)
		}
		if tt.kind == SharedLibrary {
			if err := f.CheckHost(); err != nil {
				t.Errorf("%s: CheckHost: %v", tt.file, err)
			}
		}
	}
}

// A real library with its machine field changed: another architecture.
func TestCheckHostForeignMachine(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("needs the linux/amd64 sample plugins")
	}
	b, err := os.ReadFile(testplugins.Path(t, "libplain.so"))
	if err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint16(b[18:], 183) // EM_AARCH64
	f, err := newFile(bytes.NewReader(b), reading{full: true})
	if err != nil {
		t.Fatal(err)
	}
	var inc *IncompatibleError
	if err := f.CheckHost(); !errors.As(err, &inc) || !strings.Contains(err.Error(), "built for aarch64 (64-bit)") {
		t.Errorf("CheckHost = %v", err)
	}
}

func TestHostileBytes(t *testing.T) {
	elfHeader := func(mut func([]byte)) []byte {
		b := make([]byte, 64)
		copy(b, "\x7fELF\x02\x01\x01")
		binary.LittleEndian.PutUint16(b[16:], 3)
		binary.LittleEndian.PutUint16(b[18:], 62)
		binary.LittleEndian.PutUint32(b[20:], 1)
		mut(b)
		return b
	}
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrNotObject},
		{"zeros", make([]byte, 4096), ErrNotObject},
		{"text", []byte("#!/bin/sh\necho hi\n"), ErrNotObject},
		{"truncated ELF", []byte("\x7fELF\x02\x01"), nil},
		{"section headers past the end", elfHeader(func(b []byte) {
			binary.LittleEndian.PutUint64(b[40:], 1<<40) // e_shoff
			binary.LittleEndian.PutUint16(b[58:], 64)
			binary.LittleEndian.PutUint16(b[60:], 0xffff) // e_shnum
		}), nil},
		{"MZ only", []byte("MZ"), nil},
		{"fat Mach-O with no room", []byte{0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 200}, nil},
	}
	for _, tt := range tests {
		f, err := newFile(bytes.NewReader(tt.b), reading{full: true})
		if err == nil {
			// Some headers are valid enough; they must still say what they are.
			if f.Format == "" {
				t.Errorf("%s: no error and no format", tt.name)
			}
			continue
		}
		if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestOpenNotRegular(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir); !errors.Is(err, ErrNotObject) {
		t.Errorf("directory: got %v", err)
	}
	if _, err := Open(filepath.Join(dir, "missing.so")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing: got %v", err)
	}
}

func TestFindMangledEntry(t *testing.T) {
	tests := []struct {
		names  []string
		prefix string
		want   string
	}{
		{[]string{"init_plugin"}, "", ""},
		{[]string{"x", "_ZN7mangled11init_plugin17h0123456789abcdefE"}, "", "_ZN7mangled11init_plugin17h0123456789abcdefE"},
		{[]string{"_RNvCs1234_7mangled11init_plugin"}, "", "_RNvCs1234_7mangled11init_plugin"},
		{[]string{"_Z11init_pluginPvPK13HostFunctions"}, "", "_Z11init_pluginPvPK13HostFunctions"},
		{[]string{"__ZN7mangled11init_plugin17hE"}, "_", "__ZN7mangled11init_plugin17hE"},
		{[]string{"_ZN3foo14my_init_plugin17hE"}, "", ""}, // another function
		{[]string{"my11init_plugin"}, "", ""},
	}
	for _, tt := range tests {
		if got := findMangledEntry(tt.names, tt.prefix, "init_plugin"); got != tt.want {
			t.Errorf("findMangledEntry(%q) = %q, want %q", tt.names, got, tt.want)
		}
	}
}

// The fuzz targets: any bytes give a File or an error, never a panic or a
// hang. There is one per format, each seeded with that format's fixtures
// (when `make plugins` has built them) so that the fuzzer starts deep inside
// its parser: ELF (both classes and byte orders, with versions, RUNPATH and
// a manifest), PE (export and import directories) and Mach-O (load
// commands, universal files).

func FuzzELF(f *testing.F) {
	fuzzReader(f, []string{"libsdk_hello.so", "librunpath.so", "libneeds_version.so", "cross/libcross_ppc.so", "cross/libcross_aarch64.so"},
		"\x7fELF\x02\x01\x01", string(elfWith(2,
			testSection{typ: elf.SHT_DYNSYM, link: 2, data: make([]byte, 24*4)},
			testSection{typ: elf.SHT_STRTAB, data: longName(16)})))
}

func FuzzPE(f *testing.F) {
	fuzzReader(f, []string{"cross/cross.dll", "cross/cross_needs.dll"}, "MZ\x90\x00", string(peSymbolsFile(4, 16)))
}

func FuzzMachO(f *testing.F) {
	fuzzReader(f, []string{"cross/cross_x86_64.dylib", "cross/cross_rpath.dylib", "cross/cross_universal.dylib"},
		"\xcf\xfa\xed\xfe\x07\x00\x00\x01", "\xca\xfe\xba\xbe\x00\x00\x00\x02", string(machoSymtabFile(2, 4, 16)))
}

func fuzzReader(f *testing.F, fixtures []string, seeds ...string) {
	if dir := os.Getenv("PLUGCTL_PLUGINS"); dir != "" {
		for _, name := range fixtures {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
				f.Add(b)
			}
		}
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			file, err := newFile(bytes.NewReader(b), reading{full: true})
			if err == nil {
				_ = file.CheckHost()
				for _, x := range file.Exports {
					_ = RustCrates(x.Name)
				}
			}
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("newFile took over 5s on %d bytes", len(b))
		}
	})
}

func TestKindPhrase(t *testing.T) {
	for k, want := range map[Kind]string{SharedLibrary: "a shared library", Executable: "an executable",
		Object: "an object file", OtherKind: "another kind of object file", "": "a "} {
		if got := k.Phrase(); got != want {
			t.Errorf("%q.Phrase() = %q, want %q", k, got, want)
		}
	}
}

// OpenData keeps the bytes of the data symbols asked for, in every format:
// here the manifest, which begins with its magic; a symbol the file does
// not export has none.
func TestOpenData(t *testing.T) {
	for _, name := range []string{"libsdk_hello.so", "cross/cross.dll", "cross/cross_x86_64.dylib", "cross/libcross_ppc64.so", "cross/libcross_i386.so"} {
		f, err := OpenData(testplugins.Path(t, name), "plugin_manifest", "no_such_symbol")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := f.Data["plugin_manifest"]; len(b) < 120 || string(b[:8]) != "PLUGCTLM" {
			t.Errorf("%s: plugin_manifest's data: %q", name, b)
		}
		if _, ok := f.Data["no_such_symbol"]; ok {
			t.Errorf("%s: data for a symbol it does not export", name)
		}
	}
	// A data export besides the manifest, int cross_counter = 0, in .bss:
	// ELF and Mach-O read it as the zeros it is mapped as; PE, which reads
	// only bytes the file holds, has none to keep.
	for name, want := range map[string]string{"cross/cross.dll": "none", "cross/cross_x86_64.dylib": "\x00\x00\x00\x00", "cross/libcross_ppc64.so": "\x00\x00\x00\x00", "cross/libcross_i386.so": "\x00\x00\x00\x00"} {
		f, err := OpenData(testplugins.Path(t, name), "cross_counter")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := "none"
		if b, ok := f.Data["cross_counter"]; ok {
			got = string(b)
		}
		if got != want {
			t.Errorf("%s: cross_counter's data: %q, want %q", name, got, want)
		}
	}
	// An initialised one, a DLL's const function pointer: its 8 bytes and
	// what follows them (a PE export has no size).
	if f, err := OpenData(testplugins.Path(t, "cross/cross_needs.dll"), "cross_dep"); err != nil || len(f.Data["cross_dep"]) < 8 {
		t.Errorf("cross_needs.dll: cross_dep's data: %v", err)
	}
	f, err := Open(testplugins.Path(t, "libsdk_hello.so"))
	if err != nil || f.Data != nil {
		t.Errorf("Open keeps data it was not asked for: %v %v", f.Data, err)
	}
}

// namesWith finds a name wherever the reads cut the string table: across
// reads (one made to end inside a name), first, last.
func TestNamesWith(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("_ZN1a11init_plugin17hE\x00")
	for b.Len() < 1<<20-7 {
		b.WriteString("filler\x00")
	}
	b.WriteString("_ZN4cross11init_plugin17hE\x00") // across the first megabyte
	b.WriteString("last11init_plugin\x00")
	all := []string{"_ZN1a11init_plugin17hE", "_ZN4cross11init_plugin17hE", "last11init_plugin"}
	cut := bytes.Index(b.Bytes(), []byte("cross11init")) + 5 // a read that ends inside a name
	size := uint64(b.Len())
	for _, c := range []struct {
		r    io.Reader
		size uint64
		want []string
	}{
		{bytes.NewReader(b.Bytes()), size, all},
		{io.MultiReader(bytes.NewReader(b.Bytes()[:cut]), bytes.NewReader(b.Bytes()[cut:])), size, all},
		{iotest.HalfReader(bytes.NewReader(b.Bytes())), size, all},
		{iotest.OneByteReader(bytes.NewReader(b.Bytes()[:2000])), 2000, all[:1]},
		{iotest.HalfReader(bytes.NewReader(b.Bytes()[:2000])), 2000, all[:1]},
		// A table that is larger than its section header says is read
		// as far as the header says.
		{bytes.NewReader(b.Bytes()[:2000]), 10, nil},
	} {
		if got := namesWith(c.r, c.size, []byte("11init_plugin")); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("namesWith = %q, want %q", got, c.want)
		}
	}
}

// A small string table is searched in a buffer of its size: explaining a
// small plugin's missing entry point allocated and cleared a megabyte, which
// made verify's preflight of such a plugin take 4 ms.
func TestNamesWithSmallTable(t *testing.T) {
	table := []byte("\x00_ZN1a11init_plugin17hE\x00other\x00")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got := namesWith(bytes.NewReader(table), uint64(len(table)), []byte("11init_plugin"))
	runtime.ReadMemStats(&after)
	if len(got) != 1 || got[0] != "_ZN1a11init_plugin17hE" {
		t.Errorf("namesWith = %q", got)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 4096 {
		t.Errorf("namesWith allocated %d bytes for a %d-byte table", n, len(table))
	}
}

// exports takes each name from the export directory read whole when the
// name is in it, and from the file otherwise: cross.dll with its directory
// said to end before all its names, or in the middle of them, lists the
// same exports.
func TestPEExportNamesPastTheDirectory(t *testing.T) {
	b, err := os.ReadFile(testplugins.Path(t, "cross/cross.dll"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := newFile(bytes.NewReader(b), reading{full: true})
	if err != nil || len(want.Exports) < 2 {
		t.Fatalf("cross.dll: %v, %d exports", err, len(want.Exports))
	}
	le := binary.LittleEndian
	opt := int(le.Uint32(b[0x3c:])) + 4 + 20
	dirs := opt + 112 // PE32+
	if le.Uint16(b[opt:]) == 0x10b {
		dirs = opt + 96 // PE32
	}
	size := le.Uint32(b[dirs+4:])
	for _, cut := range []uint32{41, size / 2, size - 3} {
		c := bytes.Clone(b)
		le.PutUint32(c[dirs+4:], cut)
		got, err := newFile(bytes.NewReader(c), reading{full: true})
		if err != nil {
			t.Fatalf("directory of %d bytes: %v", cut, err)
		}
		if !slices.Equal(got.Exports, want.Exports) {
			t.Errorf("directory of %d bytes: exports %v, want %v", cut, got.Exports, want.Exports)
		}
	}
}

// indexBy finds what bytes.Index finds, whichever byte of the needle it
// looks for first.
func FuzzIndexBy(f *testing.F) {
	f.Add([]byte("_R11init_pluginx\x0011init_plugin"), []byte("11init_plugin"))
	f.Add([]byte("aaab"), []byte("ab"))
	f.Fuzz(func(t *testing.T, b, s []byte) {
		want := bytes.Index(b, s)
		for k := range max(len(s), 1) {
			if got := indexBy(b, s, k); got != want {
				t.Fatalf("indexBy(%q, %q, %d) = %d, bytes.Index says %d", b, s, k, got, want)
			}
		}
	})
}
