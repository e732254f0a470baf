package inspect

import (
	"bytes"
	"debug/pe"
	"testing"
)

// A PE image's address map, at each edge: the first and last byte of a
// section's file data, its uninitialised tail, the bytes past its virtual
// size, and the headers below the first section.
func TestPEOffsetEdges(t *testing.T) {
	file := bytes.Repeat([]byte{0xAB}, 0x600)
	sec := &pe.Section{SectionHeader: pe.SectionHeader{VirtualAddress: 0x1000, VirtualSize: 0x300, Size: 0x200, Offset: 0x400}}
	p := &peImage{r: bytes.NewReader(file), size: int64(len(file)), sections: []*pe.Section{sec}, headers: 0x400}
	for _, tt := range []struct {
		rva   uint32
		off   int64
		avail uint32
		ok    bool
	}{
		{0x1000, 0x400, 0x200, true}, // a section's first byte
		{0x11ff, 0x5ff, 1, true},     // its last byte in the file
		{0x1200, 0, 0, false},        // its uninitialised tail
		{0x12ff, 0, 0, false},        // the tail's last byte
		{0x1300, 0, 0, false},        // past its virtual size: no section
		{0x0fff, 0, 0, false},        // below it, above the headers
		{0x03ff, 0x3ff, 1, true},     // the headers' last byte
		{0x0400, 0, 0, false},        // just past the headers
		{0, 0, 0x400, true},          // the file's first byte
	} {
		off, avail, ok := p.offset(tt.rva)
		if off != tt.off || avail != tt.avail || ok != tt.ok {
			t.Errorf("offset(%#x) = %#x, %#x, %v; want %#x, %#x, %v", tt.rva, off, avail, ok, tt.off, tt.avail, tt.ok)
		}
	}
	// read takes exactly what is there, and not a byte more.
	if b, err := p.read(0x1100, 0x100, "x"); err != nil || len(b) != 0x100 {
		t.Errorf("read to the section's end: %d bytes, %v", len(b), err)
	}
	if _, err := p.read(0x1100, 0x101, "x"); err == nil {
		t.Error("read past the section's file data succeeded")
	}
	short := &peImage{r: bytes.NewReader(file[:0x500]), size: 0x500, sections: []*pe.Section{sec}, headers: 0x400}
	if b, err := short.read(0x1000, 0x100, "x"); err != nil || len(b) != 0x100 {
		t.Errorf("read to the file's end: %d bytes, %v", len(b), err)
	}
	if _, err := short.read(0x1000, 0x101, "x"); err == nil {
		t.Error("read past the file's end succeeded")
	}
}
