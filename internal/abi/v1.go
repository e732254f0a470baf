package abi

import (
	"github.com/plugctl/plugctl/sdk"
)

// BuiltIn prefixes the name the built-in description is shown by.
const BuiltIn = "built-in:"

// V1 is plugctl's own ABI, version 1: the SDK's header and its
// description, built into plugctl, checked for runtime.
func V1(runtime Target) (*Description, error) {
	src, err := sdk.Files.ReadFile("c/plugctl.toml")
	if err != nil {
		return nil, err
	}
	return Parse(BuiltIn+"plugctl.toml", src, func(name string) (string, []byte, error) {
		b, err := sdk.Files.ReadFile("c/" + name)
		return BuiltIn + name, b, err
	}, runtime)
}
