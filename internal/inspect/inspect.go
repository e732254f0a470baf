// Package inspect reads what a plugin file is from its bytes alone: its
// format, architecture and kind, what it exports, which libraries it needs and
// where it asks the loader to look for them, the symbol versions it requires,
// and the bytes of its static manifest. It never loads the file or runs any of
// its code, so it is safe on any file from any system.
//
// There is one reader per format (elf.go, pe.go, macho.go) behind one
// format-neutral File. The standard library's debug/elf and debug/pe readers
// are not hardened against hostile input: this package checks the tables
// they would decode first (elfcheck.go, pecheck.go), so that no file makes
// them copy or walk far more than it holds, bounds what it reads itself,
// recovers from their panics at its boundary and reports a malformed file
// instead. An ELF file that debug/elf would read the same way as those
// checks did is read from what they read, without it (elfplain.go).
// Mach-O files are read by hand (macho.go).
package inspect

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/plugctl/plugctl/internal/pages"
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

// Phrase is the kind with its indefinite article, for messages: "an
// executable", "a shared library".
func (k Kind) Phrase() string {
	switch k {
	case OtherKind:
		return "another kind of object file"
	case Executable, Object:
		return "an " + string(k)
	}
	return "a " + string(k)
}

// File describes one object file.
type File struct {
	// Mode is the file's mode when it was opened (permissions, set-id
	// and sticky bits): what os.Stat would have said.
	Mode fs.FileMode
	// PathIsLink is false when the path the file was opened by is known
	// to name the file itself, not a symbolic link to it (true: it is a
	// link, or opening could not tell).
	PathIsLink bool
	Format     Format
	Kind       Kind
	Arch       string   // x86_64, aarch64, i386, arm, riscv64, ...; for a universal Mach-O, the slice this host would pick, or the first
	Bits       int      // 32 or 64
	OS         string   // the OS family the file is for: linux (any ELF Unix), freebsd, windows, darwin
	Archs      []string // a universal Mach-O's slices; nil otherwise
	ByteOrder  binary.ByteOrder
	Machine    uint16 // ELF's e_machine, which a loader matches libraries by; 0 for other formats

	// Rust is true when rustc built the file.
	Rust bool

	// Exports are the symbols the file defines for others to use, sorted by
	// name: for ELF the defined global symbols of the dynamic symbol table
	// (what nm -D --defined-only prints), for PE the named exports, for
	// Mach-O the external symbols the file defines, without the leading
	// underscore the platform adds to C names.
	Exports []Symbol

	// Needed are the libraries the file names as dependencies, in the file's
	// order: DT_NEEDED, the import and delay-import tables, or the
	// LC_*_DYLIB load commands.
	Needed []Dependency
	// SOName is the name the library gives itself (DT_SONAME, LC_ID_DYLIB).
	SOName string
	// RPath and RunPath are the search paths the file gives its loader, as
	// written (with $ORIGIN and the like unexpanded): DT_RPATH and
	// DT_RUNPATH for ELF; RPath holds LC_RPATH for Mach-O.
	RPath, RunPath []string
	// Undefined are the ELF symbols the file needs from elsewhere with no
	// symbol version to say where from: a versioned one is bound to a library
	// that VersionNeeds checks, a weak one may stay undefined.
	Undefined []string
	// VersionNeeds are the ELF symbol versions the file requires, per library.
	VersionNeeds []VersionNeed
	// VersionDefs are the ELF symbol versions the file defines.
	VersionDefs []string

	// Damaged are the tables the headers point to that the file does not
	// hold or that cannot be read, each a *FormatError: the fields above
	// are what could be read, and a loader refuses the file. A debug-info
	// file split off with objcopy --only-keep-debug is the usual cause.
	Damaged []error

	// ManifestSize is the size the file's symbol table gives the exported
	// plugin_manifest: -1 when the file exports none, 0 when the format
	// records no sizes (PE, Mach-O).
	ManifestSize int64
	// ManifestData holds the bytes the file stores at plugin_manifest: the
	// symbol's size, or up to MaxManifestRead bytes when the size is not
	// recorded, cut short where the section holding it ends. It is nil when
	// there is no manifest or the symbol points outside the file's contents.
	ManifestData []byte
	// Data holds the bytes of the exported data symbols OpenData was
	// asked for, as ManifestData does the manifest's (up to MaxDataRead
	// each); a symbol not there, or outside the file's contents, has none.
	Data map[string][]byte
}

// MaxDataRead bounds how much of a symbol OpenData reads.
const MaxDataRead = 64 << 10

// keepData records a data symbol's bytes (at most MaxDataRead of them).
func (f *File) keepData(name string, b []byte) {
	if b == nil {
		return
	}
	if f.Data == nil {
		f.Data = map[string][]byte{}
	}
	f.Data[name] = b[:min(len(b), MaxDataRead)]
}

// MaxManifestRead bounds how much of a plugin_manifest is read.
const MaxManifestRead = 4096

// SymbolKind is what an exported symbol names.
type SymbolKind string

const (
	Function    SymbolKind = "function"
	Data        SymbolKind = "data"
	OtherSymbol SymbolKind = "other" // absolute, untyped, or forwarded elsewhere
)

// Symbol is one exported symbol.
type Symbol struct {
	Name    string
	Kind    SymbolKind
	Weak    bool   // a weak definition another library's may override
	Forward string // PE: the DLL.symbol a forwarded export resolves to
}

// Dependency is a library a file names as needed.
type Dependency struct {
	Name string
	// Optional is true for a weak Mach-O dylib or a delay-loaded DLL: the
	// file loads without it.
	Optional bool
}

// VersionNeed is the symbol versions a file requires from one library.
type VersionNeed struct {
	Library  string   `json:"library"`
	Versions []string `json:"versions"`
}

// ErrNotObject is returned for a file that is no ELF, PE or Mach-O file.
var ErrNotObject = errors.New("not an ELF, PE or Mach-O file")

// FormatError is a file that starts like an object file but is malformed.
type FormatError struct {
	Format Format
	// Off is where in the file the reader found the problem, -1 when the
	// problem has no one place (a table that points outside the file says
	// where it points instead).
	Off int64
	Err error
}

func (e *FormatError) Error() string {
	if e.Off >= 0 {
		return fmt.Sprintf("malformed %s file at offset %#x: %v", e.Format, e.Off, e.Err)
	}
	return fmt.Sprintf("malformed %s file: %v", e.Format, e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }

// formatError makes err, found reading a format file, a *FormatError, with
// the offset at recorded.
func formatError(format Format, err error) *FormatError {
	fe := &FormatError{Format: format, Off: -1, Err: err}
	var l *located
	if errors.As(err, &l) {
		fe.Off = l.off
	}
	return fe
}

// at records that err was found at offset off of the file.
func at(off int64, err error) error { return &located{off, err} }

type located struct {
	off int64
	err error
}

func (l *located) Error() string { return l.err.Error() }
func (l *located) Unwrap() error { return l.err }

// Open reads the file at path. It reads only; it does not load the file.
func Open(path string) (*File, error) { return open(nil, path, reading{full: true}) }

// OpenData is Open, and also reads the bytes of the exported data
// symbols named (Data): a plugin ABI's descriptor, say.
func OpenData(path string, names ...string) (*File, error) {
	return OpenDataIn(nil, path, names...)
}

// OpenDataIn is OpenData, opening the file relative to its directory's
// descriptor in dirs (nil: by its whole path), for the files of one run.
func OpenDataIn(dirs *Dirs, path string, names ...string) (*File, error) {
	r := reading{full: true}
	for _, n := range names {
		if r.data == nil {
			r.data = map[string]bool{}
		}
		r.data[n] = true
	}
	return open(dirs, path, r)
}

// reading is how much of a file to read: its linkage only, or all of it
// (full); data names the symbols whose bytes to keep.
type reading struct {
	full bool
	data map[string]bool
}

// OpenLinkage reads only what linking the file at path needs: its identity,
// needed libraries, search paths, soname and symbol versions; not its exports
// or manifest. It is for the libraries a plugin depends on, which can be
// large (libc exports thousands of symbols).
func OpenLinkage(path string) (*File, error) { return open(nil, path, reading{}) }

// Regular is a regular file OpenRegular opened: read it with ReadAt (or
// Read, from the start), and close it. Size is its size when opened.
type Regular interface {
	io.ReaderAt
	io.Reader
	io.Closer
	Size() int64
	Mode() fs.FileMode
	// PathIsLink is false when the path it was opened by is known to
	// name the file itself, not a symbolic link to it.
	PathIsLink() bool
}

func open(dirs *Dirs, path string, want reading) (*File, error) {
	fh, size, err := openRegular(dirs, path)
	if err != nil {
		if nr, ok := errors.AsType[*NotRegularError](err); ok {
			return nil, fmt.Errorf("%w: %w", ErrNotObject, nr)
		}
		return nil, err
	}
	defer fh.Close()
	// The readers make many small reads; for a file of ordinary size one
	// read into memory is several times faster than a system call each.
	// Linkage touches a few sections of what may be a large library.
	var r io.ReaderAt
	if want.full && size <= readWhole {
		b := wholeFile(size)
		defer putWholeFile(b)
		if _, err := io.ReadFull(fh, b); err != nil {
			return nil, err
		}
		r = newMemFile(b)
	} else {
		r = newBlockReader(fh, size)
	}
	f, err := newFile(r, want)
	if f != nil {
		f.Mode, f.PathIsLink = fh.Mode(), fh.PathIsLink()
	}
	return f, err
}

// blockReader reads a large file in blocks, and keeps the last blocks it
// read: the format readers make many small reads (a PE's COFF symbols are
// read 18 bytes at a time), and each would be a system call (61,541 of
// them for a 15 MB DLL), each a hand-off between threads for the runtime.
type blockReader struct {
	r    io.ReaderAt
	size int64
	mu   sync.Mutex
	// blocks are a direct-mapped cache: block n is in slot n % len(blocks).
	blocks [64]struct {
		n    int64 // block number + 1; 0: empty
		data []byte
	}
}

const blockSize = 64 << 10

func newBlockReader(r io.ReaderAt, size int64) *blockReader { return &blockReader{r: r, size: size} }

func (b *blockReader) Size() int64 { return b.size }

// ReadAt reads p from the cached blocks, reading those it lacks; a read
// of more than a block goes to the file directly.
func (b *blockReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fs.ErrInvalid
	}
	if len(p) > blockSize {
		return b.r.ReadAt(p, off)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		if pos >= b.size {
			return n, io.EOF
		}
		block, err := b.block(pos / blockSize)
		if err != nil {
			return n, err
		}
		in := int(pos % blockSize)
		if in >= len(block) {
			return n, io.EOF
		}
		n += copy(p[n:], block[in:])
	}
	return n, nil
}

// block returns block number k of the file, reading it if it is not kept.
func (b *blockReader) block(k int64) ([]byte, error) {
	slot := &b.blocks[k%int64(len(b.blocks))]
	if slot.n == k+1 {
		return slot.data, nil
	}
	if slot.data == nil {
		slot.data = make([]byte, blockSize)
	}
	want := min(blockSize, b.size-k*blockSize)
	m, err := b.r.ReadAt(slot.data[:want], k*blockSize)
	if err != nil && !(err == io.EOF && int64(m) == want) {
		slot.n = 0
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // the file shrank under us
		}
		return nil, err
	}
	slot.n = k + 1
	return slot.data[:want], nil
}

// Buffers of small files read whole are reused (newFile keeps nothing of
// what it reads): listing a thousand plugins should not allocate, collect
// and fault in a thousand buffers.
var wholeFiles sync.Pool

const pooledFile = 256 << 10

func wholeFile(size int64) []byte {
	if size <= pooledFile {
		if b, ok := wholeFiles.Get().(*[]byte); ok {
			return (*b)[:size]
		}
		return make([]byte, size, pooledFile)
	}
	b := make([]byte, size)
	pages.Populate(b)
	return b
}

func putWholeFile(b []byte) {
	if cap(b) == pooledFile {
		wholeFiles.Put(&b)
	}
}

// readWhole is the size up to which Open reads a file into memory at once.
const readWhole = 4 << 20

// newFile reads the object file in r (only its linkage unless want.full). It does
// not keep r.
func newFile(r io.ReaderAt, want reading) (f *File, err error) {
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
			f, err = nil, formatError(format, fmt.Errorf("%v", p))
		}
	}()
	f, err = parse(r, sizeOf(r), want)
	if err != nil {
		var fe *FormatError
		if !errors.As(err, &fe) {
			err = formatError(format, err)
		}
		return nil, err
	}
	return f, nil
}

func identify(m [4]byte) (Format, func(r io.ReaderAt, size int64, want reading) (*File, error)) {
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

// sizeOf returns the size of r when r can tell it, or the largest size: the
// readers then find the end by reading.
func sizeOf(r io.ReaderAt) int64 {
	switch r := r.(type) {
	case interface{ Size() int64 }:
		return r.Size()
	case interface{ Stat() (os.FileInfo, error) }:
		if st, err := r.Stat(); err == nil {
			return st.Size()
		}
	}
	return math.MaxInt64
}

// memFile is a file read into memory whole, for one reading: a reader
// may look at its bytes in place (view) rather than copy them, but keeps
// nothing of them, since the buffer is reused for the next file.
type memFile struct {
	bytes.Reader
	b []byte
}

func newMemFile(b []byte) *memFile {
	m := &memFile{b: b}
	m.Reset(b)
	return m
}

// view returns up to n bytes of r at off, fewer when r ends first, as
// readAtMost does; from a memFile, in place. What it returns is read, not
// written, and kept no longer than the reading of the file.
func view(r io.ReaderAt, off int64, n int) []byte {
	m, ok := r.(*memFile)
	if !ok {
		return readAtMost(r, off, n)
	}
	if off < 0 || n <= 0 || off >= int64(len(m.b)) {
		return nil
	}
	return m.b[off:min(int64(len(m.b)), off+int64(n))]
}

// readAtMost returns up to n bytes of r at off, fewer when r ends first.
func readAtMost(r io.ReaderAt, off int64, n int) []byte {
	if off < 0 || n <= 0 {
		return nil
	}
	b := make([]byte, n)
	pages.Populate(b)
	k, _ := r.ReadAt(b, off)
	return b[:k]
}

func sortSymbols(s []Symbol) {
	if len(s) < 512 || !sortByNames(s) {
		slices.SortFunc(s, compareSymbols)
	}
}

func compareSymbols(a, b Symbol) int { return strings.Compare(a.Name, b.Name) }
