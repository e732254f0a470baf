package abi

import (
	"fmt"
	"strings"

	"github.com/plugctl/plugctl/sdk"
)

// BuiltIn prefixes the name the built-in description is shown by.
const BuiltIn = "built-in:"

// snapshot is a description and its layouts on every target, as
// v1Literal (v1_literal.go) holds the built-in one: parsing the header
// takes milliseconds, and decoding it from JSON took half of one, which
// every worker would pay before it could start a plugin. TestV1Snapshot
// checks that it is the header's; `go test ./internal/abi -run
// TestV1Snapshot -update` writes it again.
type snapshot struct {
	Description *Description
	Layouts     []*Layout
}

// V1 is plugctl's own ABI, version 1: the SDK's header and its
// description, built into plugctl, for runtime.
func V1(runtime Target) (*Description, error) {
	s := v1Literal()
	d := s.Description
	d.runtime, d.layouts = runtime, map[Target]*Layout{}
	for _, l := range s.Layouts {
		d.layouts[l.Target] = l
	}
	if d.layouts[runtime] == nil {
		return nil, fmt.Errorf("plugctl's ABI has no layout for %s", runtime)
	}
	// Kept for Check and for layouts on targets the snapshot lacks.
	d.header, _ = sdk.Files.ReadFile("c/" + strings.TrimPrefix(d.HeaderFile, BuiltIn))
	return d, nil
}

// parseV1 reads the built-in description from the SDK's files.
func parseV1(runtime Target) (*Description, error) {
	src, err := sdk.Files.ReadFile("c/plugctl.toml")
	if err != nil {
		return nil, err
	}
	return Parse(BuiltIn+"plugctl.toml", src, func(name string) (string, []byte, error) {
		b, err := sdk.Files.ReadFile("c/" + name)
		return BuiltIn + name, b, err
	}, runtime)
}

// MarshalText and UnmarshalText write a version as String does.
func (v Version) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

func (v *Version) UnmarshalText(b []byte) error {
	w, err := ParseVersion(string(b))
	*v = w
	return err
}
