package abi

import (
	"testing"

	"github.com/plugctl/plugctl/sdk"
)

// FuzzParse: any description, TOML and header, is read or refused with an
// error, never a panic; one that is read lays out for every target or
// says why not.
func FuzzParse(f *testing.F) {
	v1, _ := sdk.Files.ReadFile("c/plugctl.toml")
	v1h, _ := sdk.Files.ReadFile("c/plugctl.h")
	f.Add(string(v1), string(v1h))
	// The header the TOML names is the one the fuzzer gives.
	f.Add(string(v1)[:0]+"name=\"x\"\nheader=\"h\"\nversions=[\"1\"]\n[entry]\nsymbol=\"f\"\n[version]\nexchange=\"handshake\"\nsymbol=\"v\"\n", "int f(void);\nint v(void);\n")
	f.Add(obsTOML, obsHeader)
	f.Add(gstTOML, gstHeader)
	f.Add("name = 1", "#define A(x) A(x) A(x)\nA(1)")
	// cc/v4 looped for ever on a header that ends inside a declarator.
	f.Add(gstTOML, "#include<stdbool.h>\ntypedef struct GstPlugin GstPlugin;typedef bool(*")
	f.Fuzz(func(t *testing.T, toml, header string) {
		d, err := Parse("d.toml", []byte(toml), func(name string) (string, []byte, error) { return name, []byte(header), nil }, linux)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error that says nothing")
			}
			return
		}
		for _, tg := range Targets {
			if _, err := d.Layout(tg); err != nil && err.Error() == "" {
				t.Fatal("an error that says nothing")
			}
		}
	})
}
