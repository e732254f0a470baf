// Package sdk carries the plugin SDK's sources, the C header and the Rust
// crate, so that plugctl new can write them into a new project.
package sdk

import "embed"

// Files holds c/plugctl.h and its description c/plugctl.toml,
// rust/Cargo.toml and rust/src/lib.rs.
//
//go:embed c/plugctl.h c/plugctl.toml rust/Cargo.toml rust/src/lib.rs
var Files embed.FS
