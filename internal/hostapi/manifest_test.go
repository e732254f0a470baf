package hostapi

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// manifest builds layout 1 bytes the way the C header lays them out.
func manifest(order binary.ByteOrder, api, size uint32, name, version string) []byte {
	b := make([]byte, ManifestSize)
	copy(b, ManifestMagic[:])
	order.PutUint32(b[8:], ManifestLayout)
	order.PutUint32(b[12:], api)
	order.PutUint32(b[16:], size)
	copy(b[nameOffset:nameOffset+nameLen], name)
	copy(b[versionOffset:versionOffset+versionLen], version)
	return b
}

func TestDecodeManifest(t *testing.T) {
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		m, err := DecodeManifest(manifest(order, 1, 16, "demo", "1.2.3"), order)
		if err != nil {
			t.Fatalf("%v: %v", order, err)
		}
		want := Manifest{Layout: 1, APIVersion: 1, TableSize: 16, Name: "demo", Version: "1.2.3"}
		if m != want {
			t.Errorf("%v: got %+v, want %+v", order, m, want)
		}
	}
}

func TestDecodeManifestErrors(t *testing.T) {
	le := binary.LittleEndian
	good := manifest(le, 1, 16, "demo", "1")
	badMagic := append([]byte(nil), good...)
	badMagic[0] = 'X'
	layout0 := append([]byte(nil), good...)
	le.PutUint32(layout0[8:], 0)
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrManifestShort},
		{"short", good[:119], ErrManifestShort},
		{"magic", badMagic, ErrManifestMagic},
		{"layout 0", layout0, ErrManifestLayout},
	}
	for _, tt := range tests {
		if _, err := DecodeManifest(tt.b, le); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	// Every byte of the magic counts: one wrong byte anywhere refuses it.
	for i := range ManifestMagic {
		b := append([]byte(nil), good...)
		b[i] ^= 0x20
		if _, err := DecodeManifest(b, le); !errors.Is(err, ErrManifestMagic) {
			t.Errorf("magic with byte %d changed (%q): got %v, want %v", i, b[:8], err, ErrManifestMagic)
		}
	}
}

func TestDecodeManifestStrings(t *testing.T) {
	le := binary.LittleEndian
	// A name that fills its field with no NUL is taken whole; control
	// characters in it are made visible.
	full := strings.Repeat("n", nameLen)
	m, err := DecodeManifest(manifest(le, 1, 16, full, "v\x1b[2J"), le)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != full || m.Version != `v\x1b[2J` {
		t.Errorf("got name %q version %q", m.Name, m.Version)
	}
}

func TestLaterLayoutIsRead(t *testing.T) {
	// Layouts only append, so a host reads a later layout's first 120 bytes.
	le := binary.LittleEndian
	b := append(manifest(le, 1, 16, "demo", "1"), 0xAA, 0xBB, 0xCC, 0xDD)
	le.PutUint32(b[8:], 2)
	m, err := DecodeManifest(b, le)
	if err != nil || m.Layout != 2 || m.Name != "demo" {
		t.Fatalf("got %+v, %v", m, err)
	}
}

func TestCheckManifest(t *testing.T) {
	tests := []struct {
		name      string
		host, api uint32
		size      uint32
		ptr       int
		want      error
	}{
		{"v1 on v1, 64-bit", 1, 1, 16, 8, nil},
		{"v1 on v1, 32-bit", 1, 1, 8, 4, nil},
		{"v1 on a v2 host", 2, 1, 16, 8, nil},
		{"newer plugin", 1, 2, 24, 8, ErrAPIVersion},
		{"version 0", 1, 0, 16, 8, ErrAPIVersion},
		{"table too big", 1, 1, 24, 8, ErrTableSize},
		{"32-bit size on 64-bit", 1, 1, 8, 8, ErrTableSize},
	}
	for _, tt := range tests {
		err := CheckManifest(Manifest{Layout: 1, APIVersion: tt.api, TableSize: tt.size}, tt.host, tt.ptr)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestTableSizeAndSupports(t *testing.T) {
	if got := TableSize(1, 8); got != 16 {
		t.Errorf("TableSize(1, 8) = %d", got)
	}
	if got := TableSize(Version+1, 8); got != 0 {
		t.Errorf("TableSize of an unknown version = %d, want 0", got)
	}
	if Supports(1, 0) || !Supports(1, 1) || Supports(1, 2) || !Supports(2, 1) {
		t.Error("Supports: a host serves versions 1..its own")
	}
}

// FuzzDecodeManifest: any bytes decode to a manifest or an error, never a
// panic, and a decoded one has display-safe strings.
func FuzzDecodeManifest(f *testing.F) {
	le := binary.LittleEndian
	f.Add(manifest(le, 1, 16, "demo", "1.0.0"))
	f.Add(manifest(le, 2, 24, "future", "2"))
	f.Add([]byte("PLUGCTLM"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			m, err := DecodeManifest(b, order)
			if err != nil {
				continue
			}
			if strings.ContainsAny(m.Name+m.Version, "\x00\x1b\n\r") {
				t.Fatalf("unsafe strings: %q %q", m.Name, m.Version)
			}
			_ = CheckManifest(m, Version, 8)
		}
	})
}

// What a refusal says, since it is what a plugin author reads.
func TestCheckManifestWords(t *testing.T) {
	for _, tt := range []struct {
		api, size uint32
		want      string
	}{
		{2, 24, "the plugin was built for API version 2, this host speaks 1"},
		{0, 16, "the plugin says API version 0; versions start at 1"},
		{1, 24, "the plugin saw a 24-byte HostFunctions, API version 1's is 16 bytes (2 pointers)"},
	} {
		err := CheckManifest(Manifest{Layout: 1, APIVersion: tt.api, TableSize: tt.size}, 1, 8)
		if err == nil || !strings.HasSuffix(err.Error(), tt.want) {
			t.Errorf("API %d, table %d: got %v, want ...%s", tt.api, tt.size, err, tt.want)
		}
	}
}

// A name or version field that starts with NUL is empty, not NUL bytes.
func TestEmptyManifestStrings(t *testing.T) {
	le := binary.LittleEndian
	m, err := DecodeManifest(manifest(le, 1, 16, "", ""), le)
	if err != nil || m.Name != "" || m.Version != "" {
		t.Errorf("got %+v, %v; want empty name and version", m, err)
	}
}
