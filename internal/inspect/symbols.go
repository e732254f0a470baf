package inspect

import (
	"bytes"
	"debug/elf"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/plugctl/plugctl/internal/pages"
)

// manifestSymbol is hostapi.ManifestSymbol; inspect reads files and does not
// depend on the host's ABI package.
const manifestSymbol = "plugin_manifest"

// MangledEntry returns a Rust- or C++-mangled symbol naming the function
// entry (init_plugin in plugctl's own ABI) in the file at path, from its
// dynamic and full symbol tables, or "" when there is none or the file
// cannot be read. It searches every name of the full symbol table, which
// can be large, so it is for explaining a missing entry point, not for
// every file.
func MangledEntry(path, entry string) (name string) {
	defer func() {
		if recover() != nil {
			name = ""
		}
	}()
	fh, _, err := OpenRegular(path)
	if err != nil {
		return ""
	}
	defer fh.Close()
	var magic [4]byte
	if _, err := fh.ReadAt(magic[:], 0); err != nil {
		return ""
	}
	switch format, _ := identify(magic); format {
	case ELF:
		ef, err := elf.NewFile(fh)
		if err != nil {
			return ""
		}
		return findMangledEntry(elfNamesWith(ef, strconv.Itoa(len(entry))+entry), "", entry)
	case MachO:
		return findMangledEntry(machoNames(fh, sizeOf(fh)), "_", entry)
	}
	return ""
}

// elfNamesWith returns the names in the string tables of f's dynamic and
// full symbol tables that contain s. The tables are searched as bytes, a
// megabyte at a time, not decoded symbol by symbol nor read whole (a large
// library's full symbol table has hundreds of thousands of names, in tens
// of megabytes).
func elfNamesWith(f *elf.File, s string) []string {
	var names []string
	for _, sec := range f.Sections {
		if sec.Type != elf.SHT_SYMTAB && sec.Type != elf.SHT_DYNSYM || int(sec.Link) >= len(f.Sections) {
			continue
		}
		str := f.Sections[sec.Link]
		names = append(names, namesWith(str.Open(), str.Size, []byte(s))...)
	}
	return names
}

// maxSymbolName bounds what namesWith keeps of a string its read cut: a
// longer run without a NUL is no symbol's name, and is not kept growing.
const maxSymbolName = 64 << 10

// namesWith returns the NUL-terminated strings in r, which holds size
// bytes, that contain s.
func namesWith(r io.Reader, size uint64, s []byte) []string {
	var names []string
	// Reads go on the end of buf, after what was read and not searched
	// yet (a string's start, at most maxSymbolName bytes). A table under a
	// megabyte is read at once, into a buffer of its size (and one byte
	// more, to see its end): a small plugin's names are not searched in a
	// megabyte allocated and cleared for them.
	capacity := uint64(1<<20 + maxSymbolName)
	if size < 1<<20 {
		capacity = size + 1
	}
	buf := make([]byte, 0, capacity)
	pages.Populate(buf[:cap(buf)])
	rare := -1 // which byte of s to look for first
	for {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if rare < 0 {
			rare = rarest(buf[:min(len(buf), 64<<10)], s)
		}
		if end := bytes.LastIndexByte(buf, 0); end >= 0 {
			whole := buf[:end+1] // complete strings only
			for i := indexBy(whole, s, rare); i >= 0; {
				start := bytes.LastIndexByte(whole[:i], 0) + 1
				stop := i + bytes.IndexByte(whole[i:], 0)
				names = append(names, string(whole[start:stop]))
				next := indexBy(whole[stop:], s, rare)
				if next < 0 {
					break
				}
				i = stop + next
			}
			buf = buf[:copy(buf, buf[end+1:])]
		}
		if len(buf) > maxSymbolName {
			buf = buf[:0]
		}
		if err != nil || n == 0 {
			break
		}
	}
	return names
}

// rarest returns the index in s of the byte that sample holds least of.
func rarest(sample, s []byte) int {
	k, least := 0, len(sample)+1
	for i, c := range s {
		if n := bytes.Count(sample, []byte{c}); n < least {
			k, least = i, n
		}
	}
	return k
}

// indexBy is bytes.Index(b, s), found by looking for s[k] first: where the
// first byte of s is common in b (a digit, in Rust's names, for the
// length that starts a mangled identifier), bytes.Index stops at each one
// and the search runs at half the speed.
func indexBy(b, s []byte, k int) int {
	if len(s) == 0 {
		return 0
	}
	for i := k; i < len(b); {
		j := bytes.IndexByte(b[i:], s[k])
		if j < 0 {
			return -1
		}
		if p := i + j - k; p+len(s) <= len(b) && bytes.Equal(b[p:p+len(s)], s) {
			return p
		}
		i += j + 1
	}
	return -1
}

// findMangledEntry returns the first name that is a Rust (legacy or v0) or
// C++ mangled name for a function called entry. prefix is the platform's
// extra symbol prefix ("_" on Mach-O).
func findMangledEntry(names []string, prefix, entry string) string {
	id := strconv.Itoa(len(entry)) + entry // as both manglings write a name
	for _, n := range names {
		m, ok := strings.CutPrefix(n, prefix)
		if !ok || !strings.Contains(m, id) {
			continue
		}
		if strings.HasPrefix(m, "_ZN") || strings.HasPrefix(m, "_R") || strings.HasPrefix(m, "_Z"+id) {
			return n
		}
	}
	return ""
}

func containsRustc(comment []byte) bool { return bytes.Contains(comment, []byte("rustc version")) }

// IsRustMangled reports whether name is a Rust symbol name, legacy
// (_ZN...17h<hash>E) or v0 (_R...). prefix is the platform's symbol prefix.
func IsRustMangled(name string) bool {
	return strings.HasPrefix(name, "_R") || strings.HasPrefix(name, "_ZN") && hasRustLegacyHash(name)
}

// hasRustLegacyHash reports whether name ends as a legacy Rust name does,
// with its hash: 17h<16 lowercase hex digits>E (what the regexp
// 17h[0-9a-f]{16}E$ matches, without one: inspect asks of every export).
func hasRustLegacyHash(name string) bool {
	const n = len("17h") + 16 + len("E")
	if len(name) < n {
		return false
	}
	tail := name[len(name)-n:]
	if tail[:3] != "17h" || tail[n-1] != 'E' {
		return false
	}
	for _, c := range []byte(tail[3 : n-1]) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// The pattern compiles on first use: plugctl load must not pay for it.
var rustStd = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(lib)?std-[0-9a-f]+\.(so|dylib|dll)$`) })

// RustCrates returns the crates a Rust-mangled symbol name mentions: for a
// legacy name, the first path component; for a v0 name, every crate root in
// it (the item's own crate, and the crates of its generic arguments and of
// the crate that instantiated it). The v0 scan is a heuristic: it does not
// decode the whole grammar, so it may miss crates; it names only identifiers.
func RustCrates(name string) []string { return AppendRustCrates(nil, name) }

// AppendRustCrates appends RustCrates(name) to dst: a caller that asks of
// every export reuses one slice.
func AppendRustCrates(dst []string, name string) []string {
	if rest, ok := strings.CutPrefix(name, "_ZN"); ok {
		if c := lengthPrefixed(rest); c != "" {
			dst = append(dst, c)
		}
		return dst
	}
	rest, ok := strings.CutPrefix(name, "_R")
	if !ok {
		return dst
	}
	start := len(dst)
	for i := 0; ; {
		at, next, ok := nextCrateRoot(rest, i)
		if !ok {
			return dst
		}
		if c := lengthPrefixed(rest[at:]); c != "" && !slices.Contains(dst[start:], c) {
			dst = append(dst, c)
		}
		i = next
	}
}

// nextCrateRoot finds, from i in a v0 name's rest, where the length of
// the next crate root's name starts (at), and where to look for the one
// after (next). A crate root is C, a disambiguator s<base62>_ (optional
// in the grammar, always written by rustc for crates), and the crate's
// name as <length>[_]<identifier>. It finds what the regexp
// Cs[0-9A-Za-z]*_([1-9][0-9]{0,2}) would, leftmost and without overlap,
// without a regexp: a library's tens of thousands of names made one costly.
func nextCrateRoot(s string, i int) (at, next int, ok bool) {
	for {
		j := strings.Index(s[i:], "Cs")
		if j < 0 {
			return 0, 0, false
		}
		p := i + j + 2
		for p < len(s) && isBase62(s[p]) {
			p++
		}
		if p+1 < len(s) && s[p] == '_' && s[p+1] >= '1' && s[p+1] <= '9' {
			end := p + 2
			for end < len(s) && end < p+4 && s[end] >= '0' && s[end] <= '9' {
				end++
			}
			return p + 1, end, true
		}
		i += j + 1
	}
}

func isBase62(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// lengthPrefixed decodes <decimal length><identifier> at the start of s. In
// v0 names an underscore separates the length from an identifier that
// starts with a digit or an underscore.
func lengthPrefixed(s string) string {
	i := 0
	for i < len(s) && i < 4 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil || n == 0 {
		return ""
	}
	if i < len(s) && s[i] == '_' && i+1+n <= len(s) && (s[i+1] == '_' || s[i+1] >= '0' && s[i+1] <= '9') {
		i++
	}
	if i+n > len(s) {
		return ""
	}
	id := s[i : i+n]
	for j, c := range id {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || j > 0 && c >= '0' && c <= '9') {
			return ""
		}
	}
	return id
}

// IsRustStd reports whether the library file name is Rust's dynamic standard
// library: libstd-<hash>.so, libstd-<hash>.dylib or std-<hash>.dll.
func IsRustStd(name string) bool { return rustStd().MatchString(name) }

// Mangling names the mangling scheme of a symbol MangledEntry found: "C++"
// or "Rust".
func Mangling(name string) string {
	if strings.Contains(strings.TrimLeft(name, "_"), "Z11init_plugin") {
		return "C++"
	}
	return "Rust"
}
