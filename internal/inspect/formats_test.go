package inspect

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/plugctl/plugctl/internal/testplugins"
)

// The fixtures built for other systems: every format, both byte orders,
// both word sizes, each read the same way from any host.
func TestForeignFixtures(t *testing.T) {
	dir := filepath.Join(testplugins.Dir(t), "cross")
	type want struct {
		format    Format
		arch      string
		bits      int
		os        string
		order     binary.ByteOrder
		archs     []string
		needed    []string
		rpath     []string
		tableSize uint32
	}
	tests := map[string]want{
		"libcross_aarch64.so":   {ELF, "aarch64", 64, "linux", binary.LittleEndian, nil, nil, nil, 16},
		"libcross_i386.so":      {ELF, "i386", 32, "linux", binary.LittleEndian, nil, nil, nil, 8},
		"libcross_ppc64.so":     {ELF, "ppc64", 64, "linux", binary.BigEndian, nil, nil, nil, 16},
		"libcross_ppc.so":       {ELF, "ppc", 32, "linux", binary.BigEndian, nil, nil, nil, 8},
		"cross_x86_64.dylib":    {MachO, "x86_64", 64, "darwin", binary.LittleEndian, nil, nil, nil, 16},
		"cross_arm64.dylib":     {MachO, "aarch64", 64, "darwin", binary.LittleEndian, nil, nil, nil, 16},
		"cross_universal.dylib": {MachO, "x86_64", 64, "darwin", binary.LittleEndian, []string{"x86_64", "aarch64"}, nil, nil, 16},
		"cross_rpath.dylib": {MachO, "aarch64", 64, "darwin", binary.LittleEndian, nil,
			[]string{"@rpath/libcrossdep.dylib", "@rpath/libcrossgone.dylib"}, []string{"@loader_path/macdeps"}, 16},
		"cross.dll":       {PE, "x86_64", 64, "windows", binary.LittleEndian, nil, []string{"KERNEL32.dll", "msvcrt.dll"}, nil, 16},
		"cross_needs.dll": {PE, "x86_64", 64, "windows", binary.LittleEndian, nil, []string{"KERNEL32.dll", "msvcrt.dll", "crossdep.dll"}, nil, 16},
	}
	for name, w := range tests {
		f, err := Open(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if f.Format != w.format || f.Arch != w.arch || f.Bits != w.bits || f.OS != w.os || f.ByteOrder != w.order || f.Kind != SharedLibrary {
			t.Errorf("%s: got %s %s %d-bit %s %v %s", name, f.Format, f.Arch, f.Bits, f.OS, f.ByteOrder, f.Kind)
		}
		if !slices.Equal(f.Archs, w.archs) {
			t.Errorf("%s: Archs = %v, want %v", name, f.Archs, w.archs)
		}
		var needed []string
		for _, d := range f.Needed {
			needed = append(needed, d.Name)
		}
		if !slices.Equal(needed, w.needed) {
			t.Errorf("%s: Needed = %v, want %v", name, needed, w.needed)
		}
		if !slices.Equal(f.RPath, w.rpath) {
			t.Errorf("%s: RPath = %v, want %v", name, f.RPath, w.rpath)
		}
		// Every fixture exports the entry point (code), the manifest and a
		// counter (data).
		kinds := map[string]SymbolKind{}
		for _, x := range f.Exports {
			kinds[x.Name] = x.Kind
		}
		if kinds["init_plugin"] != Function || kinds["plugin_manifest"] != Data || kinds["cross_counter"] != Data {
			t.Errorf("%s: exports %v", name, f.Exports)
		}
		// The manifest is read from the file in the file's byte order.
		m := f.ManifestData
		if len(m) < 120 || string(m[:8]) != "PLUGCTLM" || w.order.Uint32(m[8:]) != 1 || w.order.Uint32(m[12:]) != 1 ||
			w.order.Uint32(m[16:]) != w.tableSize || !bytes.HasPrefix(m[24:], []byte("cross\x00")) {
			t.Errorf("%s: manifest bytes %q", name, m[:min(len(m), 40)])
		}
		if err := f.CheckHost(); err == nil && !(f.Format == ELF && f.Arch == HostArch()) {
			t.Errorf("%s: CheckHost accepts it", name)
		}
	}
}

// ELF exports are the set nm -D --defined-only prints, on the samples and on
// some of this system's libraries.
func TestExportsMatchNm(t *testing.T) {
	if _, err := exec.LookPath("nm"); err != nil {
		t.Fatal("nm not found: it comes with binutils")
	}
	dir := testplugins.Dir(t)
	files := []string{"libsdk_hello.so", "libplain_rust.so", "liblinks_host.so", "cross/libcross_ppc64.so", "deps/ver1/libverdep.so"}
	for i := range files {
		files[i] = filepath.Join(dir, files[i])
	}
	for _, lib := range []string{"libc.so.6", "libm.so.6", "libstdc++.so.6", "libz.so.1"} {
		for _, d := range []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64"} {
			if _, err := os.Stat(filepath.Join(d, lib)); err == nil {
				files = append(files, filepath.Join(d, lib))
				break
			}
		}
	}
	for _, path := range files {
		out, err := exec.Command("nm", "-D", "--defined-only", path).Output()
		if err != nil {
			t.Fatalf("nm %s: %v", path, err)
		}
		var want []string
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			fields := strings.Fields(line)
			if len(fields) == 0 {
				continue
			}
			name, _, _ := strings.Cut(fields[len(fields)-1], "@")
			want = append(want, name)
		}
		slices.Sort(want)
		want = slices.Compact(want)
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, x := range f.Exports {
			got = append(got, x.Name)
		}
		got = slices.Compact(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d exports, nm -D --defined-only lists %d", path, len(got), len(want))
			for _, n := range want {
				if !slices.Contains(got, n) {
					t.Errorf("  missing %s", n)
					break
				}
			}
			for _, n := range got {
				if !slices.Contains(want, n) {
					t.Errorf("  extra %s", n)
					break
				}
			}
		}
	}
}

func TestRustCrates(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{"_ZN8host_app8Registry8register17h0123456789abcdefE", []string{"host_app"}},
		{"_RNvMNtCslNYArtu3iFV_5alloc6stringNtB2_6String10from_utf16", []string{"alloc"}},
		{"_RNvCsfLfy6EI15iL_7___rustc10rust_panic", []string{"__rustc"}},
		// A primitive type's path has no disambiguator: not a crate.
		{"_RNvXs0_NtNtCsgEmfK2I1SDS_4core3num7dec2fltC3f16NtNtNtB9_3str6traits7FromStr8from_str", []string{"core"}},
		{"_RINvMNtCsgEmfK2I1SDS_4core3stre18trim_start_matchesReECsgY6Mt91CT9J_14rustc_demangle", []string{"core", "rustc_demangle"}},
		{"init_plugin", nil},
		{"_ZN999", nil},
	}
	for _, tt := range tests {
		if got := RustCrates(tt.name); !slices.Equal(got, tt.want) {
			t.Errorf("RustCrates(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
	if !IsRustMangled("_ZN8host_app3foo17h0123456789abcdefE") || IsRustMangled("_ZN3foo3barEv") || !IsRustMangled("_RNvC1a1b") {
		t.Error("IsRustMangled")
	}
	for name, want := range map[string]bool{"libstd-d1237ef7159db0a2.so": true, "std-0123abcd.dll": true, "libstd.so": false, "libstdc++.so.6": false} {
		if IsRustStd(name) != want {
			t.Errorf("IsRustStd(%s) != %v", name, want)
		}
	}
}

// Reading a small C plugin, and a Rust dylib with 1,755 exports.
func BenchmarkOpen(b *testing.B) {
	for _, name := range []string{"libsdk_hello.so", "liblinks_host.so", "cross/cross_needs.dll", "cross/cross_universal.dylib"} {
		path := testplugins.Path(b, name)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Open(path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A real DLL with its export and import directories corrupted: each is a
// damaged table that says what is wrong, never a panic, a hang or a huge
// allocation, and the headers' identity is still read.
func TestHostilePE(t *testing.T) {
	orig, pf := crossDLL(t, "cross_needs.dll")
	oh := pf.OptionalHeader.(*pe.OptionalHeader64)
	img := &peImage{r: bytes.NewReader(orig), size: int64(len(orig)), sections: pf.Sections}
	exportOff, _, ok := img.offset(oh.DataDirectory[peDirExport].VirtualAddress)
	importOff, _, ok2 := img.offset(oh.DataDirectory[peDirImport].VirtualAddress)
	if !ok || !ok2 {
		t.Fatal("fixture has no export or import directory")
	}
	// Where the optional header's data directories start: after the COFF
	// header, at the PE signature offset (0x3c) + 4 + 20 + 112.
	dirs := int64(binary.LittleEndian.Uint32(orig[0x3c:])) + 4 + 20 + 112
	tests := []struct {
		name string
		off  int64
		val  uint32
		want string
	}{
		{"huge name count", exportOff + 24, 0xffffffff, "export name table"},
		{"huge function count", exportOff + 20, 0xffffffff, "export address table"},
		{"names past the end", exportOff + 32, 0x7fffff00, "export name table"},
		{"functions outside", exportOff + 28, 0x7fffff00, "export address table"},
		{"import names outside", importOff + 12, 0x7ffffff0, "imported DLL name"},
		{"export directory outside", dirs, 0x7ffffff0, "export directory"},
		{"import directory outside", dirs + 8, 0x7ffffff0, "import descriptor"},
	}
	for _, tt := range tests {
		b := slices.Clone(orig)
		binary.LittleEndian.PutUint32(b[tt.off:], tt.val)
		f, err := newFile(bytes.NewReader(b), reading{full: true})
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		var fe *FormatError
		if len(f.Damaged) != 1 || !errors.As(f.Damaged[0], &fe) || fe.Format != PE || !strings.Contains(fe.Error(), tt.want) {
			t.Errorf("%s: damaged %v, want one malformed PE table about %q", tt.name, f.Damaged, tt.want)
		}
		if f.Format != PE || f.Kind != SharedLibrary || f.Arch != "x86_64" || f.Bits != 64 {
			t.Errorf("%s: identity %s %s %s %d-bit", tt.name, f.Format, f.Kind, f.Arch, f.Bits)
		}
	}
}

// A universal file whose slice points at the universal header itself.
func TestFatSelfReference(t *testing.T) {
	b := make([]byte, 64)
	binary.BigEndian.PutUint32(b[0:], 0xcafebabe)
	binary.BigEndian.PutUint32(b[4:], 1)
	binary.BigEndian.PutUint32(b[8:], 0x01000007) // x86_64
	binary.BigEndian.PutUint32(b[16:], 0)         // offset: the header
	binary.BigEndian.PutUint32(b[20:], 64)        // size
	if _, err := newFile(bytes.NewReader(b), reading{full: true}); err == nil {
		t.Error("a slice that is the universal header itself was accepted")
	}
}

// nextCrateRoot finds what the regexp it replaced found, on real names and
// on random strings over the characters that matter.
func TestCrateRootsIsTheRegexp(t *testing.T) {
	re := regexp.MustCompile(`Cs[0-9A-Za-z]*_([1-9][0-9]{0,2})`)
	check := func(s string) {
		var want []int
		for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
			want = append(want, m[2])
		}
		if got := crateRoots(s); !slices.Equal(got, want) {
			t.Fatalf("crateRoots(%q) = %v, the regexp %v", s, got, want)
		}
	}
	for _, s := range []string{"NvMNtCslNYArtu3iFV_5alloc6stringNtB2_6String10from_utf16", "INvMNtCsgEmfK2I1SDS_4core3stre18trim_start_matchesReECsgY6Mt91CT9J_14rustc_demangle", "", "Cs", "Cs_", "Cs_0", "Cs_1234", "CsCs_12Cs_3"} {
		check(s)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "Cs_0129aZ"
	for range 20000 {
		b := make([]byte, rng.IntN(24))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		check(string(b))
	}
}

// crateRoots returns where the length of each crate root's name starts in
// a v0 name's rest (nextCrateRoot, from the start).
func crateRoots(s string) []int {
	var at []int
	for i := 0; ; {
		a, next, ok := nextCrateRoot(s, i)
		if !ok {
			return at
		}
		at = append(at, a)
		i = next
	}
}
