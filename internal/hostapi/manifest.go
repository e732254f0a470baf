package hostapi

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/plugctl/plugctl/internal/sanitize"
)

// ManifestMagic opens every manifest. It is bytes, not an integer, so it reads
// the same in files of either byte order.
var ManifestMagic = [8]byte{'P', 'L', 'U', 'G', 'C', 'T', 'L', 'M'}

// ManifestLayout is the manifest layout version this host writes about and
// reads. Later layouts may only append fields after the layout 1 ones.
const ManifestLayout uint32 = 1

// ManifestSize is the size of a layout 1 manifest in bytes:
//
//	offset size field
//	     0    8 magic                "PLUGCTLM"
//	     8    4 layout_version       1
//	    12    4 api_version          API version the plugin was built for
//	    16    4 host_functions_size  sizeof(HostFunctions) as the plugin saw it
//	    20    4 flags                0; reserved
//	    24   64 name                 UTF-8, NUL-padded
//	    88   32 version              UTF-8, NUL-padded
//
// Integers are in the byte order of the plugin's target.
const ManifestSize = 120

const (
	nameOffset, nameLen       = 24, 64
	versionOffset, versionLen = 88, 32
)

// Manifest is a decoded plugin_manifest.
type Manifest struct {
	Layout     uint32 `json:"layout_version"`
	APIVersion uint32 `json:"api_version"`
	TableSize  uint32 `json:"host_functions_size"`
	Flags      uint32 `json:"flags"`
	Name       string `json:"name"`    // sanitized for display
	Version    string `json:"version"` // sanitized for display
}

// Errors returned by DecodeManifest and CheckManifest, wrapped with detail.
var (
	ErrManifestShort  = errors.New("manifest too short")
	ErrManifestMagic  = errors.New("bad manifest magic")
	ErrManifestLayout = errors.New("unsupported manifest layout")
	ErrAPIVersion     = errors.New("unsupported API version")
	ErrTableSize      = errors.New("HostFunctions size does not match the API version")
)

// DecodeManifest decodes the manifest in b, whose integers are in order. It
// checks only the framing (length, magic, layout); CheckManifest decides
// whether a host may run the plugin.
func DecodeManifest(b []byte, order binary.ByteOrder) (Manifest, error) {
	if len(b) < ManifestSize {
		return Manifest{}, fmt.Errorf("%w: %d bytes, layout 1 needs %d", ErrManifestShort, len(b), ManifestSize)
	}
	if !bytes.Equal(b[:8], ManifestMagic[:]) {
		return Manifest{}, fmt.Errorf("%w: %q, want %q", ErrManifestMagic, b[:8], ManifestMagic[:])
	}
	m := Manifest{
		Layout:     order.Uint32(b[8:]),
		APIVersion: order.Uint32(b[12:]),
		TableSize:  order.Uint32(b[16:]),
		Flags:      order.Uint32(b[20:]),
		Name:       cString(b[nameOffset : nameOffset+nameLen]),
		Version:    cString(b[versionOffset : versionOffset+versionLen]),
	}
	if m.Layout < ManifestLayout {
		return m, fmt.Errorf("%w: layout_version is %d, the first layout is 1", ErrManifestLayout, m.Layout)
	}
	return m, nil
}

// CheckManifest reports why a host speaking API version host, on a target
// with ptrSize-byte pointers, must refuse the plugin m describes, or nil.
func CheckManifest(m Manifest, host uint32, ptrSize int) error {
	if !Supports(host, m.APIVersion) {
		if m.APIVersion > host {
			return fmt.Errorf("%w: the plugin was built for API version %d, this host speaks %d", ErrAPIVersion, m.APIVersion, host)
		}
		return fmt.Errorf("%w: the plugin says API version %d; versions start at 1", ErrAPIVersion, m.APIVersion)
	}
	if want := TableSize(m.APIVersion, ptrSize); m.TableSize != want {
		return fmt.Errorf("%w: the plugin saw a %d-byte HostFunctions, API version %d's is %d bytes (%d pointers)",
			ErrTableSize, m.TableSize, m.APIVersion, want, int(want)/ptrSize)
	}
	return nil
}

// cString returns the NUL-padded field b as display text: up to the first
// NUL (or all of b when it has none), sanitized.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	s, _ := sanitize.Text(b)
	return string(s)
}
